import { createHash, randomUUID } from 'node:crypto';
import type { QuorumRequirement } from '../../core/policy/types.ts';
import { planRoles } from '../../core/policy/signature-roles.ts';
import { sortModalities } from '../../core/policy/modality.ts';
import { MAX_DURATION_MS, MIN_DURATION_MS } from '../../core/stimulus/index.ts';
import type { ActionRecord } from '../action-record.ts';
import { entry } from '../audit-entries.ts';
import type { GatewayContext } from '../context.ts';
import { challengeClosedEntry } from './challenge-closed-entry.ts';
import { ChallengeNonces } from './challenge-nonces.ts';
import { rolesView, sigSpec } from './challenge-roles.ts';
import { notifyPerson } from './person-notice.ts';
import type { ChallengeRow, SignatureReads } from '../ports/signatures.ts';
import { challengeView } from './views.ts';

export type ApproverRole = 'authorizer' | 'comparator';
export interface Approver {
  person: string;
  role: ApproverRole;
}

const WAITING = ['awaiting_signature', 'awaiting_quorum'] as const;

function waiting(a: Pick<ActionRecord, 'status'>): boolean {
  return a.status === 'awaiting_signature' || a.status === 'awaiting_quorum';
}


/**
 * Who is asked to sign which waiting action, and the challenges that ask them (docs/protocol.md §2):
 * one open challenge per (action, person) at most — the database's `open_key` enforces it, so two
 * issues racing each other (the action starting to wait, a late enrolment, a device asking for
 * `next`) end with one challenge. Never for a locked person, past the policy's attempts, or once the person declined.
 * Challenge nonces are stored sealed by the HSM in their rows (challenge-nonces.ts), beside their
 * SHA-256 commitment, so any replica, or this one after a restart, can finish a session.
 */
export class ChallengeIssuer {
  readonly #ctx: GatewayContext;
  readonly #store: SignatureReads;
  /** Nonces of open challenges (action challenges and enrolment sessions): sealed in the store, cached here. */
  readonly nonces: ChallengeNonces;
  /** Actions with open challenges, so status changes of other actions cost nothing. */
  readonly #openActions = new Set<string>();

  constructor(ctx: GatewayContext, store: SignatureReads) {
    this.#ctx = ctx;
    this.#store = store;
    this.nonces = new ChallengeNonces(ctx.sealer, store);
  }

  /** Whether challenges were issued for the action in this process (they may be closed since). */
  hasIssuedFor(actionId: string): boolean {
    return this.#openActions.has(actionId);
  }

  /** The actions this process issued challenges for and has not forgotten. */
  issuedFor(): Iterable<string> {
    return [...this.#openActions];
  }

  /** The action stopped waiting: its status changes no longer concern challenges. */
  forgetAction(actionId: string): void {
    this.#openActions.delete(actionId);
  }

  /**
   * At start-up. Issued challenges stay open: their nonces are sealed in the store, so the device
   * can still answer them, here or on another replica. Closed: those issued before nonces were
   * stored sealed (GATEWAY_RESTARTED), and started sessions that cannot still be running anywhere
   * (SESSION_LOST; `sessionLimitMs` is the longest a session can last); a session that could
   * still be running on another replica is closed at its limit if it has not ended by then.
   * Then challenges for the waiting actions that lack them.
   */
  async recover(sessionLimitMs: (c: ChallengeRow) => number): Promise<void> {
    const now = this.#ctx.clock.now();
    const unsealed: ChallengeRow[] = [];
    const lost: ChallengeRow[] = [];
    for (const c of await this.#store.allOpenChallenges()) {
      // This process now closes them when their action stops waiting (as the issuer did).
      if (c.actionId !== null) this.#openActions.add(c.actionId);
      if (c.state === 'active') {
        const limit = (c.startedAt ?? c.issuedAt) + sessionLimitMs(c);
        if (now >= limit) lost.push(c);
        else setTimeout(() => void this.#closeLost(c).catch((e: unknown) => this.#ctx.log.error({ challengeId: c.id, err: (e as Error).message }, 'could not close a lost signature session')), limit - now + 1).unref();
      } else if ((await this.#store.sealedNonce(c.id)) === undefined) {
        unsealed.push(c);
      }
    }
    if (unsealed.length > 0) await this.#close(unsealed, 'expired', 'GATEWAY_RESTARTED');
    for (const c of lost) await this.#closeLost(c);
    for (const a of await this.#ctx.store.actionsInStatus(WAITING)) await this.issueForAction(a);
    this.#ctx.log.info({ unsealed: unsealed.length, lost: lost.length }, 'signature challenges recovered');
  }

  /** A started session nobody runs any more (its gateway process stopped): closed, not counted, a fresh challenge issued. */
  async #closeLost(c: ChallengeRow): Promise<void> {
    const cur = await this.#store.getChallenge(c.id);
    if (cur?.state !== 'active' || cur.startedAt !== c.startedAt) return;
    if ((await this.#close([cur], 'expired', 'SESSION_LOST')).length === 0 || cur.actionId === null) return;
    const a = await this.#ctx.store.getAction(cur.actionId);
    if (a !== undefined) await this.issueChallenge(a, cur.person, cur.role);
  }

  /** Closes open challenges with `reason` (those still open when the transaction runs); returns those it closed. */
  async #close(challenges: ChallengeRow[], state: 'expired', reason: 'GATEWAY_RESTARTED' | 'SESSION_LOST'): Promise<ChallengeRow[]> {
    const now = this.#ctx.clock.now();
    const nonces = await this.nonces.ofActive(challenges);
    const closed = await this.#ctx.store.tx(async (tx) => {
      const out: ChallengeRow[] = [];
      for (const c of challenges) {
        if (!(await tx.signatures.endChallenge(c.id, state, reason, now))) continue;
        await tx.audit([challengeClosedEntry(c, now, reason, nonces.get(c.id))]);
        out.push(c);
      }
      return out;
    });
    for (const c of closed) this.nonces.forget(c.id);
    return closed;
  }

  /** Who is asked: HIGH, every enrolled authorizer; CRITICAL, the quorum's members and biological comparators. */
  async approversFor(a: ActionRecord): Promise<Approver[]> {
    return this.#eligible(a, await this.#candidates(a));
  }

  /** The role in which `personId` is asked to approve `a`, if they are. */
  async roleOf(a: ActionRecord, personId: string): Promise<ApproverRole | undefined> {
    return (await this.#eligible(a, await this.#candidates(a, personId)))[0]?.role;
  }

  async #candidates(a: ActionRecord, only?: string): Promise<Approver[]> {
    const out: Approver[] = [];
    if (a.classification.tier === 'HIGH') {
      if (only !== undefined) out.push({ person: only, role: 'authorizer' });
      else for (const p of await this.#store.people()) out.push({ person: p.id, role: 'authorizer' });
    } else if (a.classification.tier === 'CRITICAL') {
      const q = a.classification.requirements['quorum'] as QuorumRequirement | undefined;
      for (const c of q?.allOf ?? []) for (const m of c.members) out.push({ person: m, role: 'authorizer' });
      for (const c of q?.comparators ?? []) if (c.biological) for (const m of c.members) out.push({ person: m, role: 'comparator' });
    }
    return only === undefined ? out : out.filter((c) => c.person === only);
  }

  /** Candidates who may approve: not the agent or its owner, an enabled principal holding the role, with a signature record. */
  async #eligible(a: ActionRecord, candidates: Approver[]): Promise<Approver[]> {
    if (candidates.length === 0) return [];
    const agent = await this.#ctx.store.principals.get(a.agent);
    const excluded = new Set([a.agent, ...(agent?.owner === undefined ? [] : [agent.owner])]);
    const out: Approver[] = [];
    const seen = new Set<string>();
    for (const c of candidates) {
      if (excluded.has(c.person) || seen.has(c.person)) continue;
      const principal = await this.#ctx.store.principals.get(c.person);
      if (principal === undefined || principal.disabled || !principal.roles.includes(c.role)) continue;
      if (await this.#store.getPerson(c.person) === undefined) continue;
      seen.add(c.person);
      out.push(c);
    }
    return out;
  }

  async issueForAction(a: ActionRecord): Promise<void> {
    for (const { person, role } of await this.approversFor(a)) await this.issueChallenge(a, person, role);
  }

  /**
   * Catching up: a challenge for every action already waiting on `personId` that has none open
   * for them (they enrolled, or declared their modalities, after it started to wait, or their
   * device asks for the next challenge). Idempotent. Returns the challenges now open for them.
   */
  async issueWaiting(personId: string): Promise<ChallengeRow[]> {
    const p = await this.#store.getPerson(personId);
    if (p === undefined || p.lockedAt !== null) return [];
    for (const a of await this.#ctx.store.actionsInStatus(WAITING)) {
      const role = await this.roleOf(a, personId);
      if (role === undefined) continue;
      await this.issueChallenge(a, personId, role).catch((e: unknown) =>
        this.#ctx.log.error({ actionId: a.id, person: personId, err: (e as Error).message }, 'could not issue a signature challenge'),
      );
    }
    return await this.#store.openChallengesOf(personId);
  }

  /**
   * One challenge for (action, person), unless one is open, the person is locked, cannot sign, or
   * has used up the policy's attempts. Returns the open challenge (new or existing) if any.
   */
  async issueChallenge(a: ActionRecord, personId: string, role: ApproverRole): Promise<ChallengeRow | undefined> {
    const spec = sigSpec(a);
    const person = await this.#store.getPerson(personId);
    if (spec === undefined || person === undefined || person.lockedAt !== null) return undefined;
    if (!waiting(a)) return undefined;
    const existing = (await this.#store.openChallengesOf(personId)).find((c) => c.actionId === a.id);
    if (existing !== undefined) return existing;
    // What the policy's modality roles ask of this person (signature-roles.ts): two primaries, or
    // the fallback it allows (one primary with a supporting modality, longer, the witness), or nothing.
    const plan = planRoles(spec, person.modalities);
    if (plan === null) {
      this.#ctx.log.info({ actionId: a.id, person: personId }, 'the policy gives this person no way to sign (too few primary modalities, no fallback allowed); no challenge issued');
      return undefined;
    }
    const mode = plan.mode === 'witness' ? 'witness' : 'biological';
    const allowed = mode === 'witness' ? [] : sortModalities([...plan.primary, ...plan.supporting]);
    if (mode === 'biological' && !(await this.#store.devicesOf(personId)).some((d) => d.revokedAt === null)) return undefined;
    const sustainedMs = Math.max(MIN_DURATION_MS, plan.sustainedMs);
    if (sustainedMs > MAX_DURATION_MS) {
      this.#ctx.log.error({ actionId: a.id, sustainedMs }, 'the policy asks for a longer sustained duration than the stimulus supports; no challenge issued');
      return undefined;
    }
    const now = this.#ctx.clock.now();
    const expiresAt = Math.min(a.dueAt ?? now + spec.windowMs, now + spec.windowMs);
    // No challenge that could not be answered inside the window.
    if (expiresAt - now < sustainedMs) return undefined;
    const nonce = await this.#ctx.signer.random(32);
    const id = `chl_${randomUUID()}`;
    // Sealed by the HSM before the row exists: the row is never without its nonce.
    const sealedNonce = await this.nonces.seal(id, nonce);
    const row = {
      id,
      purpose: 'action' as const,
      mode: mode as ChallengeRow['mode'],
      actionId: a.id,
      digest: a.digest,
      person: personId,
      role,
      modalities: allowed,
      sustainedMs,
      nonceSha256: createHash('sha256').update(nonce).digest('hex'),
      issuedAt: now,
      expiresAt,
      sealedNonce,
    };
    // Before the commit: the row is readable once committed, before the commit's durability
    // barrier releases this call, and a status change of the action in that gap must close it.
    this.#openActions.add(a.id);
    const inserted = await this.#ctx.store.tx(async (tx) => {
      const current = await tx.getAction(a.id);
      if (current === undefined || !waiting(current)) return false;
      // Re-read here: a lock (or erasure) committed since the check above, even earlier in this batch, wins.
      const p = await tx.signatures.person(personId);
      if (p === undefined || p.lockedAt !== null) return false;
      if ((await tx.signatures.attempts(a.id, personId)) >= spec.maxAttempts) return false;
      // A person who declined this action with a reason is not asked again (approver/decline.ts).
      if (await tx.signatures.declined(a.id, personId)) return false;
      // False when another issue for the same (action, person) committed first: that one stands.
      if (!(await tx.signatures.insertChallenge(row))) return false;
      await tx.audit([
        entry('signature.challenge_issued', now, a, {
          challengeId: id,
          person: personId,
          role,
          mode,
          modalities: allowed,
          ...(spec.roles === undefined ? {} : { roles: rolesView(plan) }),
          sustainedMs,
          issuedAt: now,
          expiresAt,
          // A commitment to the nonce: the nonce itself is logged when the session ends.
          nonceSha256: row.nonceSha256,
        }),
      ]);
      return true;
    }).catch((e: unknown) => {
      this.nonces.forget(id);
      throw e;
    });
    if (!inserted) {
      this.nonces.forget(id);
      return (await this.#store.openChallengesOf(personId)).find((c) => c.actionId === a.id);
    }
    const c = (await this.#store.getChallenge(id))!;
    notifyPerson(this.#ctx, personId, 'challenge', challengeView(c, a), { id: `msg_${id}`, type: 'signature.challenge_issued' });
    return c;
  }
}
