/** Every state an action can be in. Terminal states never change again. */
export const ACTION_STATUSES = [
  'received',
  'blocked',
  'cooling',
  'awaiting_signature',
  'awaiting_quorum',
  'authorised',
  'executing',
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
