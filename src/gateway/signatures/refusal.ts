import { randomUUID } from 'node:crypto';
import { FirewallError } from '../../core/errors.ts';
import type { Fingerprint } from '../../core/liveness/index.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import { entry } from '../audit-entries.ts';
import { challengeClosedEntry, type ChallengeClosedReason } from './challenge-closed-entry.ts';
import { BIOMETRIC_DETAIL } from './liveness-summary.ts';
import { notifyPerson } from './person-notice.ts';
import { DEVICE_REASONS, type LiveEnd } from './session-types.ts';
import type { SignatureState } from './signature-state.ts';
import type { ChallengeRow, SignaturesTx } from '../ports/signatures.ts';

/**
 * Refusals, failure counting and the lock (docs/protocol.md §Lock): every refusal is logged; the
 * person's own failures count toward the lock; the lock closes every open challenge they answer or
 * witness, in the transaction that locks them.
 */

export interface RefuseOptions {
  count: boolean;
  consume: boolean;
  device?: string;
  fingerprint?: Fingerprint;
  counter?: number | undefined;
  detail?: Record<string, unknown>;
}

export async function refuse(s: SignatureState, c: ChallengeRow, principal: PrincipalRecord, code: string, o: RefuseOptions): Promise<{ locked: boolean; logIndex?: number; next?: string }> {
  const now = s.ctx.clock.now();
  const res = await s.ctx.store.tx(async (tx) => {
    const consumed = o.consume ? await tx.signatures.endChallenge(c.id, code === 'CHALLENGE_EXPIRED' ? 'expired' : 'failed', code, now) : false;
    // Erased while this session ran: nothing about that person's body is written again.
    const erased = await tx.signatures.person(c.person) === undefined;
    if (o.fingerprint !== undefined && !erased) await tx.signatures.insertFingerprint(c.person, c.id, o.fingerprint, now);
    // A valid assertion still moved the authenticator's counter: keep up with it (never back).
    if (o.counter !== undefined && o.device !== undefined) await tx.signatures.advanceCounter(o.device, o.counter, now);
    let locked = false;
    let failures: number | undefined;
    const countable = o.count && c.purpose === 'action';
    const p = await tx.signatures.person(principal.id);
    if (countable && p !== undefined && p.lockedAt === null) {
      failures = p.failures + 1;
      locked = failures >= s.config.lockAfterFailures;
      await tx.signatures.setFailures(p.id, failures, locked ? now : null, now);
    }
    if (c.purpose === 'enrolment' && !erased && o.fingerprint !== undefined && o.detail?.['liveness'] !== undefined) {
      await tx.signatures.insertEnrolment(c.id, c.person, o.detail['liveness'], false, now);
    }
    const body = {
      challengeId: c.id,
      who: principal.id,
      ...(principal.id === c.person ? {} : { person: c.person }),
      purpose: c.purpose,
      code,
      ...(o.device === undefined ? {} : { device: o.device }),
      ...(failures === undefined ? {} : { consecutiveFailures: failures }),
      ...Object.fromEntries(Object.entries(o.detail ?? {}).filter(([k]) => !(erased && BIOMETRIC_DETAIL.has(k)))),
    };
    const entries: Record<string, unknown>[] = [c.actionId === null ? { v: 1, type: 'signature.refused', ts: now, digest: c.digest, ...body } : entry('signature.refused', now, { id: c.actionId, digest: c.digest }, body)];
    const closed = locked ? await txLock(s, tx.signatures, principal.id, failures!, now, entries) : undefined;
    const logIndex = await tx.audit(entries);
    return { consumed, closed, logIndex };
  });
  if (res.consumed) s.issuer.nonces.forget(c.id);
  if (res.closed !== undefined) await afterLock(s, principal.id, res.closed, now);
  let next: string | undefined;
  if (res.consumed && c.purpose === 'action' && c.actionId !== null) {
    // Another try for the person (also after a witness's failed attempt, even one that locked the
    // witness), while the action waits and the policy's attempts last; never for a locked person.
    const a = await s.ctx.store.getAction(c.actionId);
    if (a !== undefined) next = (await s.issuer.issueChallenge(a, c.person, c.role).catch(() => undefined))?.id;
  }
  return { locked: res.closed !== undefined, logIndex: res.logIndex, ...(next === undefined ? {} : { next }) };
}

/** A principal tried a challenge that does not exist or is someone else's: logged, counted for them, nothing consumed. */
export async function refuseForeign(s: SignatureState, principal: PrincipalRecord, challengeId: string, code: string): Promise<void> {
  const now = s.ctx.clock.now();
  const closed = await s.ctx.store.tx(async (tx): Promise<ChallengeRow[] | undefined> => {
    const entries: Record<string, unknown>[] = [{ v: 1, type: 'signature.refused', ts: now, who: principal.id, challengeId: challengeId.slice(0, 200), code }];
    const p = await tx.signatures.person(principal.id);
    let closed: ChallengeRow[] | undefined;
    if (p !== undefined && p.lockedAt === null) {
      const failures = p.failures + 1;
      const locked = failures >= s.config.lockAfterFailures;
      await tx.signatures.setFailures(p.id, failures, locked ? now : null, now);
      if (locked) closed = await txLock(s, tx.signatures, p.id, failures, now, entries);
    }
    await tx.audit(entries);
    return closed;
  });
  if (closed !== undefined) await afterLock(s, principal.id, closed, now);
}

/**
 * A locked person witnesses nothing until unlocked: logged like other witness refusals (not
 * counted: the lock already answered), and a ceremony of theirs still open (`device`) is consumed.
 */
export async function refuseLockedWitness(s: SignatureState, principal: PrincipalRecord, challengeId: string, c: ChallengeRow | undefined, device?: string): Promise<never> {
  if (c === undefined) await refuseForeign(s, principal, challengeId, 'PERSON_LOCKED');
  else await refuse(s, c, principal, 'PERSON_LOCKED', { count: false, consume: device !== undefined, ...(device === undefined ? {} : { device }) });
  throw new FirewallError('PERSON_LOCKED', DEVICE_REASONS.locked, { status: 423 });
}

/**
 * Inside the transaction that locks the person: appends `signature.person_locked` and, after it, a
 * `signature.challenge_closed` for each open challenge they answer or witness (as erasure does),
 * closed here so that none (not even one with a session or witness ceremony under way) can be
 * answered on their authority while they are locked.
 */
async function txLock(s: SignatureState, tx: SignaturesTx, personId: string, failures: number, now: number, entries: Record<string, unknown>[]): Promise<ChallengeRow[]> {
  entries.push({ v: 1, type: 'signature.person_locked', ts: now, person: personId, failures });
  const closed: ChallengeRow[] = [];
  for (const c of await tx.openChallengesInvolving(personId)) if (await tx.endChallenge(c.id, 'cancelled', 'PERSON_LOCKED', now)) closed.push(c);
  for (const c of closed) entries.push(challengeClosedEntry(c, now, 'PERSON_LOCKED', c.state === 'active' ? s.issuer.nonces.cached(c.id) : undefined));
  return closed;
}

async function afterLock(s: SignatureState, personId: string, closed: readonly ChallengeRow[], now: number): Promise<void> {
  forgetClosed(s, closed, 'PERSON_LOCKED', { code: 'PERSON_LOCKED', message: 'the person was locked while the session ran' });
  notifyPerson(s.ctx, personId, 'locked', { person: personId, at: new Date(now).toISOString() }, { id: `msg_lock_${randomUUID().replaceAll('-', '')}`, type: 'signature.person_locked' });
  await reissueWitnessed(s, personId, closed, 'a lock');
}

/** After the commit that closed them: drop the challenges' secrets, end their sessions, tell the person's devices. */
export function forgetClosed(s: SignatureState, closed: readonly ChallengeRow[], reason: ChallengeClosedReason, end: LiveEnd): void {
  for (const c of closed) {
    s.issuer.nonces.forget(c.id);
    s.live.get(c.id)?.(end);
    notifyPerson(s.ctx, c.person, 'challenge_closed', { id: c.id, ...(c.actionId === null ? {} : { actionId: c.actionId }), reason });
  }
}

/** Someone `personId` was witnessing, when an erasure or lock closed that ceremony, may be asked again: another witness can help. */
export async function reissueWitnessed(s: SignatureState, personId: string, closed: readonly ChallengeRow[], after: string): Promise<void> {
  for (const c of closed) {
    if (c.person === personId || c.actionId === null) continue;
    const a = await s.ctx.store.getAction(c.actionId);
    if (a !== undefined) await s.issuer.issueChallenge(a, c.person, c.role).catch((e: unknown) => s.ctx.log.error({ challengeId: c.id, err: (e as Error).message }, `could not issue a fresh challenge after ${after}`));
  }
}
