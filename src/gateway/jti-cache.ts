import { createHash } from 'node:crypto';
import type { ReplayCache, ReplayOutcome } from './ports/replay-cache.ts';

/**
 * Single-use assertion ids. In memory: assertions live at most a few minutes, and the verifier
 * refuses any assertion issued before this process started, so a restart cannot reopen a replay
 * window. Bounded so a flood of unique ids cannot exhaust memory: at most `max` ids (expired ones
 * are swept every 10 s, and when it is full at most once a second; when none has expired it
 * refuses, failing closed rather than forgetting), and each id is kept as a fixed 128-bit digest of the principal
 * and jti, so a client's choice of a 200-character jti costs the same as a short one.
 */
export class JtiCache {
  readonly #seen = new Map<string, number>();
  readonly #max: number;
  #sweptAt = Number.NEGATIVE_INFINITY;

  constructor(max = 200_000) {
    this.#max = max;
  }

  /** Records the id; false if it was already used and has not expired, or the cache is full. */
  use(key: string, expiresAt: number, now: number): boolean {
    return this.record(key, expiresAt, now) === 'fresh';
  }

  /** Records the id, saying why not when it does not. */
  record(key: string, expiresAt: number, now: number): 'fresh' | 'reused' | 'full' {
    const k = createHash('sha256').update(key).digest('base64url').slice(0, 22);
    const prior = this.#seen.get(k);
    if (prior !== undefined && prior > now) return 'reused';
    // Expired ids go every 10 s, so the map holds about (rate × lifetime) ids, not ids since the
    // last time it filled up; when full, every second.
    const since = now - this.#sweptAt;
    if (since >= 10_000 || (this.#seen.size >= this.#max && since >= 1000)) this.#evict(now);
    if (this.#seen.size >= this.#max) return 'full'; // fail closed rather than forget
    this.#seen.set(k, expiresAt);
    return 'fresh';
  }

  /** Ids held now (bounded by max). */
  get size(): number {
    return this.#seen.size;
  }

  #evict(now: number): void {
    this.#sweptAt = now;
    for (const [k, exp] of this.#seen) {
      if (exp <= now) this.#seen.delete(k);
    }
  }
}

/**
 * The client-assertion replay cache of one gateway: a JtiCache that remembers every id since
 * `since` (the process start), so assertions issued before it are 'forgotten' and refused; a
 * restart cannot reopen a replay window. Several replicas share one instead (adapters/redis).
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #ids: JtiCache;
  readonly #since: number;

  constructor(o: { since: number; max?: number }) {
    this.#ids = new JtiCache(o.max);
    this.#since = o.since;
  }

  get size(): number {
    return this.#ids.size;
  }

  async use(key: string, times: { issuedAt: number; expiresAt: number }, now: number): Promise<ReplayOutcome> {
    // One second of slack: `iat` is whole seconds.
    if (times.issuedAt < this.#since - 1000) return 'forgotten';
    return this.#ids.record(key, times.expiresAt, now);
  }
}
