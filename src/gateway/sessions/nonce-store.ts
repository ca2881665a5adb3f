import type { ReplayCache, ReplayOutcome } from '../ports/replay-cache.ts';

/**
 * Single-use nonces of session-signed requests, in this process: only sound with the in-memory
 * session registry, which ends with it (several replicas share both, adapters/redis).
 * Bounded: when full of unexpired nonces it refuses ('full') rather than forget one, so a flood
 * can deny service but never reopen a replay. Nonces expire with their signature's window.
 */
export class MemoryNonceStore implements ReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #max: number;
  readonly #since: number;

  constructor(max: number, since = Number.NEGATIVE_INFINITY) {
    this.#max = max;
    this.#since = since;
  }

  get size(): number {
    return this.#seen.size;
  }

  async use(key: string, times: { issuedAt: number; expiresAt: number }, now: number): Promise<ReplayOutcome> {
    if (times.issuedAt < this.#since - 1000) return 'forgotten';
    const expiresAt = times.expiresAt;
    const prior = this.#seen.get(key);
    if (prior !== undefined && prior > now) return 'reused';
    if (this.#seen.size >= this.#max) this.#evict(now);
    if (this.#seen.size >= this.#max) return 'full';
    this.#seen.set(key, expiresAt);
    return 'fresh';
  }

  #evict(now: number): void {
    // Insertion order is close to expiry order (one window for all): stop at the first live one.
    for (const [k, exp] of this.#seen) {
      if (exp > now) break;
      this.#seen.delete(k);
    }
    if (this.#seen.size < this.#max) return;
    for (const [k, exp] of this.#seen) if (exp <= now) this.#seen.delete(k);
  }
}
