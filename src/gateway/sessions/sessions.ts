import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { FirewallError } from '../../core/errors.ts';
import { readRequestSignature, signatureVerifies, type SignedRequest } from '../../core/http-signature/request-signature.ts';
import type { Signer } from '../../core/signer.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { Store } from '../ports/store.ts';
import type { ReplayCache, ReplayOutcome } from '../ports/replay-cache.ts';
import { checkDeterministic, deriveSessionKey } from './session-keys.ts';
import type { SessionRecord, SessionRegistry } from '../ports/session-registry.ts';

export interface SessionsOptions {
  signer: Signer;
  clock: Clock;
  store: Pick<Store, 'principals'>;
  registry: SessionRegistry;
  nonces: ReplayCache;
  /** Lifetime of a session, seconds (at most 900). */
  ttlSec: number;
  /** Live (unexpired, unrevoked) sessions one agent may hold. */
  maxPerAgent: number;
  /** How far `created` may be from the gateway's clock, seconds. */
  windowSec: number;
}

export interface OpenedSession {
  sessionId: string;
  /** 32 bytes; handed to the agent once, never stored or logged by the gateway. */
  key: Buffer;
  createdAt: number;
  expiresAt: number;
}

export interface VerifiedRequest {
  principal: PrincipalRecord;
  sessionId: string;
  /** What the body must hash to (Content-Digest, covered by the signature). */
  contentSha256: Buffer;
}

/**
 * Codes: SESSION_UNKNOWN, SESSION_EXPIRED, SESSION_REVOKED, SESSION_AGENT_MISMATCH,
 * SESSION_PRINCIPAL_DISABLED, SIGNATURE_NONCE_REUSED (401); SESSION_LIMIT_REACHED (429);
 * NONCE_STORE_FULL, NONCE_STORE_UNAVAILABLE, NONCE_STORE_RESTARTED, SESSIONS_UNAVAILABLE (503); and
 * request-signature.ts's. The 503s fail closed: the request is refused, nothing is accepted.
 */
function unauthorised(code: string, message: string): FirewallError {
  return new FirewallError(code, message, { status: 401 });
}

function unavailable(code: 'NONCE_STORE_UNAVAILABLE' | 'SESSIONS_UNAVAILABLE', message: string, cause: unknown): FirewallError {
  return new FirewallError(code, message, { status: 503, cause });
}

/** A shared registry that cannot answer refuses the request (it cannot tell a revoked session). */
async function registryCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    throw unavailable('SESSIONS_UNAVAILABLE', 'the session registry cannot be reached; retry shortly', cause);
  }
}

/**
 * Per-session request signing (docs/api.md §Sessions): an agent proves its registered key once
 * with a client assertion and then signs each request with HMAC-SHA-256, microseconds instead of
 * an Ed25519 verification. Derived keys are cached in this process for the session's life only.
 */
export class Sessions {
  readonly #o: SessionsOptions;
  /** Derived keys of live sessions, as KeyObjects (imported once), and their agents' records (re-read each second). */
  readonly #keys = new Map<string, { key: Promise<KeyObject>; expiresAt: number; principal?: { record: PrincipalRecord; at: number } }>();
  #deterministic: Promise<void> | undefined;

  constructor(o: SessionsOptions) {
    this.#o = o;
  }

  async open(agent: PrincipalRecord): Promise<OpenedSession> {
    this.#deterministic ??= checkDeterministic(this.#o.signer).catch((e: unknown) => {
      this.#deterministic = undefined; // an HSM outage is not a verdict on determinism: ask again next time
      throw e;
    });
    await this.#deterministic;
    const now = this.#o.clock.now();
    const record: SessionRecord = { id: `ses_${randomBytes(24).toString('base64url')}`, agent: agent.id, createdAt: now, expiresAt: now + this.#o.ttlSec * 1000, revokedAt: null };
    const key = await deriveSessionKey(this.#o.signer, agent.id, record.id);
    if (!(await registryCall(() => this.#o.registry.open(record, this.#o.maxPerAgent, now)))) {
      throw new FirewallError('SESSION_LIMIT_REACHED', `this agent already holds ${this.#o.maxPerAgent} live sessions; revoke one or let it expire`, { status: 429 });
    }
    this.#cache(record, Promise.resolve(createSecretKey(key)), now);
    return { sessionId: record.id, key, createdAt: now, expiresAt: record.expiresAt };
  }

  async revoke(agent: PrincipalRecord, sessionId: string): Promise<SessionRecord> {
    const s = await registryCall(() => this.#o.registry.get(sessionId));
    if (s === undefined || s.expiresAt <= this.#o.clock.now()) throw unauthorised('SESSION_UNKNOWN', 'no such live session');
    if (s.agent !== agent.id) throw unauthorised('SESSION_AGENT_MISMATCH', 'this session belongs to another agent');
    this.#keys.delete(sessionId);
    return (await registryCall(() => this.#o.registry.revoke(sessionId, this.#o.clock.now()))) ?? s;
  }

  /** Everything but the body: the body is checked against `contentSha256` once it has been read. */
  async verify(r: SignedRequest): Promise<VerifiedRequest> {
    const now = this.#o.clock.now();
    const sig = readRequestSignature(r, { nowMs: now, windowSec: this.#o.windowSec });
    const s = await registryCall(() => this.#o.registry.get(sig.keyid));
    if (s === undefined) throw unauthorised('SESSION_UNKNOWN', 'keyid names no session of this gateway');
    if (s.expiresAt <= now) throw unauthorised('SESSION_EXPIRED', 'the session has expired; open a new one');
    if (s.revokedAt !== null) throw unauthorised('SESSION_REVOKED', 'the session was revoked');
    const cached = this.#keys.get(s.id) ?? this.#cache(s, deriveSessionKey(this.#o.signer, s.agent, s.id).then(createSecretKey), now);
    if (!signatureVerifies(await cached.key, sig)) throw unauthorised('SIGNATURE_INVALID', 'the request signature does not verify with the session key');
    // After the signature: only the session's holder can spend its nonces.
    let outcome: ReplayOutcome;
    try {
      outcome = await this.#o.nonces.use(`${s.id}\n${sig.nonce}`, { issuedAt: sig.created * 1000, expiresAt: (sig.created + this.#o.windowSec + 1) * 1000 }, now);
    } catch (cause) {
      throw unavailable('NONCE_STORE_UNAVAILABLE', 'the nonce store cannot be reached; the request is refused rather than risk accepting a replay', cause);
    }
    if (outcome === 'forgotten') throw new FirewallError('NONCE_STORE_RESTARTED', 'the signature was created before the nonce store (re)started, so its nonce may have been used; sign again', { status: 503, detail: { retryAfterSeconds: 1 } });
    if (outcome === 'reused') throw unauthorised('SIGNATURE_NONCE_REUSED', 'this nonce was already used with this session');
    if (outcome === 'full') throw new FirewallError('NONCE_STORE_FULL', 'too many signed requests in flight to remember their nonces; retry shortly', { status: 503 });
    // The agent's record is read at most once a second per session: disabling an agent stops its sessions within a second.
    let principal = cached.principal !== undefined && now - cached.principal.at < 1000 ? cached.principal.record : undefined;
    if (principal === undefined) {
      principal = await this.#o.store.principals.get(s.agent);
      if (principal !== undefined) cached.principal = { record: principal, at: now };
    }
    if (principal === undefined || principal.disabled) throw unauthorised('SESSION_PRINCIPAL_DISABLED', "the session's agent is unknown or disabled");
    return { principal, sessionId: s.id, contentSha256: sig.contentSha256 };
  }

  #cache(s: SessionRecord, key: Promise<KeyObject>, now: number) {
    if (this.#keys.size >= 1024) for (const [id, k] of this.#keys) if (k.expiresAt <= now) this.#keys.delete(id);
    const entry: { key: Promise<KeyObject>; expiresAt: number; principal?: { record: PrincipalRecord; at: number } } = { key, expiresAt: s.expiresAt };
    key.catch(() => this.#keys.get(s.id) === entry && this.#keys.delete(s.id)); // an HSM failure is not cached
    this.#keys.set(s.id, entry);
    return entry;
  }
}
