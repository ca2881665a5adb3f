import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { registerPrincipal } from '../../src/gateway/register-principal.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

export interface AppHarness extends Harness {
  /** The app's origin: localhost (an IP address cannot be a WebAuthn RP ID). */
  appUrl: string;
  admin: { id: string; key: KeyObject };
  /** An invitation through the admin API. */
  invite(person: string, roles?: string[]): Promise<{ url: string; expiresAt: string }>;
}

/** The gateway with the example policy; MEDIUM cools for two minutes so a person can veto from the inbox. */
export async function startAppHarness(env: Record<string, string> = {}): Promise<AppHarness> {
  const h = await startHarness({ env: { APP_PUSH_ALLOW_LOOPBACK: '1', ...env }, editPolicy: (y) => y.replace(/cooling: 1s/g, 'cooling: 120s') });
  const port = new URL(h.url).port;
  const k = generateKeyPairSync('ed25519');
  const admin = { id: 'admin-1', key: k.privateKey };
  await registerPrincipal(h.gw.ctx.store, { id: admin.id, roles: ['admin'], publicJwk: k.publicKey.export({ format: 'jwk' }) }, Date.now());
  return Object.assign(h, {
    appUrl: `http://localhost:${port}`,
    admin,
    async invite(person: string, roles?: string[]) {
      const r = await h.as(admin, 'POST', '/v1/invitations', { body: { person, ...(roles === undefined ? {} : { roles }) } });
      if (r.status !== 201) throw new Error(`invite ${person}: ${r.status} ${await r.text()}`);
      return (await r.json()) as { url: string; expiresAt: string };
    },
  });
}
