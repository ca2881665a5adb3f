/**
 * Single-use nonces of session-signed requests. A port: with several replicas the store must be
 * shared (Redis `SET key 1 NX PXAT expiry`), and it must outlive the sessions it guards (an
 * in-memory store is only sound with the in-memory session registry, which ends with it).
 */
export type NonceOutcome = 'fresh' | 'reused' | 'full';

export interface NonceStore {
  /** Records the nonce until `expiresAt` (ms); 'reused' if it is already recorded and unexpired. */
  use(key: string, expiresAt: number, now: number): Promise<NonceOutcome>;
}

/**
 * Bounded: when full of unexpired nonces it refuses ('full') rather than forget one, so a flood
 * can deny service but never reopen a replay. Nonces expire with their signature's window.
 */
export class MemoryNonceStore implements NonceStore {
  readonly #seen = new Map<string, number>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#seen.size;
  }

  async use(key: string, expiresAt: number, now: number): Promise<NonceOutcome> {
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
