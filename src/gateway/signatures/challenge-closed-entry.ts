import { entry } from '../audit-entries.ts';
import type { ChallengeRow } from '../ports/signatures.ts';

/** Why a challenge closed unanswered, as `signature.challenge_closed` records it (docs/protocol.md §4). */
export type ChallengeClosedReason = `ACTION_${string}` | 'GATEWAY_RESTARTED' | 'SESSION_LOST' | 'PERSON_ERASED' | 'PERSON_LOCKED';

/**
 * The log entry of a challenge closed without being answered (action gone, restart, lost session, erasure, lock).
 * A session that had started publishes its nonce, so anyone can recompute the stimulus it revealed.
 */
export function challengeClosedEntry(c: Pick<ChallengeRow, 'id' | 'actionId' | 'digest' | 'person'>, now: number, reason: ChallengeClosedReason, nonce?: Uint8Array): Record<string, unknown> {
  const body = { challengeId: c.id, person: c.person, reason, ...(nonce === undefined ? {} : { nonce: Buffer.from(nonce).toString('base64url') }) };
  return c.actionId === null ? { v: 1, type: 'signature.challenge_closed', ts: now, ...body } : entry('signature.challenge_closed', now, { id: c.actionId, digest: c.digest }, body);
}
