import type { ActionSummary } from '../../core/signature/summary.ts';

/**
 * What a person may be asked to do, by kind:
 * - `signature`: a HIGH action awaiting my biological signature (an open challenge of mine);
 * - `share`: a CRITICAL action awaiting my share of its quorum (an open challenge of mine);
 * - `veto`: a MEDIUM action cooling that I may veto (a policy vetoer with role authorizer), until `deadline`;
 * - `comparator`: a CRITICAL action whose non-biological comparator group names me (role comparator);
 * - `witness`: another person's witness-mode challenge I may witness (role comparator; docs/protocol.md §7);
 * - `witnessed`: an action awaiting me through a witness-mode challenge of mine (the witness path,
 *   or the policy's roles sent me there): a witness confirms it with me in person.
 */
export type InboxKind = 'signature' | 'share' | 'veto' | 'comparator' | 'witness' | 'witnessed';

export interface InboxItem extends Pick<ActionSummary, 'tier' | 'operation' | 'actuator' | 'target' | 'amount' | 'currency' | 'agent'> {
  kind: InboxKind;
  actionId: string;
  status: string;
  /** ISO time: when cooling ends (veto) or the signature window closes. */
  deadline?: string;
  challengeId?: string;
  /** witness: the person to be witnessed. */
  person?: string;
}
