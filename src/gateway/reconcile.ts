import type { Clock } from '../core/clock.ts';
import { FirewallError } from '../core/errors.ts';
import { sourcesOf } from '../core/action/state-machine.ts';
import type { Store } from './ports/store.ts';
import type { ActionRecord } from './action-record.ts';
import { entry } from './audit-entries.ts';

export const RECONCILE_OUTCOMES = ['executed', 'failed'] as const;
export type ReconcileOutcome = (typeof RECONCILE_OUTCOMES)[number];

/**
 * An admin settles an action whose outcome stayed unknown after its resends ran out, with the
 * outcome they established at the actuator and why. Only then: while a resend is scheduled the
 * actuator may still answer, and a decision could contradict it. Logged as action.executed or
 * action.failed with event `reconcile`, who and why; an executed one carries the receipt of the
 * first delivery whose outcome became unknown (the one that may have run).
 *
 * Error codes: ACTION_NOT_FOUND (404), ACTION_NOT_RECONCILABLE (409: not outcome_unknown),
 * ACTION_RESEND_PENDING (409: resends still scheduled), RECONCILE_INVALID (400: outcome or reason).
 */
export async function reconcileAction(
  deps: { store: Store; clock: Clock },
  input: { actionId: string; by: string; outcome: unknown; reason: unknown },
): Promise<ActionRecord> {
  const outcome = input.outcome;
  if (typeof outcome !== 'string' || !(RECONCILE_OUTCOMES as readonly string[]).includes(outcome)) {
    throw new FirewallError('RECONCILE_INVALID', "'outcome' must be 'executed' or 'failed'", { status: 400, detail: { field: 'outcome' } });
  }
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason.length === 0 || reason.length > 500) {
    throw new FirewallError('RECONCILE_INVALID', "'reason' must be 1-500 characters saying how the outcome was established", { status: 400, detail: { field: 'reason' } });
  }
  const o = outcome as ReconcileOutcome;
  const now = deps.clock.now();
  return deps.store.tx(async (tx) => {
    const current = await tx.getAction(input.actionId);
    if (current === undefined) throw new FirewallError('ACTION_NOT_FOUND', `no action '${input.actionId}'`, { status: 404 });
    const event = o === 'executed' ? 'reconcile_executed' : 'reconcile_failed';
    if (!sourcesOf(event).includes(current.status)) {
      throw new FirewallError('ACTION_NOT_RECONCILABLE', `action is '${current.status}'; only an unresolved outcome_unknown is reconciled`, { status: 409, detail: { status: current.status } });
    }
    if (current.dueAt !== null) {
      throw new FirewallError('ACTION_RESEND_PENDING', 'a resend is still scheduled: the actuator may yet answer', {
        status: 409,
        detail: { resendAt: new Date(current.dueAt).toISOString(), attempts: current.dispatchAttempts },
      });
    }
    const receipt = o === 'executed' && current.unknownReceipt !== undefined ? { receiptJti: current.unknownReceipt.jti, receipt: current.unknownReceipt.jws } : {};
    const logIndex = await tx.audit([entry(`action.${o}`, now, current, { event: 'reconcile', by: input.by, reason, attempts: current.dispatchAttempts, ...receipt })]);
    const updated = await tx.updateAction(input.actionId, ['outcome_unknown'], {
      status: o,
      updatedAt: now,
      reconciliation: { outcome: o, by: input.by, reason, at: now, logIndex },
    });
    if (updated === undefined) throw new FirewallError('ACTION_NOT_RECONCILABLE', 'the action changed meanwhile', { status: 409 });
    return updated;
  });
}
