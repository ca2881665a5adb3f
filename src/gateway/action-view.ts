import type { ActionRecord } from './action-record.ts';

const TEXTUAL = /^(text\/|application\/(json|problem\+json|xml|x-www-form-urlencoded))/;

/** The Action resource as the API shows it (docs/api.md). Never includes the raw forwarded body. */
export function actionView(a: ActionRecord): Record<string, unknown> {
  const c = a.classification;
  const view: Record<string, unknown> = {
    id: a.id,
    status: a.status,
    tier: c.tier,
    decision: c.decision,
    digest: a.digest,
    descriptor: a.descriptor,
    rule: c.rule,
    reasons: c.reasons,
    policyHash: c.policyHash,
    createdAt: new Date(a.createdAt).toISOString(),
    updatedAt: new Date(a.updatedAt).toISOString(),
    approvals: a.approvals,
    links: { self: `/v1/actions/${a.id}`, events: `/v1/actions/${a.id}/events` },
  };
  if (a.status === 'cooling' && a.dueAt !== null) view['notBefore'] = new Date(a.dueAt).toISOString();
  if ((a.status === 'awaiting_signature' || a.status === 'awaiting_quorum') && a.dueAt !== null) view['expiresAt'] = new Date(a.dueAt).toISOString();
  if (a.status === 'outcome_unknown') {
    // Present while a resend is scheduled; absent once the attempts are used up (an admin reconciles).
    if (a.dueAt !== null) view['resendAt'] = new Date(a.dueAt).toISOString();
    view['attempts'] = a.dispatchAttempts;
  }
  if (a.reconciliation !== undefined) {
    const r = a.reconciliation;
    view['reconciliation'] = { outcome: r.outcome, by: r.by, reason: r.reason, at: new Date(r.at).toISOString(), logIndex: r.logIndex };
  }
  if (a.vetoedBy !== undefined) view['vetoedBy'] = a.vetoedBy;
  if (a.error !== undefined) view['error'] = a.error;
  if (a.result !== undefined) {
    const ct = a.result.headers['content-type'] ?? '';
    view['result'] = {
      status: a.result.status,
      headers: a.result.headers,
      body: a.result.bodyB64,
      ...(TEXTUAL.test(ct) ? { bodyText: Buffer.from(a.result.bodyB64, 'base64').toString('utf8') } : {}),
    };
  }
  return view;
}
