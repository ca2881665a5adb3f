import { createHash } from 'node:crypto';
import type { AttemptOutcome } from '../core/action/outcome.ts';
import type { Clock } from '../core/clock.ts';
import type { Store } from './ports/store.ts';
import type { ActionRecord, UpstreamResult } from './action-record.ts';
import { entry } from './audit-entries.ts';

/** What one delivery attempt came to (core/action/outcome.ts), with what the actuator answered if it did. */
export interface Attempt {
  outcome: AttemptOutcome;
  /** Why it did not execute, or why its outcome is unknown; absent for `executed`. */
  code?: string;
  result?: UpstreamResult;
  receipt?: { jws: string; jti: string };
}

export interface SettleDeps {
  store: Store;
  clock: Clock;
  dispatchLeaseMs: number;
  maxAttempts: number;
  log: { warn: (obj: object, msg: string) => void };
}

function answerFields(a: Attempt): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (a.result !== undefined) {
    out['upstreamStatus'] = a.result.status;
    out['responseSha256'] = createHash('sha256').update(Buffer.from(a.result.bodyB64, 'base64')).digest('hex');
  }
  // The receipt itself (a signature, no secret) lets a regulator check what the actuator was shown.
  if (a.receipt !== undefined) Object.assign(out, { receiptJti: a.receipt.jti, receipt: a.receipt.jws });
  return out;
}

/**
 * Records one attempt's outcome, compare-and-set on the status the attempt started from, and
 * returns the record as it now stands (undefined when something else moved it meanwhile).
 *
 * From `executing`: a success executes; a definite refusal fails at once; "not processed" is
 * retried and fails when the attempts run out; an unknown outcome moves to `outcome_unknown`.
 * From `outcome_unknown` only a success resolves the action: anything else is a failed resend,
 * and when the attempts run out, or the actuator refuses the resend (which speaks for the resend,
 * not for the first delivery), the action stays `outcome_unknown` with no resend scheduled
 * (`action.unresolved`): people are told and an admin reconciles it.
 */
export async function settleAttempt(d: SettleDeps, record: ActionRecord, a: Attempt): Promise<ActionRecord | undefined> {
  const now = d.clock.now();
  const from = record.status;
  if (a.outcome === 'executed') {
    const result = a.result!;
    return d.store.tx(async (tx) => {
      const next = await tx.updateAction(record.id, [from], { status: 'executed', result, dueAt: null, updatedAt: now }, record);
      if (next !== undefined) {
        await tx.audit([entry('action.executed', now, record, { event: 'upstream_answered', attempt: record.dispatchAttempts + 1, ...answerFields(a) })]);
      }
      return next;
    }, { durable: false });
  }
  const code = a.code ?? 'UPSTREAM_UNREACHABLE';
  // The signer being down is the gateway's own outage, not the actuator's answer: wait for it
  // without using up the action's attempts, so the action runs once the HSM is back.
  const ownOutage = code.startsWith('SIGNER_');
  const attempts = record.dispatchAttempts + (ownOutage ? 0 : 1);
  const exhausted = !ownOutage && attempts >= d.maxAttempts;
  const retryAt = now + Math.min(d.dispatchLeaseMs, 250 * 2 ** Math.max(attempts, 1));
  d.log.warn({ actionId: record.id, attempt: attempts, code, outcome: a.outcome, from }, 'dispatch attempt did not execute the action');
  const body = { attempt: attempts, code, ...answerFields(a) };
  const kept = a.result === undefined ? {} : { result: a.result };

  let patch: Partial<ActionRecord>;
  let entries: Record<string, unknown>[];
  if (from === 'executing') {
    if (a.outcome === 'refused' || (a.outcome === 'not_processed' && exhausted)) {
      patch = { status: 'failed', dueAt: null, error: code, dispatchAttempts: attempts, ...kept };
      entries = [entry('action.failed', now, record, { event: 'upstream_failed', outcome: a.outcome, ...body })];
    } else if (a.outcome === 'not_processed') {
      patch = { dueAt: retryAt, error: code, dispatchAttempts: attempts, ...kept };
      entries = [entry('action.dispatch_failed', now, record, { event: 'retry', outcome: a.outcome, ...body })];
    } else {
      patch = { status: 'outcome_unknown', dueAt: exhausted ? null : retryAt, error: code, dispatchAttempts: attempts, ...kept, ...(a.receipt === undefined ? {} : { unknownReceipt: a.receipt }) };
      entries = [entry('action.outcome_unknown', now, record, { event: 'upstream_unknown', ...body })];
      if (exhausted) entries.push(entry('action.unresolved', now, record, { event: 'attempts_exhausted', attempts }));
    }
  } else {
    const stop = exhausted || a.outcome === 'refused';
    patch = { dueAt: stop ? null : retryAt, error: code, dispatchAttempts: attempts, ...kept };
    entries = [entry('action.resend_failed', now, record, { event: 'retry', outcome: a.outcome, ...body })];
    if (stop) entries.push(entry('action.unresolved', now, record, { event: a.outcome === 'refused' ? 'resend_refused' : 'attempts_exhausted', attempts }));
  }
  return d.store.tx(async (tx) => {
    const updated = await tx.updateAction(record.id, [from], { ...patch, updatedAt: now }, record);
    if (updated !== undefined) await tx.audit(entries);
    return updated;
  });
}
