import { nextStatus } from '../../core/action/state-machine.ts';
import { FirewallError, isFirewallError } from '../../core/errors.ts';
import { assertionChallenge, witnessStatementHash, type WitnessStatement } from '../../core/signature/transcript.ts';
import type { AuthenticationResponse } from '../../core/signature/messages.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { ChallengeRow } from '../ports/signatures.ts';
import type { ActionRecord, Approval } from '../action-record.ts';
import { entry } from '../audit-entries.ts';
import { refuse, refuseLockedWitness } from './refusal.ts';
import { isLocked, toQuorum, txLocked, type SignatureState } from './signature-state.ts';
import { challengeView } from './views.ts';
import { authenticationOptions, verifyAssertion } from './webauthn.ts';

/**
 * The institutional witness (nobody is excluded): a designated comparator, in person with someone
 * who can use no modality, signs with their own passkey over the person's challenge and a witness
 * statement (docs/protocol.md §Witness).
 */

/**
 * A designated comparator, in person with someone who can use no modality, asks to witness that
 * person's challenge. Consumes the challenge and returns the WebAuthn options over
 * SHA-256(nonce || digest || SHA-256(witness statement)).
 */
export async function witnessOptions(s: SignatureState, principal: PrincipalRecord, challengeId: string, body: { credentialId: string }): Promise<Record<string, unknown>> {
  if (!principal.roles.includes('comparator')) throw new FirewallError('ROLE_FORBIDDEN', 'only a designated comparator can witness', { status: 403 });
  const c = await s.store.getChallenge(challengeId);
  if (c === undefined || c.mode !== 'witness' || c.actionId === null) throw new FirewallError('CHALLENGE_NOT_FOUND', 'no witness challenge with this id', { status: 404 });
  const a = await s.ctx.store.getAction(c.actionId);
  const agent = a === undefined ? undefined : await s.ctx.store.principals.get(a.agent);
  if (principal.id === c.person || principal.id === a?.agent || principal.id === agent?.owner) {
    throw new FirewallError('WITNESS_NOT_INDEPENDENT', 'a witness must be independent of the person and of the requesting agent', { status: 403 });
  }
  const device = await s.store.getDevice(body.credentialId);
  if (device === undefined || device.person !== principal.id || device.revokedAt !== null) throw new FirewallError('DEVICE_NOT_FOUND', 'no such device of yours', { status: 404 });
  const now = s.ctx.clock.now();
  if (c.state !== 'issued') throw new FirewallError('CHALLENGE_USED', `the challenge is ${c.state}`, { status: 409 });
  if (now > c.expiresAt || a === undefined || (a.status !== 'awaiting_signature' && a.status !== 'awaiting_quorum')) {
    throw new FirewallError('CHALLENGE_EXPIRED', 'the challenge or its action is no longer open', { status: 409 });
  }
  const nonce = await openNonce(s, c.id, () => new FirewallError('CHALLENGE_UNAVAILABLE', 'the challenge was issued before nonces were stored sealed', { status: 409 }));
  const started = await s.ctx.store.tx(async (tx): Promise<boolean | 'locked'> => {
    // A locked witness starts nothing; read here so that a lock committed just before, even in this
    // batch, counts (the lock closes only ceremonies already started).
    if (await txLocked(tx.signatures, principal.id)) return 'locked';
    if (!(await tx.signatures.startChallenge(c.id, device.credentialId, now))) return false;
    await tx.audit([entry('signature.witness_started', now, a, { challengeId: c.id, who: principal.id, person: c.person, device: device.credentialId })]);
    return true;
  });
  if (started === 'locked') return refuseLockedWitness(s, principal, c.id, c);
  if (!started) throw new FirewallError('CHALLENGE_USED', 'the challenge was used concurrently', { status: 409 });
  const { expected, statementHash, statement } = ceremonyChallenge(nonce, c, principal.id, device.credentialId);
  // An abandoned witness ceremony must not block the person's fallback until the action expires.
  // Another replica may have completed it meanwhile: the stored challenge says whether it is still open.
  const timer = setTimeout(() => {
    void (async () => {
      const current = await s.store.getChallenge(c.id);
      if (current?.state !== 'active' || current.device !== device.credentialId) return;
      await refuse(s, current, principal, 'WITNESS_TIMEOUT', { count: false, consume: true, device: device.credentialId });
    })().catch((e: unknown) => s.ctx.log.error({ challengeId: c.id, err: (e as Error).message }, 'could not close an abandoned witness ceremony'));
  }, s.config.witnessTtlMs + 1000);
  timer.unref();
  const options = await authenticationOptions(s.config, { challenge: new Uint8Array(Buffer.from(expected, 'base64url')), allow: [device] });
  return {
    challengeId: c.id,
    nonce: Buffer.from(nonce).toString('base64url'),
    digest: c.digest,
    descriptor: a.descriptor,
    summary: challengeView(c, a)['summary'],
    statement,
    statementHash,
    options,
  };
}

/** The challenge's nonce, opened by the HSM (any replica can); `absent` when none is stored. */
async function openNonce(s: SignatureState, challengeId: string, absent: () => FirewallError): Promise<Uint8Array> {
  let nonce: Uint8Array | undefined;
  try {
    nonce = await s.issuer.nonces.open(challengeId);
  } catch (e) {
    if (isFirewallError(e, 'SEAL_INVALID')) throw new FirewallError('CHALLENGE_UNAVAILABLE', 'the stored challenge nonce does not open', { status: 409 });
    throw new FirewallError('HSM_UNAVAILABLE', 'the HSM that opens challenge nonces does not answer; try again shortly', { status: 503, cause: e });
  }
  if (nonce === undefined) throw absent();
  return nonce;
}

/** The statement a witness signs for challenge `c` with device `credentialId`, and the WebAuthn challenge over it. */
function ceremonyChallenge(nonce: Uint8Array, c: ChallengeRow, witness: string, credentialId: string): { statement: WitnessStatement; statementHash: string; expected: string } {
  const statement: WitnessStatement = { v: 1, type: 'witness', challengeId: c.id, digest: c.digest, person: c.person, witness, credentialId };
  const statementHash = witnessStatementHash(statement);
  return { statement, statementHash, expected: assertionChallenge(nonce, c.digest, statementHash) };
}

/**
 * The ceremony witnessOptions started on challenge `c`, as the store holds it (the device that
 * started it, when, and the device's owner as the witness), so that any replica can complete it.
 */
async function startedCeremony(s: SignatureState, c: ChallengeRow | undefined): Promise<{ witness: string; credentialId: string; deadline: number } | undefined> {
  if (c === undefined || c.mode !== 'witness' || c.device === null || c.startedAt === null) return undefined;
  const device = await s.store.getDevice(c.device);
  return device === undefined ? undefined : { witness: device.person, credentialId: c.device, deadline: c.startedAt + s.config.witnessTtlMs };
}

export async function witnessComplete(s: SignatureState, principal: PrincipalRecord, challengeId: string, body: { credential: AuthenticationResponse }): Promise<Record<string, unknown>> {
  const c = await s.store.getChallenge(challengeId);
  const pending = await startedCeremony(s, c);
  const mine = pending !== undefined && pending.witness === principal.id;
  // The lock closed the witness's ceremonies: say why, rather than 404.
  if (await isLocked(s, principal.id)) {
    return refuseLockedWitness(s, principal, challengeId, c?.mode === 'witness' ? c : undefined, mine && c!.state === 'active' ? pending.credentialId : undefined);
  }
  // A ceremony closed by the erasure of its witness has no device left to name them: it is over either way.
  if (pending === undefined && c?.mode === 'witness' && c.device !== null && c.state !== 'active') throw new FirewallError('CHALLENGE_USED', `the challenge is ${c.state}`, { status: 409 });
  if (!mine || c === undefined || c.actionId === null) {
    throw new FirewallError('CHALLENGE_NOT_FOUND', 'no witness ceremony of yours for this challenge', { status: 404 });
  }
  // An erasure (of the witness or of the person) closes the challenge first: fail closed, nothing tried.
  if (c.state !== 'active') throw new FirewallError('CHALLENGE_USED', `the challenge is ${c.state}`, { status: 409 });
  const now = s.ctx.clock.now();
  const nonce = await openNonce(s, c.id, () => new FirewallError('CHALLENGE_USED', 'the challenge was closed meanwhile', { status: 409 }));
  const { expected, statementHash } = ceremonyChallenge(nonce, c, pending.witness, pending.credentialId);
  const detail = { device: pending.credentialId, person: c.person, statementHash, nonce: Buffer.from(nonce).toString('base64url') };
  const refuseWitness = async (code: string, message: string): Promise<never> => {
    await refuse(s, c, principal, code, { count: true, consume: true, device: pending.credentialId, detail: { ...detail, message } });
    throw new FirewallError('SIGNATURE_REFUSED', 'the witness signature was refused', { status: 409 });
  };
  // Revoked (or erased) since the options were issued: a revoked device signs nothing.
  const device = await s.store.getDevice(pending.credentialId);
  if (device === undefined || device.revokedAt !== null) return refuseWitness('DEVICE_REVOKED', 'the witness device was revoked after the ceremony started');
  if (now > pending.deadline) return refuseWitness('WITNESS_TIMEOUT', 'the witness took too long');
  let newCounter: number;
  try {
    ({ newCounter } = await verifyAssertion(s.config, device, body.credential, expected));
  } catch (e) {
    return refuseWitness('ASSERTION_INVALID', (e as Error).message);
  }
  const assertion = { clientDataJSON: body.credential.response.clientDataJSON, authenticatorData: body.credential.response.authenticatorData, signature: body.credential.response.signature };
  type Out = { refuse: string } | { action: ActionRecord; approval: Approval; verifiedIndex: number; moved: boolean };
  const res: Out = await s.ctx.store.tx(async (tx): Promise<Out> => {
    if ((await tx.signatures.challenge(c.id))?.state !== 'active') return { refuse: 'CHALLENGE_USED' };
    const action = await tx.getAction(c.actionId!);
    if (action === undefined || (action.status !== 'awaiting_signature' && action.status !== 'awaiting_quorum') || now > c.expiresAt) return { refuse: 'ACTION_NOT_PENDING' };
    if (!(await tx.signatures.advanceCounter(device.credentialId, newCounter, now))) return { refuse: 'COUNTER_REGRESSION' };
    await tx.signatures.endChallenge(c.id, 'succeeded', 'WITNESSED', now);
    const verifiedIndex = await tx.audit([entry('signature.verified', now, action, { challengeId: c.id, who: principal.id, role: 'witness', mode: 'witness', onBehalfOf: c.person, ...detail, assertion })]);
    // onBehalfOf: the person who authorised in front of the witness (receipts list it in `apv`).
    const approval = { who: principal.id, device: device.credentialId, role: 'witness' as const, at: Math.floor(now / 1000), logIndex: verifiedIndex, onBehalfOf: c.person };
    if (action.status !== 'awaiting_signature') return { action, approval, verifiedIndex, moved: false };
    const approvals = [...action.approvals, approval];
    const status = nextStatus(nextStatus(action.status, 'signature_verified'), 'dispatch');
    const moved = await tx.updateAction(action.id, ['awaiting_signature'], { status, approvals, dueAt: now + s.ctx.dispatchLeaseMs, updatedAt: now });
    if (moved === undefined) throw new FirewallError('ACTION_TRANSITION_RACED', 'the action changed while the signature was recorded', { status: 409 });
    const first = await tx.audit([
      entry('action.authorised', now, action, { event: 'signature_verified', tier: action.classification.tier, approvals, policyHash: action.classification.policyHash }),
      entry('action.dispatched', now, action, { event: 'dispatch', attempt: 1 }),
    ]);
    return { action: (await tx.updateAction(action.id, ['executing'], { authorisationLogIndex: first }, moved)) ?? moved, approval, verifiedIndex, moved: true };
  });
  if ('refuse' in res) return refuseWitness(res.refuse, 'the action or challenge changed before the witness signature was recorded');
  s.issuer.nonces.forget(c.id);
  if (res.moved) {
    s.ctx.bus.changed(res.action);
    s.ctx.dispatcher.start(res.action);
  } else {
    await toQuorum(s, c.actionId, { ...res.approval, digest: c.digest });
  }
  return { accepted: true, approval: res.approval, logIndex: res.verifiedIndex, actionStatus: res.action.status };
}

