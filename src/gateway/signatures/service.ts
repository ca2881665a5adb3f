import { createHash, randomUUID } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { nextStatus } from '../../core/action/state-machine.ts';
import { FirewallError } from '../../core/errors.ts';
import { buildProfile, verifyLiveness, type ChunkArrival, type Fingerprint, type LivenessResult, type SessionStreams } from '../../core/liveness/index.ts';
import { sortModalities, type Modality } from '../../core/policy/modality.ts';
import { assertionChallenge, enrolmentDigest, witnessStatementHash, type WitnessStatement } from '../../core/signature/transcript.ts';
import type { AuthenticationResponse, HelloMessage, RegistrationResponse } from '../../core/signature/messages.ts';
import { deriveStimulus, revealSchedule, type RevealEvent, type Stimulus } from '../../core/stimulus/index.ts';
import type { PrincipalRecord } from '../../adapters/store/store.ts';
import type { ActionRecord, Approval } from '../action-record.ts';
import { entry } from '../audit-entries.ts';
import type { GatewayContext } from '../context.ts';
import { challengeClosedEntry, type ChallengeClosedReason } from './challenge-closed-entry.ts';
import { ChallengeIssuer } from './challenge-issuer.ts';
import type { SignatureConfig } from './config.ts';
import { erasePersonData, type Erasure, type ErasureGround } from './erasure.ts';
import { notifyPerson } from './person-notice.ts';
import { DEVICE_KINDS, type ChallengeRow, type DeviceKind, type DeviceRow, type PersonRow, type SignatureStore } from './signature-store.ts';
import { challengeView, deviceView, erasureView, personView } from './views.ts';
import { authenticationOptions, registrationOptions, verifyAssertion, verifyRegistration } from './webauthn.ts';

/**
 * Where a CRITICAL action's biological (or witness) approval goes: the quorum engine
 * (src/gateway/approvals.ts `recordApproval`) evaluates the quorum and moves the action; `digest`
 * is the digest the approver's passkey signed. Without a sink the approval stays in the log
 * (signature.verified) and the action keeps waiting.
 */
export type QuorumApprovalSink = (ctx: GatewayContext, actionId: string, approval: Approval & { digest: string }) => Promise<unknown>;

/** The roles that may hold devices and answer challenges. Agents never. */
const HUMAN_ROLES = new Set(['authorizer', 'comparator']);

/** Refusal codes the log records; the device only ever sees one of DEVICE_REASONS. */
export const DEVICE_REASONS = {
  refused: 'signature refused',
  unavailable: 'challenge unavailable',
  locked: 'signing is locked for this person; ask an administrator',
  unauthenticated: 'authentication failed',
} as const;
export type DeviceReason = keyof typeof DEVICE_REASONS;

/** Codes that mean the challenge could not be used at all (nothing was tried). */
const UNAVAILABLE = new Set(['CHALLENGE_NOT_FOUND', 'CHALLENGE_USED', 'CHALLENGE_EXPIRED', 'CHALLENGE_UNAVAILABLE', 'ACTION_NOT_PENDING', 'RATE_LIMITED']);

export class SessionRefused extends FirewallError {
  readonly deviceReason: DeviceReason;
  readonly next: string | undefined;
  constructor(code: string, message: string, deviceReason: DeviceReason, next?: string) {
    super(code, message, { status: deviceReason === 'unauthenticated' ? 401 : deviceReason === 'locked' ? 423 : 409 });
    this.deviceReason = deviceReason;
    this.next = next;
  }
}

/**
 * Codes of sessions the gateway ends for reasons of its own (the action stopped waiting, the person
 * was erased or locked, the gateway restarted): not the person's failure, so never counted toward
 * the lock. A session cut short by a lock would otherwise add a failure the lock already answered.
 */
const GATEWAY_ENDED = ['ACTION_NOT_PENDING', 'PERSON_ERASED', 'PERSON_LOCKED', 'GATEWAY_RESTARTED'] as const;
export type GatewayEndCode = (typeof GATEWAY_ENDED)[number];
const NOT_COUNTED: ReadonlySet<string> = new Set<string>(GATEWAY_ENDED);

/**
 * A fault of the gateway's own while it handled a started session (an exception in the transport
 * or the final verification). It fails closed like any refusal (the challenge is consumed, the
 * action's attempt is used), but it is not the person's failure, so it never counts toward the
 * lock. Unlike GATEWAY_ENDED it keeps its point of the per-hour session limit spent: a fault that
 * a device could provoke on purpose must not become a way to try without limit.
 */
const GATEWAY_FAULT = 'INTERNAL_ERROR';

/**
 * Why the service ends a running session: the refusal code the log records for it (a string
 * literal, so the transport forwards it without reading messages) and its message.
 */
export interface LiveEnd {
  code: GatewayEndCode;
  message: string;
}

/** Everything a running session needs; the nonce and stimulus never leave this process's memory. */
export interface SessionPlan {
  challenge: ChallengeRow;
  principal: PrincipalRecord;
  person: PersonRow;
  device: DeviceRow;
  modalities: Modality[];
  nonce: Uint8Array;
  stimulus: Stimulus;
  schedule: RevealEvent[];
}

/** What the transport hands over when the device has sent its assertion. */
export interface SessionOutcome {
  transcriptHash: string;
  assertion: AuthenticationResponse;
  streams: SessionStreams;
  arrivals: Partial<Record<Modality, ChunkArrival[]>>;
  /** The reveal events with revealAt = the time each was actually sent. */
  reveal: RevealEvent[];
  chunks: number;
}

export interface SessionResult {
  accepted: boolean;
  code: string;
  /** This refusal locked the person: the device is told so (it reveals no check, only the lock). */
  locked?: boolean;
  logIndex?: number;
  actionStatus?: string;
  next?: string;
}

interface WitnessPending {
  witness: string;
  credentialId: string;
  expected: string;
  statementHash: string;
  deadline: number;
}

function sha256hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** JSON (and RFC 8785) cannot carry NaN or infinities: a feature that could not be computed is null. */
function finite(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map(finite);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, finite(x)]));
  return v;
}

/** Liveness, reduced to what the log and a profile may keep: decisions, scores, features, failed check ids. */
export function livenessSummary(r: LivenessResult): Record<string, unknown> {
  const modalities: Record<string, unknown> = {};
  for (const [m, res] of Object.entries(r.modalities)) {
    if (res === undefined) continue;
    modalities[m] = { accepted: res.accepted, score: finite(res.score), features: finite(res.features), failedChecks: res.checks.filter((c) => !c.passed).map((c) => c.id) };
  }
  return { accepted: r.accepted, score: finite(r.score), modalities, failedChecks: r.checks.filter((c) => !c.passed).map((c) => c.id) };
}

/** Detail fields of a refusal that describe the person's body: never logged once the person is erased. */
const BIOMETRIC_DETAIL = new Set(['liveness', 'score', 'reasons']);

/**
 * Biological signatures (seed §VI.2, docs/protocol.md): people and their passkeys, challenges
 * (issued by challenge-issuer.ts when an action starts to wait for people, when someone enrols
 * late, or when a device asks for the next one), the outcome of each live session, the
 * institutional-witness fallback, and the lock after repeated failures. The WebSocket transport
 * (adapters/http/challenge-socket.ts) drives `beginSession` / `completeSession` / `failSession`.
 */
export class SignatureService {
  readonly ctx: GatewayContext;
  readonly config: SignatureConfig;
  readonly store: SignatureStore;
  readonly #recordApproval: QuorumApprovalSink | undefined;
  /** Who is asked to sign, and the challenges that ask them (with their nonces, in memory only). */
  readonly issuer: ChallengeIssuer;
  /** Sessions running in this process, by challenge: the transport registers a way to end them. */
  readonly #live = new Map<string, (why: LiveEnd) => void>();
  readonly #witness = new Map<string, WitnessPending>();
  readonly #sessionsPerPerson: RateLimiterMemory;

  constructor(o: { ctx: GatewayContext; config: SignatureConfig; store: SignatureStore; recordApproval?: QuorumApprovalSink }) {
    this.ctx = o.ctx;
    this.config = o.config;
    this.store = o.store;
    this.#recordApproval = o.recordApproval;
    this.issuer = new ChallengeIssuer(o.ctx, o.store);
    this.#sessionsPerPerson = new RateLimiterMemory({ keyPrefix: 'sig-person', points: o.config.sessionsPerPersonPerHour, duration: 3600 });
  }

  // --- challenges follow the action ----------------------------------------------------------------

  /** StatusBus observer: issue challenges when an action starts waiting; close them when it stops. */
  onActionChanged(a: ActionRecord): void {
    if (a.status === 'awaiting_signature' || a.status === 'awaiting_quorum') {
      void this.issuer.issueForAction(a).catch((e: unknown) => this.ctx.log.error({ actionId: a.id, err: (e as Error).message }, 'could not issue signature challenges'));
    } else if (this.issuer.hasIssuedFor(a.id)) {
      void this.closeForAction(a.id, a.status === 'expired' ? 'expired' : 'cancelled', `ACTION_${a.status.toUpperCase()}`).catch((e: unknown) =>
        this.ctx.log.error({ actionId: a.id, err: (e as Error).message }, 'could not close signature challenges'),
      );
    }
  }

  /** At start-up: challenges of an earlier process lost their nonce; close them and issue fresh ones. */
  recover(): Promise<void> {
    return this.issuer.recover();
  }

  /** The action stopped waiting: its open challenges close, running sessions end (not counted as failures). */
  async closeForAction(actionId: string, state: 'expired' | 'cancelled', reason: ChallengeClosedReason): Promise<void> {
    const open = this.store.openChallengesForAction(actionId);
    this.issuer.forgetAction(actionId);
    if (open.length === 0) return;
    const now = this.ctx.clock.now();
    await this.ctx.store.tx(async (tx) => {
      for (const c of open) {
        if (!this.store.txEndChallenge(c.id, state, reason, now)) continue;
        await tx.audit([challengeClosedEntry(c, now, reason, c.state === 'active' ? this.issuer.nonces.get(c.id) : undefined)]);
      }
    });
    this.#forgetClosed(open, reason, { code: 'ACTION_NOT_PENDING', message: `the action stopped waiting (${reason})` });
  }

  /** After the commit that closed them: drop the challenges' secrets, end their sessions, tell the person's devices. */
  #forgetClosed(closed: readonly ChallengeRow[], reason: ChallengeClosedReason, end: LiveEnd): void {
    for (const c of closed) {
      this.issuer.nonces.delete(c.id);
      this.#witness.delete(c.id);
      this.#live.get(c.id)?.(end);
      notifyPerson(this.ctx, c.person, 'challenge_closed', { id: c.id, ...(c.actionId === null ? {} : { actionId: c.actionId }), reason });
    }
  }

  // --- people and devices ----------------------------------------------------------------------------

  #self(principal: PrincipalRecord, personId: string): void {
    if (!principal.roles.some((r) => HUMAN_ROLES.has(r))) {
      throw new FirewallError('ROLE_FORBIDDEN', 'only people (authorizers, comparators) enrol devices and sign', { status: 403 });
    }
    if (principal.id !== personId) throw new FirewallError('ROLE_FORBIDDEN', 'a person manages only their own enrolment', { status: 403 });
  }

  async declarePerson(principal: PrincipalRecord, personId: string, body: { modalities: Modality[]; displayName?: string }): Promise<Record<string, unknown>> {
    this.#self(principal, personId);
    const modalities = sortModalities(body.modalities);
    const now = this.ctx.clock.now();
    await this.ctx.store.tx(async (tx) => {
      this.store.txPutPerson(personId, modalities, body.displayName ?? null, now);
      await tx.audit([{ v: 1, type: 'person.modalities_declared', ts: now, who: personId, modalities }]);
    });
    // Declared after an action started to wait on them (a witness-mode person needs no device).
    await this.#catchUp(personId);
    return this.personOf(principal, personId);
  }

  personOf(principal: PrincipalRecord, personId: string): Record<string, unknown> {
    this.#self(principal, personId);
    const p = this.store.getPerson(personId);
    if (p === undefined) throw new FirewallError('PERSON_NOT_FOUND', `'${personId}' has not enrolled`, { status: 404 });
    return personView(p, this.store.devicesOf(personId));
  }

  async registrationOptions(principal: PrincipalRecord, personId: string, body: { kind: DeviceKind; name?: string }, opts: { discoverable?: boolean } = {}): Promise<Record<string, unknown>> {
    this.#self(principal, personId);
    if (!(DEVICE_KINDS as readonly string[]).includes(body.kind)) throw new FirewallError('BODY_INVALID', 'kind must be phone or wearable', { status: 400 });
    const challenge = await this.ctx.signer.random(32);
    const now = this.ctx.clock.now();
    const options = await registrationOptions(this.config, {
      person: personId,
      displayName: this.store.getPerson(personId)?.displayName ?? personId,
      challenge,
      exclude: this.store.devicesOf(personId),
      ...(opts.discoverable === undefined ? {} : { discoverable: opts.discoverable }),
    });
    const id = `cer_${randomUUID()}`;
    await this.ctx.store.tx(async () => {
      this.store.txEnsurePerson(personId, now);
      this.store.txInsertCeremony({
        id,
        kind: 'registration',
        person: personId,
        challenge: options.challenge,
        deviceKind: body.kind,
        deviceName: body.name ?? null,
        credentialId: null,
        expiresAt: now + this.config.ceremonyTtlMs,
        usedAt: null,
      });
    });
    return { ceremonyId: id, expiresAt: new Date(now + this.config.ceremonyTtlMs).toISOString(), options };
  }

  /** Consumes a ceremony (single use, even when what follows fails). */
  async #useCeremony(id: string, kind: 'registration' | 'authentication', personId: string, credentialId?: string) {
    const now = this.ctx.clock.now();
    const c = await this.ctx.store.tx(async () => this.store.txUseCeremony(id, now));
    if (c === undefined || c.kind !== kind || c.person !== personId || (credentialId !== undefined && c.credentialId !== credentialId)) {
      throw new FirewallError('CEREMONY_INVALID', 'unknown, used or foreign ceremony', { status: 409 });
    }
    if (c.expiresAt < now) throw new FirewallError('CEREMONY_EXPIRED', 'the ceremony expired; ask for new options', { status: 409 });
    return c;
  }

  async registerDevice(principal: PrincipalRecord, personId: string, body: { ceremonyId: string; credential: RegistrationResponse }): Promise<Record<string, unknown>> {
    this.#self(principal, personId);
    const cer = await this.#useCeremony(body.ceremonyId, 'registration', personId);
    const v = await verifyRegistration(this.config, body.credential, cer.challenge);
    const now = this.ctx.clock.now();
    const row = {
      credentialId: v.credentialId,
      person: personId,
      kind: (cer.deviceKind ?? 'phone') as DeviceKind,
      name: cer.deviceName,
      publicKey: v.publicKey,
      alg: v.alg,
      counter: v.counter,
      transports: v.transports,
      fmt: v.fmt,
      aaguid: v.aaguid,
      createdAt: now,
    };
    await this.ctx.store.tx(async (tx) => {
      if (this.store.txDevice(v.credentialId) !== undefined) {
        // A device (credential) belongs to exactly one person, once.
        throw new FirewallError('DEVICE_ALREADY_ENROLLED', 'this credential is already enrolled', { status: 409 });
      }
      this.store.txInsertDevice(row);
      await tx.audit([
        { v: 1, type: 'device.enrolled', ts: now, who: personId, device: v.credentialId, kind: row.kind, alg: v.alg, attestation: v.fmt, aaguid: v.aaguid, publicKey: v.publicKey },
      ]);
    });
    // Enrolled after an action started to wait on them: they are asked now, not never.
    await this.#catchUp(personId);
    return this.#deviceAfter(v.credentialId);
  }

  /**
   * A device read back after its own commit. An erasure committed in the same store batch, just
   * after, may have deleted it: answer 404 rather than fail on the missing row.
   */
  #deviceAfter(credentialId: string): Record<string, unknown> {
    const d = this.store.getDevice(credentialId);
    if (d === undefined) throw new FirewallError('DEVICE_NOT_FOUND', 'the device was erased meanwhile', { status: 404 });
    return deviceView(d);
  }

  #ownDevice(principal: PrincipalRecord, credentialId: string): DeviceRow {
    if (!principal.roles.some((r) => HUMAN_ROLES.has(r))) throw new FirewallError('ROLE_FORBIDDEN', 'only people hold devices', { status: 403 });
    const d = this.store.getDevice(credentialId);
    if (d === undefined || d.person !== principal.id) throw new FirewallError('DEVICE_NOT_FOUND', 'no such device of yours', { status: 404 });
    return d;
  }

  deviceOf(principal: PrincipalRecord, credentialId: string): Record<string, unknown> {
    return deviceView(this.#ownDevice(principal, credentialId));
  }

  async revokeDevice(principal: PrincipalRecord, credentialId: string): Promise<Record<string, unknown>> {
    this.#ownDevice(principal, credentialId);
    const now = this.ctx.clock.now();
    await this.ctx.store.tx(async (tx) => {
      if (this.store.txRevokeDevice(credentialId, now)) await tx.audit([{ v: 1, type: 'device.revoked', ts: now, who: principal.id, device: credentialId }]);
    });
    return this.#deviceAfter(credentialId);
  }

  async authenticationOptions(principal: PrincipalRecord, credentialId: string): Promise<Record<string, unknown>> {
    const d = this.#ownDevice(principal, credentialId);
    if (d.revokedAt !== null) throw new FirewallError('DEVICE_REVOKED', 'this device was revoked', { status: 409 });
    const challenge = await this.ctx.signer.random(32);
    const now = this.ctx.clock.now();
    const options = await authenticationOptions(this.config, { challenge, allow: [d] });
    const id = `cer_${randomUUID()}`;
    await this.ctx.store.tx(async () => {
      this.store.txInsertCeremony({ id, kind: 'authentication', person: d.person, challenge: options.challenge, deviceKind: null, deviceName: null, credentialId, expiresAt: now + this.config.ceremonyTtlMs, usedAt: null });
    });
    return { ceremonyId: id, expiresAt: new Date(now + this.config.ceremonyTtlMs).toISOString(), options };
  }

  async authenticateDevice(principal: PrincipalRecord, credentialId: string, body: { ceremonyId: string; credential: AuthenticationResponse }): Promise<Record<string, unknown>> {
    const d = this.#ownDevice(principal, credentialId);
    const cer = await this.#useCeremony(body.ceremonyId, 'authentication', d.person, credentialId);
    if (d.revokedAt !== null) throw new FirewallError('DEVICE_REVOKED', 'this device was revoked', { status: 409 });
    const { newCounter } = await verifyAssertion(this.config, d, body.credential, cer.challenge);
    const now = this.ctx.clock.now();
    await this.ctx.store.tx(async (tx) => {
      if (!this.store.txAdvanceCounter(credentialId, newCounter, now)) {
        throw new FirewallError('COUNTER_REGRESSION', 'the signature counter did not advance: a cloned authenticator?', { status: 409 });
      }
      await tx.audit([{ v: 1, type: 'device.authenticated', ts: now, who: d.person, device: credentialId, counter: newCounter }]);
    });
    return { verified: true, device: this.#deviceAfter(credentialId) };
  }

  // --- challenges as people see them ----------------------------------------------------------------

  async challengeFor(principal: PrincipalRecord, challengeId: string): Promise<Record<string, unknown>> {
    const c = this.store.getChallenge(challengeId);
    const isWitness = principal.roles.includes('comparator') && c?.mode === 'witness';
    if (c === undefined || (c.person !== principal.id && !isWitness) || !principal.roles.some((r) => HUMAN_ROLES.has(r))) {
      if (!principal.roles.some((r) => HUMAN_ROLES.has(r))) throw new FirewallError('ROLE_FORBIDDEN', 'challenges are for people', { status: 403 });
      throw new FirewallError('CHALLENGE_NOT_FOUND', `no challenge '${challengeId.slice(0, 100)}'`, { status: 404 });
    }
    const a = c.actionId === null ? undefined : await this.ctx.store.getAction(c.actionId);
    return challengeView(c, a);
  }

  async challengesOf(principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>[]> {
    this.#self(principal, personId);
    const out: Record<string, unknown>[] = [];
    for (const c of this.store.openChallengesOf(personId)) {
      const a = c.actionId === null ? undefined : await this.ctx.store.getAction(c.actionId);
      out.push(challengeView(c, a));
    }
    return out;
  }

  /** Issuing is not what the person asked for: its failure is logged, and their request still succeeds. */
  async #catchUp(personId: string): Promise<void> {
    await this.issuer.issueWaiting(personId).catch((e: unknown) => this.ctx.log.error({ person: personId, err: (e as Error).message }, 'could not issue challenges for actions already waiting'));
  }

  /**
   * A device asks what to sign next: challenges are issued for the actions waiting on the person
   * that have none open for them (idempotent), then the unstarted biological challenge that expires
   * first, with enough of its window left for the sustained duration. Locked: 423; no session left
   * this hour: 429 (a challenge could not be answered now); nothing to sign: 404.
   */
  async nextChallenge(principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>> {
    this.#self(principal, personId);
    const person = this.store.getPerson(personId);
    if (person === undefined) throw new FirewallError('PERSON_NOT_FOUND', 'declare your modalities and enrol a device first', { status: 409 });
    if (person.lockedAt !== null) throw new FirewallError('PERSON_LOCKED', DEVICE_REASONS.locked, { status: 423 });
    const spent = await this.#sessionsPerPerson.get(principal.id);
    if (spent !== null && spent.remainingPoints <= 0) {
      throw new FirewallError('RATE_LIMITED', 'too many signature sessions for this person this hour', { status: 429, detail: { retryAfterSeconds: Math.max(1, Math.ceil(spent.msBeforeNext / 1000)) } });
    }
    const now = this.ctx.clock.now();
    const open = (await this.issuer.issueWaiting(personId))
      .filter((c) => c.purpose === 'action' && c.mode === 'biological' && c.state === 'issued' && now + c.sustainedMs <= c.expiresAt)
      .sort((x, y) => x.expiresAt - y.expiresAt || x.issuedAt - y.issuedAt);
    const c = open[0];
    const a = c === undefined || c.actionId === null ? undefined : await this.ctx.store.getAction(c.actionId);
    if (c === undefined || a === undefined) throw new FirewallError('NO_OPEN_CHALLENGE', 'nothing awaits your signature (or your attempts for it are used up)', { status: 404 });
    return challengeView(c, a);
  }

  /** A person asks for a challenge for an action awaiting them (late enrolment, or after a failed attempt). */
  async requestChallenge(principal: PrincipalRecord, personId: string, actionId: string): Promise<Record<string, unknown>> {
    this.#self(principal, personId);
    const person = this.store.getPerson(personId);
    if (person === undefined) throw new FirewallError('PERSON_NOT_FOUND', 'declare your modalities and enrol a device first', { status: 409 });
    if (person.lockedAt !== null) throw new FirewallError('PERSON_LOCKED', 'signing is locked for this person; ask an administrator', { status: 423 });
    const a = await this.ctx.store.getAction(actionId);
    if (a === undefined) throw new FirewallError('ACTION_NOT_FOUND', `no action '${actionId.slice(0, 100)}'`, { status: 404 });
    if (a.status !== 'awaiting_signature' && a.status !== 'awaiting_quorum') throw new FirewallError('ACTION_NOT_PENDING', `action is '${a.status}'`, { status: 409 });
    const mine = await this.issuer.roleOf(a, personId);
    if (mine === undefined) throw new FirewallError('NOT_AN_APPROVER', 'you are not asked to approve this action', { status: 403 });
    const c = await this.issuer.issueChallenge(a, personId, mine);
    if (c === undefined) throw new FirewallError('CHALLENGE_NOT_ISSUED', 'no challenge can be issued (no usable device, or the attempts for this action are used up)', { status: 409 });
    return challengeView(c, a);
  }

  async enrolmentSession(principal: PrincipalRecord, personId: string, body: { modalities: Modality[]; durationMs?: number }): Promise<Record<string, unknown>> {
    this.#self(principal, personId);
    const person = this.store.getPerson(personId);
    if (person === undefined) throw new FirewallError('PERSON_NOT_FOUND', 'declare your modalities first', { status: 409 });
    if (person.lockedAt !== null) throw new FirewallError('PERSON_LOCKED', 'signing is locked for this person; ask an administrator', { status: 423 });
    const modalities = sortModalities(body.modalities);
    const undeclared = modalities.filter((m) => !person.modalities.includes(m));
    if (undeclared.length > 0) throw new FirewallError('MODALITY_NOT_DECLARED', `not declared: ${undeclared.join(', ')}`, { status: 422 });
    if (!this.store.devicesOf(personId).some((d) => d.revokedAt === null)) throw new FirewallError('DEVICE_REQUIRED', 'enrol a device first', { status: 409 });
    const nonce = await this.ctx.signer.random(32);
    const now = this.ctx.clock.now();
    const id = `chl_${randomUUID()}`;
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
      nonceSha256: sha256hex(nonce),
      issuedAt: now,
      expiresAt: now + 10 * 60_000,
    };
    const ok = await this.ctx.store.tx(async (tx): Promise<boolean | 'locked'> => {
      if (this.#txLocked(personId)) return 'locked';
      if (!this.store.txInsertChallenge(row)) return false;
      await tx.audit([{ v: 1, type: 'signature.challenge_issued', ts: now, challengeId: id, purpose: 'enrolment', digest: row.digest, person: personId, modalities, sustainedMs: row.sustainedMs, expiresAt: row.expiresAt, nonceSha256: row.nonceSha256 }]);
      return true;
    });
    if (ok === 'locked') throw new FirewallError('PERSON_LOCKED', DEVICE_REASONS.locked, { status: 423 });
    if (!ok) throw new FirewallError('ENROLMENT_OPEN', 'an enrolment session is already open; use or let it expire', { status: 409 });
    this.issuer.nonces.set(id, nonce);
    return challengeView(this.store.getChallenge(id)!);
  }

  async unlock(principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>> {
    if (!principal.roles.includes('admin')) throw new FirewallError('ROLE_FORBIDDEN', 'only an administrator unlocks a person', { status: 403 });
    const now = this.ctx.clock.now();
    await this.ctx.store.tx(async (tx) => {
      const p = this.store.txPerson(personId);
      if (p === undefined) throw new FirewallError('PERSON_NOT_FOUND', `'${personId}' has not enrolled`, { status: 404 });
      this.store.txSetFailures(personId, 0, null, now);
      await tx.audit([{ v: 1, type: 'signature.person_unlocked', ts: now, person: personId, by: principal.id }]);
    });
    // An erasure batched just after this commit may have removed the record: 404, as before it.
    const p = this.store.getPerson(personId);
    if (p === undefined) throw new FirewallError('PERSON_NOT_FOUND', `'${personId}' was erased meanwhile`, { status: 404 });
    return personView(p, this.store.devicesOf(personId));
  }

  // --- erasure and retention (docs/privacy.md) ---------------------------------------------------------

  /** GDPR art. 17 on an administrator's request; a repeated request answers that it was done already. */
  async erasePerson(principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>> {
    if (!principal.roles.includes('admin')) throw new FirewallError('ROLE_FORBIDDEN', 'only an administrator erases a person', { status: 403 });
    const done = await this.#erase(personId, { basis: 'erasure_request', by: principal.id });
    if (done !== undefined) return erasureView(done);
    const earlier = this.store.getErasure(personId);
    if (earlier === undefined) throw new FirewallError('PERSON_NOT_FOUND', `'${personId}' has no signature record`, { status: 404 });
    return { person: personId, erased: false, alreadyErased: true, erasedAt: new Date(earlier.erasedAt).toISOString(), basis: earlier.basis, logIndex: earlier.logIndex };
  }

  /**
   * The retention schedule (BIPA §15(a)): erases, at most `retentionBatch` per call, the people
   * whose last interaction is more than `retentionDays` ago (found through their interaction
   * floor, lowest first; docs/privacy.md §Retention schedule).
   */
  async purgeInactive(): Promise<Erasure[]> {
    const retentionDays = this.config.retentionDays;
    const cutoff = this.ctx.clock.now() - retentionDays * 86_400_000;
    const out: Erasure[] = [];
    const batch = this.config.retentionBatch;
    // Candidates come by a lower bound of the last interaction (signature-store.ts); the active
    // ones among them get their bound raised and are not looked at again until it is passed. At
    // most ten batches' worth of people are examined per run, so one run stays short.
    for (let examined = 0; out.length < batch && examined < 10 * batch; ) {
      const candidates = this.store.retentionCandidates(cutoff, batch);
      if (candidates.length === 0) break;
      examined += candidates.length;
      const active = candidates.filter((p) => p.lastInteractionAt >= cutoff);
      if (active.length > 0) {
        await this.ctx.store.tx(async () => {
          for (const p of active) this.store.txRaiseInteractionFloor(p.id, p.lastInteractionAt);
        });
      }
      // One who interacts between the read and the erasure is kept (erasure re-checks in its
      // transaction) and is raised above by the next read.
      for (const p of candidates) {
        if (p.lastInteractionAt >= cutoff || out.length >= batch) continue;
        const done = await this.#erase(p.id, { basis: 'retention_schedule', retentionDays, cutoff });
        if (done !== undefined) out.push(done);
      }
      if (candidates.length < batch) break;
    }
    return out;
  }

  async #erase(personId: string, ground: ErasureGround): Promise<Erasure | undefined> {
    const done = await erasePersonData(this.ctx, this.store, personId, ground, (id) => this.issuer.nonces.get(id));
    if (done === undefined) return undefined;
    this.#forgetClosed(done.closed, 'PERSON_ERASED', { code: 'PERSON_ERASED', message: 'the person was erased while the session ran' });
    await this.#reissueWitnessed(personId, done.closed, 'an erasure');
    return done;
  }

  /** Someone `personId` was witnessing, when an erasure or lock closed that ceremony, may be asked again: another witness can help. */
  async #reissueWitnessed(personId: string, closed: readonly ChallengeRow[], after: string): Promise<void> {
    for (const c of closed) {
      if (c.person === personId || c.actionId === null) continue;
      const a = await this.ctx.store.getAction(c.actionId);
      if (a !== undefined) await this.issuer.issueChallenge(a, c.person, c.role).catch((e: unknown) => this.ctx.log.error({ challengeId: c.id, err: (e as Error).message }, `could not issue a fresh challenge after ${after}`));
    }
  }

  // --- the live session (driven by the WebSocket transport) -------------------------------------------

  registerLive(challengeId: string, end: (why: LiveEnd) => void): () => void {
    this.#live.set(challengeId, end);
    return () => {
      if (this.#live.get(challengeId) === end) this.#live.delete(challengeId);
    };
  }

  /**
   * Checks a `hello` from an authenticated principal and consumes the challenge (issued -> active,
   * durably, before anything is revealed). Throws SessionRefused; refusals after the person is
   * known are logged and counted.
   */
  async beginSession(principal: PrincipalRecord, urlChallengeId: string, hello: HelloMessage): Promise<SessionPlan> {
    const c = this.store.getChallenge(urlChallengeId);
    if (c === undefined || c.person !== principal.id) {
      await this.#refuseForeign(principal, urlChallengeId, c === undefined ? 'CHALLENGE_NOT_FOUND' : 'CHALLENGE_NOT_YOURS');
      throw new SessionRefused('CHALLENGE_NOT_FOUND', 'no such challenge for this person', 'unavailable');
    }
    const person = this.store.getPerson(c.person);
    if (person === undefined) throw new SessionRefused('CHALLENGE_NOT_FOUND', 'the person is not enrolled', 'unavailable');
    if (person.lockedAt !== null) {
      await this.#refuse(c, principal, 'PERSON_LOCKED', { count: false, consume: false });
      throw new SessionRefused('PERSON_LOCKED', 'the person is locked', 'locked');
    }
    const now = this.ctx.clock.now();
    const fail = async (code: string, message: string, o: { count?: boolean; consume?: boolean; extra?: Record<string, unknown> } = {}): Promise<never> => {
      const r = await this.#refuse(c, principal, code, { count: o.count ?? true, consume: o.consume ?? true, detail: { message, ...(o.extra ?? {}) } });
      throw new SessionRefused(code, message, r.locked ? 'locked' : UNAVAILABLE.has(code) ? 'unavailable' : 'refused', r.next);
    };
    if (c.state !== 'issued') return fail(c.state === 'expired' || c.state === 'cancelled' ? 'CHALLENGE_EXPIRED' : 'CHALLENGE_USED', `the challenge is ${c.state}`, { consume: false });
    if (now > c.expiresAt) return fail('CHALLENGE_EXPIRED', 'the challenge expired', { count: false });
    // A session that cannot end inside the window would be refused at the end: say so now.
    if (now + c.sustainedMs > c.expiresAt) return fail('CHALLENGE_EXPIRED', 'too little of the signature window is left for the sustained duration', { count: false });
    if (c.mode !== 'biological') return fail('MODE_WITNESS_ONLY', 'this challenge is answered through an institutional witness', { consume: false });
    const nonce = this.issuer.nonces.get(c.id);
    if (nonce === undefined) return fail('CHALLENGE_UNAVAILABLE', 'the challenge nonce is not held by this gateway process', { count: false });
    if (c.actionId !== null) {
      const a = await this.ctx.store.getAction(c.actionId);
      if (a === undefined || (a.status !== 'awaiting_signature' && a.status !== 'awaiting_quorum')) return fail('ACTION_NOT_PENDING', 'the action no longer waits for a signature', { count: false });
    }
    try {
      await this.#sessionsPerPerson.consume(principal.id);
    } catch (e) {
      if (e instanceof RateLimiterRes) return fail('RATE_LIMITED', 'too many signature sessions for this person this hour', { count: false, consume: false });
      throw e;
    }
    if (hello.challengeId !== c.id) return fail('STREAM_FOR_ANOTHER_CHALLENGE', 'the hello names another challenge than the session URL', { extra: { named: hello.challengeId.slice(0, 100) } });
    if (hello.person !== principal.id) return fail('PERSON_MISMATCH', 'the hello names another person than the authenticated one');
    if (hello.digest !== c.digest) return fail('DIGEST_MISMATCH', 'the device is about to sign another digest than the challenge binds');
    const device = this.store.getDevice(hello.credentialId);
    if (device === undefined || device.person !== c.person) return fail('CREDENTIAL_NOT_OWNED', "the credential is not one of this person's devices", { extra: { credentialId: hello.credentialId.slice(0, 200) } });
    if (device.revokedAt !== null) return fail('DEVICE_REVOKED', 'the device was revoked');
    const modalities = sortModalities(hello.modalities);
    const outside = modalities.filter((m) => !c.modalities.includes(m));
    if (outside.length > 0) return fail('MODALITY_NOT_ALLOWED', `modalities not allowed for this challenge: ${outside.join(', ')}`);
    const started = await this.ctx.store.tx(async (tx) => {
      if (!this.store.txStartChallenge(c.id, device.credentialId, now)) return false;
      const body = { challengeId: c.id, who: c.person, device: device.credentialId, modalities, sustainedMs: c.sustainedMs };
      await tx.audit([c.actionId === null ? { v: 1, type: 'signature.session_started', ts: now, ...body } : entry('signature.session_started', now, { id: c.actionId, digest: c.digest }, body)]);
      return true;
    });
    if (!started) return fail('CHALLENGE_USED', 'the challenge was used concurrently', { consume: false });
    const stimulus = deriveStimulus(nonce, { durationMs: c.sustainedMs, modalities });
    return { challenge: { ...c, state: 'active' }, principal, person, device, modalities, nonce, stimulus, schedule: revealSchedule(stimulus) };
  }

  /**
   * The transport ended a started session early (bad chunk, timing, disconnect, timeout), or
   * forwarded a LiveEnd from this service: those are logged but never count as failures.
   */
  async failSession(plan: SessionPlan, code: string, message: string, extra: Record<string, unknown> = {}): Promise<SessionResult> {
    // A session the gateway ended (its action stopped waiting, the person was erased or locked)
    // gives back its point of the per-hour session limit: the person did nothing to spend it.
    if (NOT_COUNTED.has(code)) await this.#sessionsPerPerson.reward(plan.principal.id, 1).catch(() => {});
    const r = await this.#refuse(plan.challenge, plan.principal, code, {
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
  async completeSession(plan: SessionPlan, out: SessionOutcome): Promise<SessionResult> {
    const c = plan.challenge;
    const expected = assertionChallenge(plan.nonce, c.digest, out.transcriptHash);
    const device = this.store.getDevice(plan.device.credentialId) ?? plan.device;
    let newCounter: number | undefined;
    let assertionProblem: string | undefined;
    try {
      ({ newCounter } = await verifyAssertion(this.config, device, out.assertion, expected));
    } catch (e) {
      assertionProblem = (e as Error).message;
    }
    // Liveness runs whatever the assertion said: its fingerprint is kept so a replay of this
    // transcript is recognised later, and the features explain the decision in the log.
    const person = this.store.getPerson(c.person) ?? plan.person;
    const liveness = verifyLiveness({
      stimulus: plan.stimulus,
      streams: out.streams,
      history: this.store.fingerprintHistory(c.person, this.config.historyLimit),
      ...(person.profile === null ? {} : { profile: person.profile }),
      arrivals: out.arrivals,
      reveal: out.reveal,
    });
    const summary = livenessSummary(liveness);
    const common = {
      device: device.credentialId,
      modalities: plan.modalities,
      score: summary['score'],
      liveness: summary,
      transcriptHash: out.transcriptHash,
      nonce: Buffer.from(plan.nonce).toString('base64url'),
      chunks: out.chunks,
      assertion: { clientDataJSON: out.assertion.response.clientDataJSON, authenticatorData: out.assertion.response.authenticatorData, signature: out.assertion.response.signature },
    };
    if (assertionProblem !== undefined || !liveness.accepted) {
      const code = assertionProblem !== undefined ? 'ASSERTION_INVALID' : liveness.checks.some((x) => x.id === 'duplicate' && !x.passed) ? 'REPLAY_DETECTED' : 'LIVENESS_REJECTED';
      const r = await this.#refuse(c, plan.principal, code, {
        count: true,
        consume: true,
        device: device.credentialId,
        fingerprint: liveness.fingerprint,
        counter: newCounter,
        detail: { ...common, reasons: [...(assertionProblem === undefined ? [] : [assertionProblem]), ...liveness.reasons] },
      });
      return { accepted: false, code, ...(r.locked ? { locked: true } : {}), ...(r.logIndex === undefined ? {} : { logIndex: r.logIndex }), ...(r.next === undefined ? {} : { next: r.next }) };
    }
    return this.#recordVerified(plan, newCounter!, liveness, common);
  }

  async #recordVerified(plan: SessionPlan, newCounter: number, liveness: LivenessResult, common: Record<string, unknown>): Promise<SessionResult> {
    const c = plan.challenge;
    const now = this.ctx.clock.now();
    const person = c.person;
    type Out = { refuse: string } | { verifiedIndex: number; action?: ActionRecord; approval?: Approval };
    const res: Out = await this.ctx.store.tx(async (tx): Promise<Out> => {
      const cur = this.store.txChallenge(c.id);
      if (cur?.state !== 'active') return { refuse: 'CHALLENGE_USED' };
      let action: ActionRecord | undefined;
      if (c.actionId !== null) {
        action = await tx.getAction(c.actionId);
        const waiting = action !== undefined && (action.status === 'awaiting_signature' || action.status === 'awaiting_quorum');
        if (!waiting || now > c.expiresAt || (action!.dueAt !== null && now > action!.dueAt)) return { refuse: 'ACTION_NOT_PENDING' };
      } else if (now > c.expiresAt + c.sustainedMs + this.config.finishWithinMs + this.config.signTimeoutMs) {
        return { refuse: 'CHALLENGE_EXPIRED' };
      }
      if (!this.store.txAdvanceCounter(plan.device.credentialId, newCounter, now)) return { refuse: 'COUNTER_REGRESSION' };
      this.store.txEndChallenge(c.id, 'succeeded', 'VERIFIED', now);
      this.store.txInsertFingerprint(person, c.id, liveness.fingerprint, now);
      const p = this.store.txPerson(person);
      this.store.txSetFailures(person, 0, p?.lockedAt ?? null, now);
      if (c.purpose === 'enrolment') {
        this.store.txInsertEnrolment(c.id, person, livenessSummary(liveness), true, now);
        const profile = buildProfile(this.store.txAcceptedEnrolments(person) as LivenessResult[]);
        this.store.txSetProfile(person, profile, now);
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
        liveness: { modality: plan.modalities.join('+'), modalities: plan.modalities, score: Number.isFinite(liveness.score) ? liveness.score : 0 },
        logIndex: verifiedIndex,
      };
      if (action!.status !== 'awaiting_signature') return { verifiedIndex, approval };
      // HIGH: awaiting_signature -> authorised (signature_verified) -> executing (dispatch), in this commit.
      const approvals = [...action!.approvals, approval];
      const status = nextStatus(nextStatus(action!.status, 'signature_verified'), 'dispatch');
      const moved = await tx.updateAction(action!.id, ['awaiting_signature'], { status, approvals, dueAt: now + this.ctx.dispatchLeaseMs, updatedAt: now });
      if (moved === undefined) throw new FirewallError('ACTION_TRANSITION_RACED', 'the action changed while the signature was recorded', { status: 409 });
      const first = await tx.audit([
        entry('action.authorised', now, action!, { event: 'signature_verified', tier: action!.classification.tier, approvals, policyHash: action!.classification.policyHash }),
        entry('action.dispatched', now, action!, { event: 'dispatch', attempt: 1 }),
      ]);
      const final = await tx.updateAction(action!.id, ['executing'], { authorisationLogIndex: first });
      return { verifiedIndex, action: final ?? moved, approval };
    });
    if ('refuse' in res) {
      const r = await this.#refuse(c, plan.principal, res.refuse, { count: res.refuse === 'COUNTER_REGRESSION', consume: true, device: plan.device.credentialId, detail: common });
      return { accepted: false, code: res.refuse, ...(r.locked ? { locked: true } : {}), ...(r.logIndex === undefined ? {} : { logIndex: r.logIndex }) };
    }
    this.issuer.nonces.delete(c.id);
    if (res.action !== undefined) {
      this.ctx.bus.changed(res.action);
      void this.ctx.dispatcher.dispatch(res.action);
      return { accepted: true, code: 'VERIFIED', logIndex: res.verifiedIndex, actionStatus: res.action.status };
    }
    if (res.approval !== undefined && c.actionId !== null) await this.#toQuorum(c.actionId, { ...res.approval, digest: c.digest });
    const a = c.actionId === null ? undefined : await this.ctx.store.getAction(c.actionId);
    return { accepted: true, code: 'VERIFIED', logIndex: res.verifiedIndex, ...(a === undefined ? {} : { actionStatus: a.status }) };
  }

  async #toQuorum(actionId: string, approval: Approval & { digest: string }): Promise<void> {
    if (this.#recordApproval === undefined) {
      this.ctx.log.warn({ actionId, who: approval.who }, 'biological approval of a CRITICAL action recorded in the log; no quorum engine is wired to count it');
      return;
    }
    try {
      await this.#recordApproval(this.ctx, actionId, approval);
    } catch (e) {
      this.ctx.log.error({ actionId, who: approval.who, err: (e as Error).message }, 'the quorum engine refused the approval');
    }
  }

  // --- institutional witness (nobody is excluded) -----------------------------------------------------

  /**
   * A designated comparator, in person with someone who can use no modality, asks to witness that
   * person's challenge. Consumes the challenge and returns the WebAuthn options over
   * SHA-256(nonce || digest || SHA-256(witness statement)).
   */
  async witnessOptions(principal: PrincipalRecord, challengeId: string, body: { credentialId: string }): Promise<Record<string, unknown>> {
    if (!principal.roles.includes('comparator')) throw new FirewallError('ROLE_FORBIDDEN', 'only a designated comparator can witness', { status: 403 });
    const c = this.store.getChallenge(challengeId);
    if (c === undefined || c.mode !== 'witness' || c.actionId === null) throw new FirewallError('CHALLENGE_NOT_FOUND', 'no witness challenge with this id', { status: 404 });
    const a = await this.ctx.store.getAction(c.actionId);
    const agent = a === undefined ? undefined : await this.ctx.store.getPrincipal(a.agent);
    if (principal.id === c.person || principal.id === a?.agent || principal.id === agent?.owner) {
      throw new FirewallError('WITNESS_NOT_INDEPENDENT', 'a witness must be independent of the person and of the requesting agent', { status: 403 });
    }
    const device = this.store.getDevice(body.credentialId);
    if (device === undefined || device.person !== principal.id || device.revokedAt !== null) throw new FirewallError('DEVICE_NOT_FOUND', 'no such device of yours', { status: 404 });
    const now = this.ctx.clock.now();
    if (c.state !== 'issued') throw new FirewallError('CHALLENGE_USED', `the challenge is ${c.state}`, { status: 409 });
    if (now > c.expiresAt || a === undefined || (a.status !== 'awaiting_signature' && a.status !== 'awaiting_quorum')) {
      throw new FirewallError('CHALLENGE_EXPIRED', 'the challenge or its action is no longer open', { status: 409 });
    }
    const nonce = this.issuer.nonces.get(c.id);
    if (nonce === undefined) throw new FirewallError('CHALLENGE_UNAVAILABLE', 'the challenge is not held by this gateway process', { status: 409 });
    const started = await this.ctx.store.tx(async (tx): Promise<boolean | 'locked'> => {
      // A locked witness starts nothing; read here so that a lock committed just before, even in this
      // batch, counts (the lock closes only ceremonies already started).
      if (this.#txLocked(principal.id)) return 'locked';
      if (!this.store.txStartChallenge(c.id, device.credentialId, now)) return false;
      await tx.audit([entry('signature.witness_started', now, a, { challengeId: c.id, who: principal.id, person: c.person, device: device.credentialId })]);
      return true;
    });
    if (started === 'locked') return this.#refuseLockedWitness(principal, c.id, c);
    if (!started) throw new FirewallError('CHALLENGE_USED', 'the challenge was used concurrently', { status: 409 });
    const statement: WitnessStatement = { v: 1, type: 'witness', challengeId: c.id, digest: c.digest, person: c.person, witness: principal.id, credentialId: device.credentialId };
    const statementHash = witnessStatementHash(statement);
    const expected = assertionChallenge(nonce, c.digest, statementHash);
    this.#witness.set(c.id, { witness: principal.id, credentialId: device.credentialId, expected, statementHash, deadline: now + this.config.witnessTtlMs });
    // An abandoned witness ceremony must not block the person's fallback until the action expires.
    const timer = setTimeout(() => {
      if (this.#witness.get(c.id)?.witness !== principal.id) return;
      this.#witness.delete(c.id);
      void this.#refuse({ ...c, state: 'active' }, principal, 'WITNESS_TIMEOUT', { count: false, consume: true, device: device.credentialId }).catch((e: unknown) =>
        this.ctx.log.error({ challengeId: c.id, err: (e as Error).message }, 'could not close an abandoned witness ceremony'),
      );
    }, this.config.witnessTtlMs + 1000);
    timer.unref();
    const options = await authenticationOptions(this.config, { challenge: new Uint8Array(Buffer.from(expected, 'base64url')), allow: [device] });
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

  async witnessComplete(principal: PrincipalRecord, challengeId: string, body: { credential: AuthenticationResponse }): Promise<Record<string, unknown>> {
    const pending = this.#witness.get(challengeId);
    const c = this.store.getChallenge(challengeId);
    // The lock closed the witness's ceremonies (so `pending` is gone): say why, rather than 404.
    if (this.#locked(principal.id)) {
      const mine = pending !== undefined && pending.witness === principal.id;
      if (mine) this.#witness.delete(challengeId);
      return this.#refuseLockedWitness(principal, challengeId, c?.mode === 'witness' ? c : undefined, mine ? pending.credentialId : undefined);
    }
    if (pending === undefined || c === undefined || c.actionId === null || pending.witness !== principal.id) {
      throw new FirewallError('CHALLENGE_NOT_FOUND', 'no witness ceremony of yours for this challenge', { status: 404 });
    }
    this.#witness.delete(challengeId);
    // An erasure (of the witness or of the person) commits before it clears `#witness`: in between,
    // the challenge is already closed and the witness's device may be gone. Fail closed, nothing tried.
    if (c.state !== 'active') throw new FirewallError('CHALLENGE_USED', `the challenge is ${c.state}`, { status: 409 });
    const now = this.ctx.clock.now();
    const nonce = this.issuer.nonces.get(c.id);
    const detail = { device: pending.credentialId, person: c.person, statementHash: pending.statementHash, ...(nonce ? { nonce: Buffer.from(nonce).toString('base64url') } : {}) };
    const refuse = async (code: string, message: string): Promise<never> => {
      await this.#refuse(c, principal, code, { count: true, consume: true, device: pending.credentialId, detail: { ...detail, message } });
      throw new FirewallError('SIGNATURE_REFUSED', 'the witness signature was refused', { status: 409 });
    };
    // Revoked (or erased) since the options were issued: a revoked device signs nothing.
    const device = this.store.getDevice(pending.credentialId);
    if (device === undefined || device.revokedAt !== null) return refuse('DEVICE_REVOKED', 'the witness device was revoked after the ceremony started');
    if (now > pending.deadline) return refuse('WITNESS_TIMEOUT', 'the witness took too long');
    let newCounter: number;
    try {
      ({ newCounter } = await verifyAssertion(this.config, device, body.credential, pending.expected));
    } catch (e) {
      return refuse('ASSERTION_INVALID', (e as Error).message);
    }
    const assertion = { clientDataJSON: body.credential.response.clientDataJSON, authenticatorData: body.credential.response.authenticatorData, signature: body.credential.response.signature };
    type Out = { refuse: string } | { action: ActionRecord; approval: Approval; verifiedIndex: number; moved: boolean };
    const res: Out = await this.ctx.store.tx(async (tx): Promise<Out> => {
      if (this.store.txChallenge(c.id)?.state !== 'active') return { refuse: 'CHALLENGE_USED' };
      const action = await tx.getAction(c.actionId!);
      if (action === undefined || (action.status !== 'awaiting_signature' && action.status !== 'awaiting_quorum') || now > c.expiresAt) return { refuse: 'ACTION_NOT_PENDING' };
      if (!this.store.txAdvanceCounter(device.credentialId, newCounter, now)) return { refuse: 'COUNTER_REGRESSION' };
      this.store.txEndChallenge(c.id, 'succeeded', 'WITNESSED', now);
      const verifiedIndex = await tx.audit([entry('signature.verified', now, action, { challengeId: c.id, who: principal.id, role: 'witness', mode: 'witness', onBehalfOf: c.person, ...detail, assertion })]);
      // onBehalfOf: the person who authorised in front of the witness (receipts list it in `apv`).
      const approval = { who: principal.id, device: device.credentialId, role: 'witness' as const, at: Math.floor(now / 1000), logIndex: verifiedIndex, onBehalfOf: c.person };
      if (action.status !== 'awaiting_signature') return { action, approval, verifiedIndex, moved: false };
      const approvals = [...action.approvals, approval];
      const status = nextStatus(nextStatus(action.status, 'signature_verified'), 'dispatch');
      const moved = await tx.updateAction(action.id, ['awaiting_signature'], { status, approvals, dueAt: now + this.ctx.dispatchLeaseMs, updatedAt: now });
      if (moved === undefined) throw new FirewallError('ACTION_TRANSITION_RACED', 'the action changed while the signature was recorded', { status: 409 });
      const first = await tx.audit([
        entry('action.authorised', now, action, { event: 'signature_verified', tier: action.classification.tier, approvals, policyHash: action.classification.policyHash }),
        entry('action.dispatched', now, action, { event: 'dispatch', attempt: 1 }),
      ]);
      return { action: (await tx.updateAction(action.id, ['executing'], { authorisationLogIndex: first })) ?? moved, approval, verifiedIndex, moved: true };
    });
    if ('refuse' in res) return refuse(res.refuse, 'the action or challenge changed before the witness signature was recorded');
    this.issuer.nonces.delete(c.id);
    if (res.moved) {
      this.ctx.bus.changed(res.action);
      void this.ctx.dispatcher.dispatch(res.action);
    } else {
      await this.#toQuorum(c.actionId, { ...res.approval, digest: c.digest });
    }
    return { accepted: true, approval: res.approval, logIndex: res.verifiedIndex, actionStatus: res.action.status };
  }

  // --- refusals, failure counting, lock --------------------------------------------------------------

  /** Committed lock state (the transaction-visible one is `#txLocked`). */
  #locked(personId: string): boolean {
    const p = this.store.getPerson(personId);
    return p !== undefined && p.lockedAt !== null;
  }

  /** Inside a store.tx: the lock as this transaction sees it, including one committed earlier in its batch. */
  #txLocked(personId: string): boolean {
    const p = this.store.txPerson(personId);
    return p !== undefined && p.lockedAt !== null;
  }

  /**
   * A locked person witnesses nothing until unlocked: logged like other witness refusals (not
   * counted: the lock already answered), and a ceremony of theirs still open (`device`) is consumed.
   */
  async #refuseLockedWitness(principal: PrincipalRecord, challengeId: string, c: ChallengeRow | undefined, device?: string): Promise<never> {
    if (c === undefined) await this.#refuseForeign(principal, challengeId, 'PERSON_LOCKED');
    else await this.#refuse(c, principal, 'PERSON_LOCKED', { count: false, consume: device !== undefined, ...(device === undefined ? {} : { device }) });
    throw new FirewallError('PERSON_LOCKED', DEVICE_REASONS.locked, { status: 423 });
  }

  /** A principal tried a challenge that does not exist or is someone else's: logged, counted for them, nothing consumed. */
  async #refuseForeign(principal: PrincipalRecord, challengeId: string, code: string): Promise<void> {
    const now = this.ctx.clock.now();
    const closed = await this.ctx.store.tx(async (tx): Promise<ChallengeRow[] | undefined> => {
      const entries: Record<string, unknown>[] = [{ v: 1, type: 'signature.refused', ts: now, who: principal.id, challengeId: challengeId.slice(0, 200), code }];
      const p = this.store.txPerson(principal.id);
      let closed: ChallengeRow[] | undefined;
      if (p !== undefined && p.lockedAt === null) {
        const failures = p.failures + 1;
        const locked = failures >= this.config.lockAfterFailures;
        this.store.txSetFailures(p.id, failures, locked ? now : null, now);
        if (locked) closed = this.#txLock(p.id, failures, now, entries);
      }
      await tx.audit(entries);
      return closed;
    });
    if (closed !== undefined) await this.#afterLock(principal.id, closed, now);
  }

  async #refuse(
    c: ChallengeRow,
    principal: PrincipalRecord,
    code: string,
    o: { count: boolean; consume: boolean; device?: string; fingerprint?: Fingerprint; counter?: number | undefined; detail?: Record<string, unknown> },
  ): Promise<{ locked: boolean; logIndex?: number; next?: string }> {
    const now = this.ctx.clock.now();
    const res = await this.ctx.store.tx(async (tx) => {
      const consumed = o.consume ? this.store.txEndChallenge(c.id, code === 'CHALLENGE_EXPIRED' ? 'expired' : 'failed', code, now) : false;
      // Erased while this session ran: nothing about that person's body is written again.
      const erased = this.store.txPerson(c.person) === undefined;
      if (o.fingerprint !== undefined && !erased) this.store.txInsertFingerprint(c.person, c.id, o.fingerprint, now);
      // A valid assertion still moved the authenticator's counter: keep up with it (never back).
      if (o.counter !== undefined && o.device !== undefined) this.store.txAdvanceCounter(o.device, o.counter, now);
      let locked = false;
      let failures: number | undefined;
      const countable = o.count && c.purpose === 'action';
      const p = this.store.txPerson(principal.id);
      if (countable && p !== undefined && p.lockedAt === null) {
        failures = p.failures + 1;
        locked = failures >= this.config.lockAfterFailures;
        this.store.txSetFailures(p.id, failures, locked ? now : null, now);
      }
      if (c.purpose === 'enrolment' && !erased && o.fingerprint !== undefined && o.detail?.['liveness'] !== undefined) {
        this.store.txInsertEnrolment(c.id, c.person, o.detail['liveness'], false, now);
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
      const closed = locked ? this.#txLock(principal.id, failures!, now, entries) : undefined;
      const logIndex = await tx.audit(entries);
      return { consumed, closed, logIndex };
    });
    if (res.consumed) {
      this.issuer.nonces.delete(c.id);
      this.#witness.delete(c.id);
    }
    if (res.closed !== undefined) await this.#afterLock(principal.id, res.closed, now);
    let next: string | undefined;
    if (res.consumed && c.purpose === 'action' && c.actionId !== null) {
      // Another try for the person (also after a witness's failed attempt, even one that locked the
      // witness), while the action waits and the policy's attempts last; never for a locked person.
      const a = await this.ctx.store.getAction(c.actionId);
      if (a !== undefined) next = (await this.issuer.issueChallenge(a, c.person, c.role).catch(() => undefined))?.id;
    }
    return { locked: res.closed !== undefined, logIndex: res.logIndex, ...(next === undefined ? {} : { next }) };
  }

  /**
   * Inside the transaction that locks the person: appends `signature.person_locked` and, after it, a
   * `signature.challenge_closed` for each open challenge they answer or witness (as erasure does),
   * closed here so that none (not even one with a session or witness ceremony under way) can be
   * answered on their authority while they are locked.
   */
  #txLock(personId: string, failures: number, now: number, entries: Record<string, unknown>[]): ChallengeRow[] {
    entries.push({ v: 1, type: 'signature.person_locked', ts: now, person: personId, failures });
    const closed = this.store.txOpenChallengesInvolving(personId).filter((c) => this.store.txEndChallenge(c.id, 'cancelled', 'PERSON_LOCKED', now));
    for (const c of closed) entries.push(challengeClosedEntry(c, now, 'PERSON_LOCKED', c.state === 'active' ? this.issuer.nonces.get(c.id) : undefined));
    return closed;
  }

  async #afterLock(personId: string, closed: readonly ChallengeRow[], now: number): Promise<void> {
    this.#forgetClosed(closed, 'PERSON_LOCKED', { code: 'PERSON_LOCKED', message: 'the person was locked while the session ran' });
    notifyPerson(this.ctx, personId, 'locked', { person: personId, at: new Date(now).toISOString() }, { id: `msg_lock_${randomUUID().replaceAll('-', '')}`, type: 'signature.person_locked' });
    await this.#reissueWitnessed(personId, closed, 'a lock');
  }
}
