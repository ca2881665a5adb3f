import type { RouterMount } from '../../adapters/http/app.ts';
import { regulatorConsoleRouter, regulatorInvitationsRouter } from '../../adapters/http/routes/regulator-console.ts';
import type { TransparencyLog } from '../../adapters/log/transparency-log.ts';
import { SqliteRegulatorConsoleStore } from '../../adapters/store/regulator-console-sqlite.ts';
import { AccessTokens } from '../access-tokens.ts';
import { loadApproverConfig } from '../approver/config.ts';
import type { GatewayContext } from '../context.ts';
import type { SignatureCapability } from '../signatures/capability.ts';
import { ConsolePasskeys } from './console-passkeys.ts';
import { ConsoleSessions } from './console-sessions.ts';
import type { RegulatorConsoleStore } from './console-store.ts';

/**
 * The regulator console (docs/regulator.md §7) as one capability: its API at
 * /app/api/regulator and the admin's invitation API at /v1/regulator/invitations. Its pages are
 * the approver app's build (`/app/regulator…`, app-static.ts). Uses the signature capability's
 * WebAuthn settings (RP ID, origins, algorithms), so the console's passkeys work where the app's do.
 */
export function regulatorConsoleCapability(o: { env: Record<string, string | undefined>; signatures: SignatureCapability; log: TransparencyLog }): {
  mounts(ctx: GatewayContext): RouterMount[];
  close(): void;
} {
  let store: RegulatorConsoleStore | undefined;
  return {
    mounts(ctx) {
      const webauthn = o.signatures.service!.config;
      const app = loadApproverConfig(o.env, webauthn.origins, webauthn.rpId);
      const consoleStore = new SqliteRegulatorConsoleStore(ctx.store);
      store = consoleStore;
      const tokens = new AccessTokens({ signer: ctx.signer, store: ctx.store, clock: ctx.clock, origin: ctx.publicUrl });
      const passkeys = new ConsolePasskeys({ store: ctx.store, console: consoleStore, clock: ctx.clock, webauthn, random: (n) => ctx.signer.random(n), appOrigin: app.appOrigin });
      const sessions = new ConsoleSessions({ store: ctx.store, console: consoleStore, clock: ctx.clock, tokens });
      const deps = { passkeys, sessions, log: o.log, origins: app.origins, invitationTtlMs: app.invitationTtlMs, maxExportEntries: 250_000 };
      return [
        { path: '/app/api/regulator', router: regulatorConsoleRouter(ctx, deps) },
        { path: '/', router: regulatorInvitationsRouter(ctx, deps) },
      ];
    },
    close() {
      store?.close();
    },
  };
}
