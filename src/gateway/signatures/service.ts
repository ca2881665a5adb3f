import type { Modality } from '../../core/policy/modality.ts';
import type { AuthenticationResponse, HelloMessage, RegistrationResponse } from '../../core/signature/messages.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { ActionRecord } from '../action-record.ts';
import type { GatewayContext } from '../context.ts';
import type { ChangeOrigin } from '../status-bus.ts';
import { challengeClosedEntry, type ChallengeClosedReason } from './challenge-closed-entry.ts';
import { ChallengeIssuer } from './challenge-issuer.ts';
import type { SignatureConfig } from './config.ts';
import * as devices from './devices.ts';
import type { Erasure } from './erasure.ts';
import * as live from './live-session.ts';
import * as people from './people.ts';
import { erasePerson, purgeInactive } from './person-erasure.ts';
import * as challenges from './person-challenges.ts';
import { forgetClosed } from './refusal.ts';
import type { LiveEnd, SessionOutcome, SessionPlan, SessionResult } from './session-types.ts';
import type { QuorumApprovalSink, SignatureState } from './signature-state.ts';
import type { DeviceKind, SignatureReads } from '../ports/signatures.ts';
import { witnessComplete, witnessOptions } from './witness.ts';

/**
 * Biological signatures (seed §VI.2, docs/protocol.md): people and their passkeys (people.ts,
 * devices.ts), challenges (issued by challenge-issuer.ts when an action starts to wait for people,
 * when someone enrols late, or when a device asks for the next one; person-challenges.ts), the
 * outcome of each live session (live-session.ts), the institutional-witness fallback (witness.ts),
 * the lock after repeated failures (refusal.ts), and erasure (person-erasure.ts). The WebSocket
 * transport (adapters/http/challenge-socket.ts) drives `beginSession` / `completeSession` /
 * `failSession`. This class is the capability's one entry point; the parts share its state.
 */
export class SignatureService {
  readonly ctx: GatewayContext;
  readonly config: SignatureConfig;
  /** Committed reads of the signature aggregate. */
  readonly store: SignatureReads;
  /** Who is asked to sign, and the challenges that ask them (with their nonces, in memory only). */
  readonly issuer: ChallengeIssuer;
  readonly #s: SignatureState;

  constructor(o: { ctx: GatewayContext; config: SignatureConfig; recordApproval?: QuorumApprovalSink }) {
    this.ctx = o.ctx;
    this.config = o.config;
    this.store = o.ctx.store.signatures;
    this.issuer = new ChallengeIssuer(o.ctx, this.store);
    this.#s = {
      ctx: o.ctx,
      config: o.config,
      store: this.store,
      issuer: this.issuer,
      live: new Map(),
      sessionsPerPerson: o.ctx.limits.limiter({ name: 'sig-person', points: o.config.sessionsPerPersonPerHour, durationSec: 3600 }),
      recordApproval: o.recordApproval,
    };
  }

  // --- challenges follow the action ----------------------------------------------------------------

  /**
   * StatusBus observer: issue challenges when an action starts waiting here; close them when it
   * stops, here or on another replica.
   */
  onActionChanged(a: ActionRecord, origin: ChangeOrigin = 'local'): void {
    if (a.status === 'awaiting_signature' || a.status === 'awaiting_quorum') {
      if (origin === 'remote') return;
      void this.issuer.issueForAction(a).catch((e: unknown) => this.ctx.log.error({ actionId: a.id, err: (e as Error).message }, 'could not issue signature challenges'));
    } else if (this.issuer.hasIssuedFor(a.id)) {
      void this.closeForAction(a.id, a.status === 'expired' ? 'expired' : 'cancelled', `ACTION_${a.status.toUpperCase()}`).catch((e: unknown) =>
        this.ctx.log.error({ actionId: a.id, err: (e as Error).message }, 'could not close signature challenges'),
      );
    }
  }

  /**
   * At start-up: open challenges stay open (their nonces are sealed in the store); sessions lost
   * with a stopped process close once they cannot still be running on another replica
   * (challenge-issuer.ts `recover`).
   */
  recover(): Promise<void> {
    const cfg = this.config;
    // The longest a started session can last (challenge-socket.ts timers), with a margin for clocks.
    return this.issuer.recover((c) => (c.mode === 'witness' ? cfg.witnessTtlMs + 1000 : c.sustainedMs + cfg.finishWithinMs + cfg.signTimeoutMs) + 5_000);
  }

  /** The action stopped waiting: its open challenges close, running sessions end (not counted as failures). */
  async closeForAction(actionId: string, state: 'expired' | 'cancelled', reason: ChallengeClosedReason): Promise<void> {
    // Forgotten before the read: a further status change of the action must not close them twice.
    this.issuer.forgetAction(actionId);
    const open = await this.store.openChallengesForAction(actionId);
    if (open.length === 0) return;
    // A started session publishes its nonce: opened before the transaction (no HSM call inside it).
    const nonces = await this.issuer.nonces.ofActive(open);
    const now = this.ctx.clock.now();
    await this.ctx.store.tx(async (tx) => {
      for (const c of open) {
        if (!(await tx.signatures.endChallenge(c.id, state, reason, now))) continue;
        await tx.audit([challengeClosedEntry(c, now, reason, nonces.get(c.id))]);
      }
    });
    forgetClosed(this.#s, open, reason, { code: 'ACTION_NOT_PENDING', message: `the action stopped waiting (${reason})` });
  }

  // --- people and devices ----------------------------------------------------------------------------

  declarePerson(principal: PrincipalRecord, personId: string, body: { modalities: Modality[]; displayName?: string }): Promise<Record<string, unknown>> {
    return people.declarePerson(this.#s, principal, personId, body);
  }

  personOf(principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>> {
    return people.personOf(this.#s, principal, personId);
  }

  unlock(principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>> {
    return people.unlock(this.#s, principal, personId);
  }

  registrationOptions(principal: PrincipalRecord, personId: string, body: { kind: DeviceKind; name?: string }, opts: { discoverable?: boolean } = {}): Promise<Record<string, unknown>> {
    return devices.registrationOptions(this.#s, principal, personId, body, opts);
  }

  registerDevice(principal: PrincipalRecord, personId: string, body: { ceremonyId: string; credential: RegistrationResponse }): Promise<Record<string, unknown>> {
    return devices.registerDevice(this.#s, principal, personId, body);
  }

  deviceOf(principal: PrincipalRecord, credentialId: string): Promise<Record<string, unknown>> {
    return devices.deviceOf(this.#s, principal, credentialId);
  }

  revokeDevice(principal: PrincipalRecord, credentialId: string): Promise<Record<string, unknown>> {
    return devices.revokeDevice(this.#s, principal, credentialId);
  }

  authenticationOptions(principal: PrincipalRecord, credentialId: string): Promise<Record<string, unknown>> {
    return devices.authenticationOptions(this.#s, principal, credentialId);
  }

  authenticateDevice(principal: PrincipalRecord, credentialId: string, body: { ceremonyId: string; credential: AuthenticationResponse }): Promise<Record<string, unknown>> {
    return devices.authenticateDevice(this.#s, principal, credentialId, body);
  }

  // --- challenges as people see them ----------------------------------------------------------------

  challengeFor(principal: PrincipalRecord, challengeId: string): Promise<Record<string, unknown>> {
    return challenges.challengeFor(this.#s, principal, challengeId);
  }

  challengesOf(principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>[]> {
    return challenges.challengesOf(this.#s, principal, personId);
  }

  nextChallenge(principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>> {
    return challenges.nextChallenge(this.#s, principal, personId);
  }

  requestChallenge(principal: PrincipalRecord, personId: string, actionId: string): Promise<Record<string, unknown>> {
    return challenges.requestChallenge(this.#s, principal, personId, actionId);
  }

  enrolmentSession(principal: PrincipalRecord, personId: string, body: { modalities: Modality[]; durationMs?: number }): Promise<Record<string, unknown>> {
    return challenges.enrolmentSession(this.#s, principal, personId, body);
  }

  // --- erasure and retention (docs/privacy.md) ---------------------------------------------------------

  erasePerson(principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>> {
    return erasePerson(this.#s, principal, personId);
  }

  purgeInactive(): Promise<Erasure[]> {
    return purgeInactive(this.#s);
  }

  // --- the live session (driven by the WebSocket transport) -------------------------------------------

  registerLive(challengeId: string, end: (why: LiveEnd) => void): () => void {
    this.#s.live.set(challengeId, end);
    return () => {
      if (this.#s.live.get(challengeId) === end) this.#s.live.delete(challengeId);
    };
  }

  beginSession(principal: PrincipalRecord, urlChallengeId: string, hello: HelloMessage): Promise<SessionPlan> {
    return live.beginSession(this.#s, principal, urlChallengeId, hello);
  }

  failSession(plan: SessionPlan, code: string, message: string, extra: Record<string, unknown> = {}): Promise<SessionResult> {
    return live.failSession(this.#s, plan, code, message, extra);
  }

  completeSession(plan: SessionPlan, out: SessionOutcome): Promise<SessionResult> {
    return live.completeSession(this.#s, plan, out);
  }

  // --- institutional witness (nobody is excluded) -----------------------------------------------------

  witnessOptions(principal: PrincipalRecord, challengeId: string, body: { credentialId: string }): Promise<Record<string, unknown>> {
    return witnessOptions(this.#s, principal, challengeId, body);
  }

  witnessComplete(principal: PrincipalRecord, challengeId: string, body: { credential: AuthenticationResponse }): Promise<Record<string, unknown>> {
    return witnessComplete(this.#s, principal, challengeId, body);
  }
}
