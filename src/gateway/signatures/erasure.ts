import type { GatewayContext } from '../context.ts';
import { challengeClosedEntry } from './challenge-closed-entry.ts';
import type { ChallengeRow, ErasedRows } from '../ports/signatures.ts';

/**
 * What an erasure removes, as the `person.erased` log entry names it: the `sig_people` row
 * (declared modalities, display name, lock state, profile), fingerprints, enrolment summaries,
 * devices (passkey public keys, counters) and pending WebAuthn ceremonies.
 */
export const ERASED_CATEGORIES = ['profile', 'declared_modalities', 'fingerprints', 'enrolment_summaries', 'devices', 'webauthn_ceremonies'] as const;

/** Why a person is erased: an administrator's request (GDPR art. 17) or the retention schedule (BIPA §15(a)). */
export type ErasureGround = { basis: 'erasure_request'; by: string } | { basis: 'retention_schedule'; retentionDays: number; cutoff: number };

export interface Erasure {
  person: string;
  basis: ErasureGround['basis'];
  at: number;
  logIndex: number;
  rows: ErasedRows;
  /** Credential ids of the devices revoked and erased: no signature by them is valid after `at`. */
  devices: string[];
  /** Open challenges this erasure closed: the person's own, and those they were witnessing. */
  closed: ChallengeRow[];
}

/**
 * Erases one person's biometric and device data, closes the challenges that depended on it and
 * logs `person.erased`, all in one transaction: either everything is gone and logged, or nothing
 * changed. Undefined when there is nothing to erase (no record, or, for the retention schedule, the
 * person interacted again after the cutoff: re-checked here, in the transaction).
 *
 * The entry holds no biometric data: who, whom, when, on what ground, which categories, how many rows.
 */
export async function erasePersonData(
  ctx: GatewayContext,
  personId: string,
  ground: ErasureGround,
  nonceOf: (challengeId: string) => Uint8Array | undefined,
): Promise<Erasure | undefined> {
  const now = ctx.clock.now();
  return ctx.store.tx(async (tx): Promise<Erasure | undefined> => {
    if (await tx.signatures.person(personId) === undefined) return undefined;
    const lastInteractionAt = await tx.signatures.lastInteraction(personId) ?? 0;
    if (ground.basis === 'retention_schedule' && lastInteractionAt >= ground.cutoff) return undefined;
    // Fail closed: no open challenge may be answered on the strength of what is erased here.
    const closed: ChallengeRow[] = [];
    for (const c of await tx.signatures.openChallengesInvolving(personId)) if (await tx.signatures.endChallenge(c.id, 'cancelled', 'PERSON_ERASED', now)) closed.push(c);
    if (closed.length > 0) await tx.audit(closed.map((c) => challengeClosedEntry(c, now, 'PERSON_ERASED', c.state === 'active' ? nonceOf(c.id) : undefined)));
    const devices = await tx.signatures.credentialsOf(personId);
    const rows = await tx.signatures.eraseRows(personId);
    const logIndex = await tx.audit([
      {
        v: 1,
        type: 'person.erased',
        ts: now,
        person: personId,
        basis: ground.basis,
        ...(ground.basis === 'erasure_request' ? { by: ground.by } : { retentionDays: ground.retentionDays, lastInteractionAt }),
        categories: [...ERASED_CATEGORIES],
        rows,
        devices,
        challengesClosed: closed.map((c) => c.id),
      },
    ]);
    await tx.signatures.recordErasure({ person: personId, erasedAt: now, basis: ground.basis, logIndex });
    return { person: personId, basis: ground.basis, at: now, logIndex, rows, devices, closed };
  });
}
