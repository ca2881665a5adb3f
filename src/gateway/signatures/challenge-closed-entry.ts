import { entry } from '../audit-entries.ts';
import type { ChallengeRow } from './signature-store.ts';

/**
 * The log entry of a challenge closed without being answered (action gone, restart, erasure). A
 * session that had started publishes its nonce, so anyone can recompute the stimulus it revealed.
 */
export function challengeClosedEntry(c: Pick<ChallengeRow, 'id' | 'actionId' | 'digest' | 'person'>, now: number, reason: string, nonce?: Uint8Array): Record<string, unknown> {
  const body = { challengeId: c.id, person: c.person, reason, ...(nonce === undefined ? {} : { nonce: Buffer.from(nonce).toString('base64url') }) };
  return c.actionId === null ? { v: 1, type: 'signature.challenge_closed', ts: now, ...body } : entry('signature.challenge_closed', now, { id: c.actionId, digest: c.digest }, body);
}
