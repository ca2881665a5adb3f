import { RateLimiterRes } from 'rate-limiter-flexible';
import { nextStatus } from '../../core/action/state-machine.ts';
import { FirewallError, isFirewallError } from '../../core/errors.ts';
import { buildProfile, REPLAY_CHECKS, verifyLiveness, withoutElements, type LivenessResult } from '../../core/liveness/index.ts';
import { sortModalities } from '../../core/policy/modality.ts';
import { assertionChallenge } from '../../core/signature/transcript.ts';
import type { HelloMessage } from '../../core/signature/messages.ts';
import { deriveStimulus, revealSchedule } from '../../core/stimulus/index.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { ActionRecord, Approval } from '../action-record.ts';
import { entry } from '../audit-entries.ts';
import { livenessSummary } from './liveness-summary.ts';
import { challengeRoles, usedRoles } from './challenge-roles.ts';
import { sessionMeetsPlan } from '../../core/policy/signature-roles.ts';
import { refuse, refuseForeign } from './refusal.ts';
import { GATEWAY_FAULT, NOT_COUNTED, SessionRefused, UNAVAILABLE, type SessionOutcome, type SessionPlan, type SessionResult } from './session-types.ts';
import { toQuorum, type SignatureState } from './signature-state.ts';
import { verifyAssertion } from './webauthn.ts';

/**
 * The live session of a biological signature, driven by the WebSocket transport
 * (adapters/http/challenge-socket.ts): `beginSession` consumes the challenge, `completeSession`
 * verifies the passkey assertion and the liveness of the transcript, `failSession` records an
 * early end.
 */

/**
 * Checks a `hello` from an authenticated principal and consumes the challenge (issued -> active,
 * durably, before anything is revealed). Throws SessionRefused; refusals after the person is
 * known are logged and counted.
 */
export async function beginSession(s: SignatureState, principal: PrincipalRecord, urlChallengeId: string, hello: HelloMessage): Promise<SessionPlan> {
  const c = await s.store.getChallenge(urlChallengeId);
  if (c === undefined || c.person !== principal.id) {
    await refuseForeign(s, principal, urlChallengeId, c === undefined ? 'CHALLENGE_NOT_FOUND' : 'CHALLENGE_NOT_YOURS');
    throw new SessionRefused('CHALLENGE_NOT_FOUND', 'no such challenge for this person', 'unavailable');
  }
  const person = await s.store.getPerson(c.person);
  if (person === undefined) throw new SessionRefused('CHALLENGE_NOT_FOUND', 'the person is not enrolled', 'unavailable');
  if (person.lockedAt !== null) {
    await refuse(s, c, principal, 'PERSON_LOCKED', { count: false, consume: false });
    throw new SessionRefused('PERSON_LOCKED', 'the person is locked', 'locked');
  }
  const now = s.ctx.clock.now();
  const fail = async (code: string, message: string, o: { count?: boolean; consume?: boolean; extra?: Record<string, unknown> } = {}): Promise<never> => {
    const r = await refuse(s, c, principal, code, { count: o.count ?? true, consume: o.consume ?? true, detail: { message, ...(o.extra ?? {}) } });
    throw new SessionRefused(code, message, r.locked ? 'locked' : UNAVAILABLE.has(code) ? 'unavailable' : 'refused', r.next);
  };
  if (c.state !== 'issued') return fail(c.state === 'expired' || c.state === 'cancelled' ? 'CHALLENGE_EXPIRED' : 'CHALLENGE_USED', `the challenge is ${c.state}`, { consume: false });
  if (now > c.expiresAt) return fail('CHALLENGE_EXPIRED', 'the challenge expired', { count: false });
  // A session that cannot end inside the window would be refused at the end: say so now.
  if (now + c.sustainedMs > c.expiresAt) return fail('CHALLENGE_EXPIRED', 'too little of the signature window is left for the sustained duration', { count: false });
  if (c.mode !== 'biological') return fail('MODE_WITNESS_ONLY', 'this challenge is answered through an institutional witness', { consume: false });
  // Any replica opens the nonce the HSM sealed at issue (challenge-nonces.ts).
  let nonce: Uint8Array | undefined;
  try {
    nonce = await s.issuer.nonces.open(c.id);
  } catch (e) {
    // Altered, or moved from another challenge: this challenge can never be answered.
    if (isFirewallError(e, 'SEAL_INVALID')) return fail('CHALLENGE_UNAVAILABLE', 'the stored challenge nonce does not open', { count: false });
    // The HSM does not answer: nothing is consumed or counted, the action goes on waiting.
    return fail('HSM_UNAVAILABLE', 'the HSM that opens challenge nonces does not answer; try again shortly', { count: false, consume: false });
  }
  if (nonce === undefined) return fail('CHALLENGE_UNAVAILABLE', 'the challenge was issued before nonces were stored sealed', { count: false });
  let action: ActionRecord | undefined;
  if (c.actionId !== null) {
    action = await s.ctx.store.getAction(c.actionId);
    if (action === undefined || (action.status !== 'awaiting_signature' && action.status !== 'awaiting_quorum')) return fail('ACTION_NOT_PENDING', 'the action no longer waits for a signature', { count: false });
  }
  try {
    await s.sessionsPerPerson.consume(principal.id);
  } catch (e) {
    if (e instanceof RateLimiterRes) return fail('RATE_LIMITED', 'too many signature sessions for this person this hour', { count: false, consume: false });
    throw e;
  }
  if (hello.challengeId !== c.id) return fail('STREAM_FOR_ANOTHER_CHALLENGE', 'the hello names another challenge than the session URL', { extra: { named: hello.challengeId.slice(0, 100) } });
  if (hello.person !== principal.id) return fail('PERSON_MISMATCH', 'the hello names another person than the authenticated one');
  if (hello.digest !== c.digest) return fail('DIGEST_MISMATCH', 'the device is about to sign another digest than the challenge binds');
  const device = await s.store.getDevice(hello.credentialId);
  if (device === undefined || device.person !== c.person) return fail('CREDENTIAL_NOT_OWNED', "the credential is not one of this person's devices", { extra: { credentialId: hello.credentialId.slice(0, 200) } });
  if (device.revokedAt !== null) return fail('DEVICE_REVOKED', 'the device was revoked');
  const modalities = sortModalities(hello.modalities);
  const outside = modalities.filter((m) => !c.modalities.includes(m));
  if (outside.length > 0) return fail('MODALITY_NOT_ALLOWED', `modalities not allowed for this challenge: ${outside.join(', ')}`);
  // The policy's modality roles, as the challenge showed them: enough primaries captured together
  // (or the fallback the challenge names). Nothing was revealed yet: the device may try again.
  const roles = challengeRoles(c, action);
  const short = roles === undefined ? null : sessionMeetsPlan(roles, modalities, c.sustainedMs);
  if (short !== null) return fail('ROLES_NOT_MET', short, { count: false, consume: false });
  const started = await s.ctx.store.tx(async (tx) => {
    if (!(await tx.signatures.startChallenge(c.id, device.credentialId, now))) return false;
    const body = { challengeId: c.id, who: c.person, device: device.credentialId, modalities, sustainedMs: c.sustainedMs };
    await tx.audit([c.actionId === null ? { v: 1, type: 'signature.session_started', ts: now, ...body } : entry('signature.session_started', now, { id: c.actionId, digest: c.digest }, body)]);
    return true;
  });
  if (!started) return fail('CHALLENGE_USED', 'the challenge was used concurrently', { consume: false });
  const stimulus = deriveStimulus(nonce, { durationMs: c.sustainedMs, modalities });
  return { challenge: { ...c, state: 'active' }, principal, person, device, modalities, nonce, stimulus, schedule: revealSchedule(stimulus), ...(roles === undefined ? {} : { roles }) };
}

/**
 * The transport ended a started session early (bad chunk, timing, disconnect, timeout), or
 * forwarded a LiveEnd from the service: those are logged but never count as failures.
 */
export async function failSession(s: SignatureState, plan: SessionPlan, code: string, message: string, extra: Record<string, unknown> = {}): Promise<SessionResult> {
  // A session the gateway ended (its action stopped waiting, the person was erased or locked)
  // gives back its point of the per-hour session limit: the person did nothing to spend it.
  if (NOT_COUNTED.has(code)) await s.sessionsPerPerson.reward(plan.principal.id, 1).catch(() => {});
  const r = await refuse(s, plan.challenge, plan.principal, code, {
    count: !NOT_COUNTED.has(code) && code !== GATEWAY_FAULT,
    consume: true,
    device: plan.device.credentialId,
    detail: { message, modalities: plan.modalities, nonce: Buffer.from(plan.nonce).toString('base64url'), ...extra },
  });
  return { accepted: false, code, ...(r.locked ? { locked: true } : {}), ...(r.logIndex === undefined ? {} : { logIndex: r.logIndex }), ...(r.next === undefined ? {} : { next: r.next }) };
}

/**
 * The device finished and signed. Verifies the passkey assertion (THIS person's credential, this
 * challenge, origin, RP ID, counter) and the liveness of the transcript, then records the
 * biological signature and (HIGH) authorises and dispatches the action.
 */
export async function completeSession(s: SignatureState, plan: SessionPlan, out: SessionOutcome): Promise<SessionResult> {
  const c = plan.challenge;
  const expected = assertionChallenge(plan.nonce, c.digest, out.transcriptHash);
  const device = await s.store.getDevice(plan.device.credentialId) ?? plan.device;
  let newCounter: number | undefined;
  let assertionProblem: string | undefined;
  try {
    ({ newCounter } = await verifyAssertion(s.config, device, out.assertion, expected));
  } catch (e) {
    assertionProblem = (e as Error).message;
  }
  // Liveness runs whatever the assertion said: its fingerprint is kept so a replay of this
  // transcript is recognised later, and the features explain the decision in the log.
  const person = await s.store.getPerson(c.person) ?? plan.person;
  const liveness = verifyLiveness({
    stimulus: plan.stimulus,
    streams: out.streams,
    history: await s.store.fingerprintHistory(c.person, s.config.historyLimit),
    ...(person.profile === null ? {} : { profile: person.profile }),
    arrivals: out.arrivals,
    reveal: out.reveal,
    // Supporting modalities (the policy's roles): a weak response of theirs does not reject.
    ...(plan.roles === undefined ? {} : { acceptance: { supporting: plan.modalities.filter((m) => plan.roles!.supporting.includes(m)) } }),
  });
  const summary = livenessSummary(liveness);
  // Which modalities of this session were primary and which supporting (the log and the approval say so).
  const used = usedRoles(plan);
  const common = {
    device: device.credentialId,
    modalities: plan.modalities,
    ...(used === undefined ? {} : { roles: used }),
    score: summary['score'],
    liveness: summary,
    transcriptHash: out.transcriptHash,
    nonce: Buffer.from(plan.nonce).toString('base64url'),
    chunks: out.chunks,
    assertion: { clientDataJSON: out.assertion.response.clientDataJSON, authenticatorData: out.assertion.response.authenticatorData, signature: out.assertion.response.signature },
  };
  if (assertionProblem !== undefined || !liveness.accepted) {
    const code = assertionProblem !== undefined ? 'ASSERTION_INVALID' : liveness.checks.some((x) => REPLAY_CHECKS.includes(x.id) && !x.passed) ? 'REPLAY_DETECTED' : 'LIVENESS_REJECTED';
    const r = await refuse(s, c, plan.principal, code, {
      count: true,
      consume: true,
      device: device.credentialId,
      // Per-element descriptors are kept for accepted sessions only (docs/privacy.md).
      fingerprint: withoutElements(liveness.fingerprint),
      counter: newCounter,
      detail: { ...common, reasons: [...(assertionProblem === undefined ? [] : [assertionProblem]), ...liveness.reasons] },
    });
    return { accepted: false, code, ...(r.locked ? { locked: true } : {}), ...(r.logIndex === undefined ? {} : { logIndex: r.logIndex }), ...(r.next === undefined ? {} : { next: r.next }) };
  }
  return recordVerified(s, plan, newCounter!, liveness, common);
}

async function recordVerified(s: SignatureState, plan: SessionPlan, newCounter: number, liveness: LivenessResult, common: Record<string, unknown>): Promise<SessionResult> {
  const c = plan.challenge;
  const now = s.ctx.clock.now();
  const person = c.person;
  type Out = { refuse: string } | { verifiedIndex: number; action?: ActionRecord; approval?: Approval };
  const res: Out = await s.ctx.store.tx(async (tx): Promise<Out> => {
    const cur = await tx.signatures.challenge(c.id);
    if (cur?.state !== 'active') return { refuse: 'CHALLENGE_USED' };
    let action: ActionRecord | undefined;
    if (c.actionId !== null) {
      action = await tx.getAction(c.actionId);
      const waiting = action !== undefined && (action.status === 'awaiting_signature' || action.status === 'awaiting_quorum');
      if (!waiting || now > c.expiresAt || (action!.dueAt !== null && now > action!.dueAt)) return { refuse: 'ACTION_NOT_PENDING' };
    } else if (now > c.expiresAt + c.sustainedMs + s.config.finishWithinMs + s.config.signTimeoutMs) {
      return { refuse: 'CHALLENGE_EXPIRED' };
    }
    if (!(await tx.signatures.advanceCounter(plan.device.credentialId, newCounter, now))) return { refuse: 'COUNTER_REGRESSION' };
    await tx.signatures.endChallenge(c.id, 'succeeded', 'VERIFIED', now);
    await tx.signatures.insertFingerprint(person, c.id, liveness.fingerprint, now);
    const p = await tx.signatures.person(person);
    await tx.signatures.setFailures(person, 0, p?.lockedAt ?? null, now);
    if (c.purpose === 'enrolment') {
      await tx.signatures.insertEnrolment(c.id, person, livenessSummary(liveness), true, now);
      const profile = buildProfile(await tx.signatures.acceptedEnrolments(person) as LivenessResult[]);
      await tx.signatures.setProfile(person, profile, now);
      const idx = await tx.audit([{ v: 1, type: 'signature.enrolment_recorded', ts: now, challengeId: c.id, who: person, digest: c.digest, accepted: true, profileModalities: Object.keys(profile), ...common }]);
      return { verifiedIndex: idx };
    }
    const verifiedIndex = await tx.audit([entry('signature.verified', now, action!, { challengeId: c.id, who: person, role: c.role, ...common })]);
    const approval: Approval = {
      who: person,
      device: plan.device.credentialId,
      role: c.role,
      // NumericDate seconds, as receipts carry it (docs/receipts.md `apv`).
      at: Math.floor(now / 1000),
      // `modality` is the receipt's field (one string); `modalities` lists each one used.
      liveness: { modality: plan.modalities.join('+'), modalities: plan.modalities, score: Number.isFinite(liveness.score) ? liveness.score : 0, rule: liveness.decision.rule, ...(plan.roles === undefined ? {} : { roles: usedRoles(plan), sustainedMs: c.sustainedMs }) },
      logIndex: verifiedIndex,
    };
    if (action!.status !== 'awaiting_signature') return { verifiedIndex, approval };
    // HIGH: awaiting_signature -> authorised (signature_verified) -> executing (dispatch), in this commit.
    const approvals = [...action!.approvals, approval];
    const status = nextStatus(nextStatus(action!.status, 'signature_verified'), 'dispatch');
    const moved = await tx.updateAction(action!.id, ['awaiting_signature'], { status, approvals, dueAt: now + s.ctx.dispatchLeaseMs, updatedAt: now });
    if (moved === undefined) throw new FirewallError('ACTION_TRANSITION_RACED', 'the action changed while the signature was recorded', { status: 409 });
    const first = await tx.audit([
      entry('action.authorised', now, action!, { event: 'signature_verified', tier: action!.classification.tier, approvals, policyHash: action!.classification.policyHash }),
      entry('action.dispatched', now, action!, { event: 'dispatch', attempt: 1 }),
    ]);
    const final = await tx.updateAction(action!.id, ['executing'], { authorisationLogIndex: first }, moved);
    return { verifiedIndex, action: final ?? moved, approval };
  });
  if ('refuse' in res) {
    const r = await refuse(s, c, plan.principal, res.refuse, { count: res.refuse === 'COUNTER_REGRESSION', consume: true, device: plan.device.credentialId, detail: common });
    return { accepted: false, code: res.refuse, ...(r.locked ? { locked: true } : {}), ...(r.logIndex === undefined ? {} : { logIndex: r.logIndex }) };
  }
  s.issuer.nonces.forget(c.id);
  if (res.action !== undefined) {
    s.ctx.bus.changed(res.action);
    s.ctx.dispatcher.start(res.action);
    return { accepted: true, code: 'VERIFIED', logIndex: res.verifiedIndex, actionStatus: res.action.status };
  }
  if (res.approval !== undefined && c.actionId !== null) await toQuorum(s, c.actionId, { ...res.approval, digest: c.digest });
  const a = c.actionId === null ? undefined : await s.ctx.store.getAction(c.actionId);
  return { accepted: true, code: 'VERIFIED', logIndex: res.verifiedIndex, ...(a === undefined ? {} : { actionStatus: a.status }) };
}
