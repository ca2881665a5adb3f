/**
 * Every state an action can be in. Terminal states never change again. `outcome_unknown` is not
 * terminal: the request may have been executed; it is resent under the same Idempotency-Key
 * until the actuator answers, and when the attempts run out it stays there until an admin
 * reconciles it.
 */
export const ACTION_STATUSES = [
  'received',
  'blocked',
  'cooling',
  'awaiting_signature',
  'awaiting_quorum',
  'authorised',
  'executing',
  'outcome_unknown',
  'executed',
  'failed',
  'vetoed',
  'expired',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<ActionStatus> = new Set(['blocked', 'executed', 'failed', 'vetoed', 'expired']);

export function isTerminal(s: ActionStatus): boolean {
  return TERMINAL_STATUSES.has(s);
}

/**
 * Settled: nothing more will happen to the action without a person. Terminal states, and
 * `outcome_unknown` once its resends are used up (no `dueAt`): it then waits for an admin to
 * reconcile it to executed or failed.
 */
export function isSettled(a: { status: ActionStatus; dueAt: number | null }): boolean {
  return isTerminal(a.status) || (a.status === 'outcome_unknown' && a.dueAt === null);
}
