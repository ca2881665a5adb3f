import { FirewallError } from '../errors.ts';
import type { ActionStatus } from './status.ts';

/**
 * The action state machine, in one place. Each transition names the event that causes it.
 * There is deliberately no edge from an awaiting state to `authorised` except by the event that
 * proves the humans answered, and no edge into `executing` except from `authorised`.
 */
export const TRANSITIONS = {
  block: { from: ['received'], to: 'blocked' },
  pass: { from: ['received'], to: 'authorised' }, // LOW: digital speed
  cool: { from: ['received'], to: 'cooling' }, // MEDIUM
  await_signature: { from: ['received'], to: 'awaiting_signature' }, // HIGH
  await_quorum: { from: ['received'], to: 'awaiting_quorum' }, // CRITICAL
  cooling_elapsed: { from: ['cooling'], to: 'authorised' },
  signature_verified: { from: ['awaiting_signature'], to: 'authorised' },
  quorum_met: { from: ['awaiting_quorum'], to: 'authorised' },
  veto: { from: ['cooling', 'awaiting_signature', 'awaiting_quorum'], to: 'vetoed' },
  expire: { from: ['awaiting_signature', 'awaiting_quorum'], to: 'expired' },
  dispatch: { from: ['authorised'], to: 'executing' },
  // A success answers an unknown outcome too (a resend under the same Idempotency-Key).
  upstream_answered: { from: ['executing', 'outcome_unknown'], to: 'executed' },
  // Only from `executing`: once the outcome is unknown, no later answer proves it did not run.
  upstream_failed: { from: ['executing'], to: 'failed' },
  upstream_unknown: { from: ['executing'], to: 'outcome_unknown' },
  // An admin's decision, with a reason, once the resends are used up (src/gateway/reconcile.ts).
  reconcile_executed: { from: ['outcome_unknown'], to: 'executed' },
  reconcile_failed: { from: ['outcome_unknown'], to: 'failed' },
} as const satisfies Record<string, { from: readonly ActionStatus[]; to: ActionStatus }>;

export type ActionEvent = keyof typeof TRANSITIONS;

export function nextStatus(current: ActionStatus, event: ActionEvent): ActionStatus {
  const t = TRANSITIONS[event];
  if (!(t.from as readonly ActionStatus[]).includes(current)) {
    throw new FirewallError('ACTION_TRANSITION_INVALID', `action in state '${current}' cannot take event '${event}'`, {
      status: 409,
      detail: { current, event },
    });
  }
  return t.to;
}

/** The states from which `event` may fire: the store uses this as a compare-and-set guard. */
export function sourcesOf(event: ActionEvent): readonly ActionStatus[] {
  return TRANSITIONS[event].from;
}
