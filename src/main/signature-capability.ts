import type { Server } from 'node:http';
import type { RouterMount } from '../adapters/http/app.ts';
import type { AppSessionDeps } from '../adapters/http/app-guard.ts';
import { attachChallengeSockets } from '../adapters/http/challenge-upgrade.ts';
import { signaturesRouter } from '../adapters/http/routes/signatures.ts';
import { recordApproval } from '../gateway/approvals.ts';
import type { GatewayContext } from '../gateway/context.ts';
import { checkRetentionDays, loadSignatureConfig, type SignatureConfig } from '../gateway/signatures/config.ts';
import { RetentionSchedule } from '../gateway/signatures/retention-schedule.ts';
import { SignatureService } from '../gateway/signatures/service.ts';
import type { QuorumApprovalSink } from '../gateway/signatures/signature-state.ts';

export interface SignatureCapability {
  /** For GatewayParts.mounts: builds the service on the gateway context and returns its routes. */
  mounts(ctx: GatewayContext): RouterMount[];
  /** For GatewayParts.attach: the WebSocket sessions on the HTTP server, and recovery of open challenges. */
  attach(server: Server, ctx: GatewayContext): { close(): Promise<void> };
  /** The service, once `mounts` ran (tests reach in through it). */
  readonly service: SignatureService | undefined;
  /** The retention purge, once `attach` ran (tests call its `tick` after moving the clock). */
  readonly retention: RetentionSchedule | undefined;
  /**
   * The approver app's sessions (docs/approver-app.md), which then authenticate a person on their
   * own routes and on the session WebSocket beside client assertions. The app mounts after this
   * capability, so it hands them over when it does.
   */
  acceptAppSessions(deps: AppSessionDeps): void;
}

/**
 * Biological signatures as one capability to plug into buildGateway (start.ts and the test
 * harness do): routes under /v1/people, /v1/devices, /v1/challenges, the session WebSocket, and an
 * observer on action status changes that issues and closes challenges.
 */
export function signatureCapability(o: { env: Record<string, string | undefined>; config?: Partial<SignatureConfig>; recordApproval?: QuorumApprovalSink }): SignatureCapability {
  let service: SignatureService | undefined;
  let retention: RetentionSchedule | undefined;
  let appSessions: AppSessionDeps | undefined;
  return {
    get service() {
      return service;
    },
    get retention() {
      return retention;
    },
    acceptAppSessions(deps) {
      appSessions = deps;
    },
    mounts(ctx) {
      // Configuration first: a bad value stops the start before anything touches the database.
      const config = { ...loadSignatureConfig(o.env, ctx.publicUrl), ...(o.config ?? {}) };
      checkRetentionDays(config.retentionDays);
      // CRITICAL: each verified approval is counted by the quorum engine (gateway/approvals.ts).
      const sink: QuorumApprovalSink = o.recordApproval ?? ((c, actionId, approval) => recordApproval(c, actionId, approval));
      const s = new SignatureService({ ctx, config, recordApproval: sink });
      service = s;
      // Challenges are issued where the action started to wait; that replica also closes them when
      // another one ends the wait (a veto there, say).
      ctx.bus.observe((a, origin) => s.onActionChanged(a, origin), { follows: (c) => s.issuer.hasIssuedFor(c.id), followed: () => s.issuer.issuedFor() });
      return [{ path: '/', router: signaturesRouter(ctx, s, () => appSessions) }];
    },
    attach(server, ctx) {
      const s = service!;
      const sockets = attachChallengeSockets(server, ctx, s, { appSessions: () => appSessions });
      void s.recover().catch((e: unknown) => ctx.log.error({ err: (e as Error).message }, 'could not recover signature challenges'));
      retention = new RetentionSchedule(s, ctx.log);
      retention.start();
      return {
        async close() {
          await retention?.stop();
          await sockets.close();
        },
      };
    },
  };
}
