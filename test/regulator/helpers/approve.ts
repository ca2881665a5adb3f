import type { Approval } from '../../../src/gateway/action-record.ts';
import { entry } from '../../../src/gateway/audit-entries.ts';
import type { Harness } from '../../helpers/harness.ts';

export type GivenApproval = Omit<Approval, 'logIndex'> & { group?: string };

/**
 * Stands in for the signature and quorum flows (built in parallel in src/gateway/signature*):
 * records one `signature.verified` entry per approval, then `action.authorised` carrying the
 * approvals (each with the index of its entry) and `action.dispatched`, in one transaction, exactly
 * as the gateway records other transitions; then lets the real dispatcher sign the receipt and
 * forward the action, which records `action.executed`.
 *
 * @param receiptQuorum the receipt form of the quorum (CRITICAL), until the quorum engine supplies it.
 */
export async function authoriseWithApprovals(h: Harness, actionId: string, approvals: GivenApproval[], receiptQuorum?: unknown): Promise<void> {
  const { store, clock, dispatcher, dispatchLeaseMs } = h.gw.ctx;
  const now = clock.now();
  const record = await store.tx(async (tx) => {
    const cur = await tx.getAction(actionId);
    if (cur === undefined || (cur.status !== 'awaiting_signature' && cur.status !== 'awaiting_quorum')) throw new Error(`action ${actionId} is not awaiting humans`);
    const first = await tx.audit(approvals.map((a) => entry('signature.verified', now, cur, { who: a.who, device: a.device, role: a.role, ...(a.liveness ? { liveness: a.liveness } : {}) })));
    const recorded = approvals.map((a, i) => ({ ...a, logIndex: first + i })) as Approval[];
    const moved = await tx.updateAction(actionId, [cur.status], { status: 'executing', approvals: recorded, dueAt: now + dispatchLeaseMs, updatedAt: now });
    if (moved === undefined) throw new Error('lost the race');
    const c = cur.classification;
    const at = await tx.audit([
      entry('action.authorised', now, cur, { event: cur.status === 'awaiting_signature' ? 'signature_verified' : 'quorum_met', tier: c.tier, approvals: recorded, policyHash: c.policyHash }),
      entry('action.dispatched', now, cur, { event: 'dispatch', attempt: 1 }),
    ]);
    return tx.updateAction(actionId, ['executing'], { authorisationLogIndex: at });
  });
  if (record === undefined) throw new Error('authorisation not recorded');
  const forward =
    receiptQuorum === undefined ? record : { ...record, classification: { ...record.classification, requirements: { ...record.classification.requirements, quorum: receiptQuorum } } };
  const done = await dispatcher.dispatch(forward);
  if (done.status !== 'executed') throw new Error(`action ${actionId} ended ${done.status}`);
}

/** NumericDate now. */
export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}
