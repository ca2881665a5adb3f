import { join } from 'node:path';
import type { RouterMount } from '../adapters/http/app.ts';
import { appApiRouter } from '../adapters/http/routes/app-api.ts';
import { appStaticRouter } from '../adapters/http/routes/app-static.ts';
import { invitationsRouter } from '../adapters/http/routes/invitations.ts';
import type { ComparatorVerification } from '../gateway/comparator.ts';
import type { GatewayContext } from '../gateway/context.ts';
import type { ActionLogReader } from '../gateway/approver/action-trail.ts';
import { observeForApp, type ApproverApp } from '../gateway/approver/approver-app.ts';
import { loadApproverConfig } from '../gateway/approver/config.ts';
import { loadPrivacyNotice } from '../gateway/approver/consent.ts';
import { Enrolment } from '../gateway/approver/enrolment.ts';
import { PasskeySignIn } from '../gateway/approver/passkey-sign-in.ts';
import { PushNotifier } from '../gateway/approver/push.ts';
import { AppSessions } from '../gateway/approver/sessions.ts';
import type { SignatureCapability } from './signature-capability.ts';

/**
 * The approver app (docs/approver-app.md) as one capability: its static files at /app/, its API at
 * /app/api/, the admin's invitation API at /v1/invitations. Needs the signature capability (people,
 * devices and challenges are theirs) and mounts after it.
 */
export function approverCapability(o: {
  env: Record<string, string | undefined>;
  signatures: SignatureCapability;
  projectRoot: string;
  dataDir: string;
  log: ActionLogReader;
}): {
  /** `comparator`: the one service instance the API's comparator routes use too (it holds open ceremonies). */
  mounts(ctx: GatewayContext, comparator: ComparatorVerification): RouterMount[];
  readonly app: ApproverApp | undefined;
  close(): void;
} {
  let app: ApproverApp | undefined;
  return {
    get app() {
      return app;
    },
    mounts(ctx, comparator) {
      const signatures = o.signatures.service!;
      const config = loadApproverConfig(o.env, signatures.config.origins, signatures.config.rpId);
      const random = (n: number) => ctx.signer.random(n);
      const push =
        o.env['APP_PUSH'] === 'off'
          ? undefined
          : new PushNotifier({
              // Shared by replicas (APP_PUSH_VAPID_FILE), so a phone subscribed through one gets pushes from all.
              keyFile: o.env['APP_PUSH_VAPID_FILE'] || join(o.dataDir, 'vapid.json'),
              // RFC 8292 §2.1: a contact for the push service, https: or mailto:.
              subject: o.env['APP_PUSH_SUBJECT'] || (config.appOrigin.startsWith('https:') ? config.appOrigin : 'mailto:operator@localhost'),
              store: ctx.store,
              clock: ctx.clock,
              log: ctx.log,
              allowLoopback: o.env['APP_PUSH_ALLOW_LOOPBACK'] === '1',
              ...(o.env['APP_PUSH_CA_FILE'] ? { caFile: o.env['APP_PUSH_CA_FILE'] } : {}),
            });
      app = {
        config,
        signatures,
        store: ctx.store.approver,
        sessions: new AppSessions({ store: ctx.store, clock: ctx.clock, config, random }),
        signIn: new PasskeySignIn(ctx, signatures),
        enrolment: new Enrolment(ctx, signatures),
        notice: loadPrivacyNotice(join(o.projectRoot, 'docs/privacy.md')),
        push,
        comparator,
        log: o.log,
      };
      const a = app;
      // The live signing screen calls the person's own signature routes and the session WebSocket with this session.
      o.signatures.acceptAppSessions({ sessions: a.sessions, store: ctx.store, origins: config.origins, personExists: async (id) => (await ctx.store.signatures.getPerson(id)) !== undefined });
      observeForApp(ctx, a);
      return [
        { path: '/app/api', router: appApiRouter(ctx, a) },
        { path: '/app', router: appStaticRouter(o.projectRoot) },
        { path: '/', router: invitationsRouter(ctx, a) },
      ];
    },
    close() {
      /* the store holds the connections */
    },
  };
}
