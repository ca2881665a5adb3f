import { createHash, randomUUID } from 'node:crypto';
import { FirewallError } from '../../core/errors.ts';
import { sortModalities, type Modality } from '../../core/policy/modality.ts';
import { enrolmentDigest } from '../../core/signature/transcript.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import { DEVICE_REASONS } from './session-types.ts';
import { assertSelf, isPerson, txLocked, type SignatureState } from './signature-state.ts';
import { challengeView } from './views.ts';

/**
 * Challenges as people see them: one by id, those open for a person, the next one to sign, one
 * asked for explicitly (late enrolment, after a failed attempt), and an enrolment session.
 */

export async function challengeFor(s: SignatureState, principal: PrincipalRecord, challengeId: string): Promise<Record<string, unknown>> {
  const c = await s.store.getChallenge(challengeId);
  const isWitness = principal.roles.includes('comparator') && c?.mode === 'witness';
  if (c === undefined || (c.person !== principal.id && !isWitness) || !isPerson(principal)) {
    if (!isPerson(principal)) throw new FirewallError('ROLE_FORBIDDEN', 'challenges are for people', { status: 403 });
    throw new FirewallError('CHALLENGE_NOT_FOUND', `no challenge '${challengeId.slice(0, 100)}'`, { status: 404 });
  }
  const a = c.actionId === null ? undefined : await s.ctx.store.getAction(c.actionId);
  return challengeView(c, a);
}

export async function challengesOf(s: SignatureState, principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>[]> {
  assertSelf(principal, personId);
  const out: Record<string, unknown>[] = [];
  for (const c of await s.store.openChallengesOf(personId)) {
    const a = c.actionId === null ? undefined : await s.ctx.store.getAction(c.actionId);
    out.push(challengeView(c, a));
  }
  return out;
}

/**
 * A device asks what to sign next: challenges are issued for the actions waiting on the person
 * that have none open for them (idempotent), then the unstarted biological challenge that expires
 * first, with enough of its window left for the sustained duration. Locked: 423; no session left
 * this hour: 429 (a challenge could not be answered now); nothing to sign: 404.
 */
export async function nextChallenge(s: SignatureState, principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>> {
  assertSelf(principal, personId);
  const person = await s.store.getPerson(personId);
  if (person === undefined) throw new FirewallError('PERSON_NOT_FOUND', 'declare your modalities and enrol a device first', { status: 409 });
  if (person.lockedAt !== null) throw new FirewallError('PERSON_LOCKED', DEVICE_REASONS.locked, { status: 423 });
  const spent = await s.sessionsPerPerson.get(principal.id);
  if (spent !== null && spent.remainingPoints <= 0) {
    throw new FirewallError('RATE_LIMITED', 'too many signature sessions for this person this hour', { status: 429, detail: { retryAfterSeconds: Math.max(1, Math.ceil(spent.msBeforeNext / 1000)) } });
  }
  const now = s.ctx.clock.now();
  const open = (await s.issuer.issueWaiting(personId))
    .filter((c) => c.purpose === 'action' && c.mode === 'biological' && c.state === 'issued' && now + c.sustainedMs <= c.expiresAt)
    .sort((x, y) => x.expiresAt - y.expiresAt || x.issuedAt - y.issuedAt);
  const c = open[0];
  const a = c === undefined || c.actionId === null ? undefined : await s.ctx.store.getAction(c.actionId);
  if (c === undefined || a === undefined) throw new FirewallError('NO_OPEN_CHALLENGE', 'nothing awaits your signature (or your attempts for it are used up)', { status: 404 });
  return challengeView(c, a);
}

/** A person asks for a challenge for an action awaiting them (late enrolment, or after a failed attempt). */
export async function requestChallenge(s: SignatureState, principal: PrincipalRecord, personId: string, actionId: string): Promise<Record<string, unknown>> {
  assertSelf(principal, personId);
  const person = await s.store.getPerson(personId);
  if (person === undefined) throw new FirewallError('PERSON_NOT_FOUND', 'declare your modalities and enrol a device first', { status: 409 });
  if (person.lockedAt !== null) throw new FirewallError('PERSON_LOCKED', 'signing is locked for this person; ask an administrator', { status: 423 });
  const a = await s.ctx.store.getAction(actionId);
  if (a === undefined) throw new FirewallError('ACTION_NOT_FOUND', `no action '${actionId.slice(0, 100)}'`, { status: 404 });
  if (a.status !== 'awaiting_signature' && a.status !== 'awaiting_quorum') throw new FirewallError('ACTION_NOT_PENDING', `action is '${a.status}'`, { status: 409 });
  const mine = await s.issuer.roleOf(a, personId);
  if (mine === undefined) throw new FirewallError('NOT_AN_APPROVER', 'you are not asked to approve this action', { status: 403 });
  const c = await s.issuer.issueChallenge(a, personId, mine);
  if (c === undefined) throw new FirewallError('CHALLENGE_NOT_ISSUED', 'no challenge can be issued (no usable device, or the attempts for this action are used up)', { status: 409 });
  return challengeView(c, a);
}

export async function enrolmentSession(s: SignatureState, principal: PrincipalRecord, personId: string, body: { modalities: Modality[]; durationMs?: number }): Promise<Record<string, unknown>> {
  assertSelf(principal, personId);
  const person = await s.store.getPerson(personId);
  if (person === undefined) throw new FirewallError('PERSON_NOT_FOUND', 'declare your modalities first', { status: 409 });
  if (person.lockedAt !== null) throw new FirewallError('PERSON_LOCKED', 'signing is locked for this person; ask an administrator', { status: 423 });
  const modalities = sortModalities(body.modalities);
  const undeclared = modalities.filter((m) => !person.modalities.includes(m));
  if (undeclared.length > 0) throw new FirewallError('MODALITY_NOT_DECLARED', `not declared: ${undeclared.join(', ')}`, { status: 422 });
  if (!(await s.store.devicesOf(personId)).some((d) => d.revokedAt === null)) throw new FirewallError('DEVICE_REQUIRED', 'enrol a device first', { status: 409 });
  const nonce = await s.ctx.signer.random(32);
  const now = s.ctx.clock.now();
  const id = `chl_${randomUUID()}`;
  const sealedNonce = await s.issuer.nonces.seal(id, nonce);
  const row = {
    id,
    purpose: 'enrolment' as const,
    mode: 'biological' as const,
    actionId: null,
    digest: enrolmentDigest(personId, id),
    person: personId,
    role: 'authorizer' as const,
    modalities,
    sustainedMs: body.durationMs ?? 30_000,
    nonceSha256: createHash('sha256').update(nonce).digest('hex'),
    issuedAt: now,
    expiresAt: now + 10 * 60_000,
    sealedNonce,
  };
  const ok = await s.ctx.store.tx(async (tx): Promise<boolean | 'locked'> => {
    if (await txLocked(tx.signatures, personId)) return 'locked';
    if (!(await tx.signatures.insertChallenge(row))) return false;
    await tx.audit([{ v: 1, type: 'signature.challenge_issued', ts: now, challengeId: id, purpose: 'enrolment', digest: row.digest, person: personId, modalities, sustainedMs: row.sustainedMs, expiresAt: row.expiresAt, nonceSha256: row.nonceSha256 }]);
    return true;
  });
  if (ok !== true) s.issuer.nonces.forget(id);
  if (ok === 'locked') throw new FirewallError('PERSON_LOCKED', DEVICE_REASONS.locked, { status: 423 });
  if (!ok) throw new FirewallError('ENROLMENT_OPEN', 'an enrolment session is already open; use or let it expire', { status: 409 });
  return challengeView((await s.store.getChallenge(id))!);
}
