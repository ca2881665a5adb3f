import type { ActionRecord } from '../action-record.ts';
import type { ComparatorVerification } from '../comparator.ts';
import type { GatewayContext } from '../context.ts';
import type { ApproverReads } from '../ports/approver.ts';
import type { SignatureService } from '../signatures/service.ts';
import type { ActionLogReader } from './action-trail.ts';
import type { ApproverConfig } from './config.ts';
import type { PrivacyNotice } from './consent.ts';
import type { Enrolment } from './enrolment.ts';
import type { PasskeySignIn } from './passkey-sign-in.ts';
import type { PushNotifier } from './push.ts';
import type { AppSessions } from './sessions.ts';

/** SSE topic on which every action change is announced to the app's inboxes (they re-read their own). */
export const APP_INBOX_TOPIC = 'app-inbox';

/** Everything the app's endpoints use, built once on the gateway context (src/main/approver-capability.ts). */
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
  /** The CRITICAL comparator's evidence and co-signature (the same service as /v1/actions/{id}/comparator). */
  comparator: ComparatorVerification;
  /** An action's log entries, for its trail. */
  log: ActionLogReader;
}

/** Statuses that put something in a person's inbox: a push tells them, the app is closed or not. */
const WAITING = new Set(['cooling', 'awaiting_signature', 'awaiting_quorum']);

/** StatusBus observer: open apps refresh their inbox; people something now waits for get a push. */
export function observeForApp(ctx: GatewayContext, app: ApproverApp): void {
  ctx.bus.observe(
    (rec, origin) => {
      ctx.hub.publish({ topic: APP_INBOX_TOPIC, event: 'changed', data: { actionId: rec.id, status: rec.status } });
      // Pushed once, by the replica that made the change; every replica tells its open inboxes.
      if (origin === 'local' && app.push !== undefined && WAITING.has(rec.status)) void pushFor(ctx, app, rec);
    },
    {
      // Inboxes list what waits for people: LOW actions never do.
      follows: (c) => c.tier !== 'LOW' && ctx.hub.subscriberCount(APP_INBOX_TOPIC) > 0,
      followed: () => [],
      gap: () => ctx.hub.drop(APP_INBOX_TOPIC),
    },
  );
}

/** Whom an action now waits for: its approvers (who get challenges) or, cooling, the policy's vetoers. */
async function pushFor(ctx: GatewayContext, app: ApproverApp, a: ActionRecord): Promise<void> {
  try {
    const people = a.status === 'cooling' ? ctx.policy().vetoers() : (await app.signatures.issuer.approversFor(a)).map((x) => x.person);
    for (const p of people) {
      // A vetoer without a signature record was erased (or never enrolled): their subscriptions go, nothing is sent.
      if ((await ctx.store.signatures.getPerson(p)) === undefined) await app.push!.forget(p);
      else await app.push!.notify(p, { kind: a.status === 'cooling' ? 'veto' : 'signature' });
    }
  } catch (e) {
    ctx.log.warn({ actionId: a.id, err: (e as Error).message }, 'could not send web push');
  }
}
