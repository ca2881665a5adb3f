import { join } from 'node:path';
import type { RouterMount } from '../../adapters/http/app.ts';
import { appApiRouter, APP_INBOX_TOPIC } from '../../adapters/http/routes/app-api.ts';
import { appStaticRouter } from '../../adapters/http/routes/app-static.ts';
import { invitationsRouter } from '../../adapters/http/routes/invitations.ts';
import type { ActionRecord } from '../action-record.ts';
import type { GatewayContext } from '../context.ts';
import type { SignatureCapability } from '../signatures/capability.ts';
import type { ApproverReads } from '../ports/approver.ts';
import type { SignatureService } from '../signatures/service.ts';
import { loadApproverConfig, type ApproverConfig } from './config.ts';
import { loadPrivacyNotice, type PrivacyNotice } from './consent.ts';
import { Enrolment } from './enrolment.ts';
import { PasskeySignIn } from './passkey-sign-in.ts';
import { PushNotifier } from './push.ts';
import { AppSessions } from './sessions.ts';

/** Everything the app's endpoints use, built once on the gateway context. */
export interface ApproverApp {
  config: ApproverConfig;
  signatures: SignatureService;
  /** Committed reads of invitations, sessions and push subscriptions. */
  store: ApproverReads;
  sessions: AppSessions;
  signIn: PasskeySignIn;
  enrolment: Enrolment;
  notice: PrivacyNotice;
  push: PushNotifier | undefined;
}

/** Statuses that put something in a person's inbox: a push tells them, the app is closed or not. */
const WAITING = new Set(['cooling', 'awaiting_signature', 'awaiting_quorum']);

/**
 * The approver app (docs/approver-app.md) as one capability: its static files at /app/, its API at
 * /app/api/, the admin's invitation API at /v1/invitations. Needs the signature capability (people,
 * devices and challenges are theirs) and mounts after it.
 */
export function approverCapability(o: { env: Record<string, string | undefined>; signatures: SignatureCapability; projectRoot: string; dataDir: string }): {
  mounts(ctx: GatewayContext): RouterMount[];
  readonly app: ApproverApp | undefined;
  close(): void;
} {
  let app: ApproverApp | undefined;
  return {
    get app() {
      return app;
    },
    mounts(ctx) {
      const signatures = o.signatures.service!;
      const config = loadApproverConfig(o.env, signatures.config.origins, signatures.config.rpId);
      const random = (n: number) => ctx.signer.random(n);
      const push =
        o.env['APP_PUSH'] === 'off'
          ? undefined
          : new PushNotifier({
              keyFile: join(o.dataDir, 'vapid.json'),
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
      };
      const a = app;
      ctx.bus.observe((rec) => {
        ctx.hub.publish({ topic: APP_INBOX_TOPIC, event: 'changed', data: { actionId: rec.id, status: rec.status } });
        if (a.push !== undefined && WAITING.has(rec.status)) void pushFor(ctx, a, rec);
      });
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

/** Whom an action now waits for: its approvers (who get challenges) or, cooling, the policy's vetoers. */
async function pushFor(ctx: GatewayContext, app: ApproverApp, a: ActionRecord): Promise<void> {
  try {
    const people = a.status === 'cooling' ? ctx.policy().vetoers() : (await app.signatures.issuer.approversFor(a)).map((x) => x.person);
    for (const p of people) {
      // A vetoer without a signature record was erased (or never enrolled): their subscriptions go, nothing is sent.
      if (await ctx.store.signatures.getPerson(p) === undefined) await app.push!.forget(p);
      else await app.push!.notify(p, { kind: a.status === 'cooling' ? 'veto' : 'signature' });
    }
  } catch (e) {
    ctx.log.warn({ actionId: a.id, err: (e as Error).message }, 'could not send web push');
  }
}
