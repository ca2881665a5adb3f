import type { RouterMount } from '../adapters/http/app.ts';
import { regulatorConsoleRouter, regulatorInvitationsRouter } from '../adapters/http/routes/regulator-console.ts';
import { AccessTokens } from '../gateway/access-tokens.ts';
import { loadApproverConfig } from '../gateway/approver/config.ts';
import type { GatewayContext } from '../gateway/context.ts';
import type { TransparencyLog } from '../gateway/log/transparency-log.ts';
import { ConsolePasskeys } from '../gateway/regulator-console/console-passkeys.ts';
import { ConsoleSessions } from '../gateway/regulator-console/console-sessions.ts';
import type { SignatureCapability } from './signature-capability.ts';

/**
 * The regulator console (docs/regulator.md §7) as one capability: its API at
 * /app/api/regulator and the admin's invitation API at /v1/regulator/invitations. Its pages are
 * the approver app's build (`/app/regulator…`, app-static.ts). Uses the signature capability's
 * WebAuthn settings (RP ID, origins, algorithms), so the console's passkeys work where the app's
 * do. Its records are the store's `regulatorConsole` aggregate.
 */
export function regulatorConsoleCapability(o: { env: Record<string, string | undefined>; signatures: SignatureCapability; log: TransparencyLog }): {
  mounts(ctx: GatewayContext): RouterMount[];
  close(): void;
} {
  return {
    mounts(ctx) {
      const webauthn = o.signatures.service!.config;
      const app = loadApproverConfig(o.env, webauthn.origins, webauthn.rpId);
      const tokens = new AccessTokens({ signer: ctx.signer, store: ctx.store, clock: ctx.clock, origin: ctx.publicUrl });
      const passkeys = new ConsolePasskeys({ store: ctx.store, clock: ctx.clock, webauthn, random: (n) => ctx.signer.random(n), appOrigin: app.appOrigin, ceremonies: { sealer: ctx.sealer, replay: ctx.replay } });
      const sessions = new ConsoleSessions({ store: ctx.store, clock: ctx.clock, tokens });
      const deps = { passkeys, sessions, log: o.log, origins: app.origins, invitationTtlMs: app.invitationTtlMs, maxExportEntries: 250_000 };
      return [
        { path: '/app/api/regulator', router: regulatorConsoleRouter(ctx, deps) },
        { path: '/', router: regulatorInvitationsRouter(ctx, deps) },
      ];
    },
    close() {
      /* the store holds the connections */
    },
  };
}
