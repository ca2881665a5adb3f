import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import type { Store } from '../gateway/ports/store.ts';
import { registerPrincipal } from '../gateway/register-principal.ts';

/**
 * Embedded defaults only: a demo agent and a demo human with keys on disk (mode 0600), so the
 * README tour works out of the box. Production registers keys generated elsewhere.
 */
export async function ensureDemoPrincipals(store: Store, dataDir: string, now: number): Promise<{ agentKeyFile: string; humanKeyFile: string; regulatorKeyFile: string }> {
  const make = async (id: string, roles: string[], owner?: string) => {
    const file = join(dataDir, `${id}.jwk`);
    let priv: JsonWebKey;
    if (existsSync(file)) {
      priv = JSON.parse(readFileSync(file, 'utf8')) as JsonWebKey;
    } else {
      const { privateKey } = generateKeyPairSync('ed25519');
      priv = { ...privateKey.export({ format: 'jwk' }), kid: id } as JsonWebKey;
      writeFileSync(file, JSON.stringify(priv, null, 2) + '\n', { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    const { d: _d, ...pub } = priv as Record<string, unknown>;
    if ((await store.principals.get(id)) === undefined) await registerPrincipal(store, { id, roles, publicJwk: pub as JsonWebKey, ...(owner ? { owner } : {}) }, now);
    return file;
  };
  const humanKeyFile = await make('alice', ['authorizer']);
  const agentKeyFile = await make('demo-agent', ['agent'], 'bob');
  // The tour's last step: a regulator exports the log and verifies it offline.
  const regulatorKeyFile = await make('rita', ['regulator']);
  return { agentKeyFile, humanKeyFile, regulatorKeyFile };
}
