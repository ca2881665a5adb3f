import { systemClock, type Clock } from '../../src/core/clock.ts';
import { FirewallError } from '../../src/core/errors.ts';

/**
 * Where an actuator remembers the receipts it has accepted, so each `jti` is honoured once.
 * Entries only need to live until the receipt expires: after that the receipt is refused anyway.
 */
export interface ReplayCache {
  /**
   * Record `jti` as used until `expiresAt` (milliseconds since the epoch), atomically.
   * Resolves true on its first use, false when it was already used.
   */
  claim(jti: string, expiresAt: number): Promise<boolean>;
}

export interface MemoryReplayCacheOptions {
  clock?: Clock;
  /** Refuse (fail closed, 503) rather than forget a live entry beyond this many. Default 100 000. */
  maxEntries?: number;
}

/** Single-process replay cache; entries expire with their receipts. */
export class MemoryReplayCache implements ReplayCache {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #seen = new Map<string, number>();
  #claimsSinceSweep = 0;

  constructor(options: MemoryReplayCacheOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#max = options.maxEntries ?? 100_000;
  }

  get size(): number {
    return this.#seen.size;
  }

  async claim(jti: string, expiresAt: number): Promise<boolean> {
    const now = this.#clock.now();
    const until = this.#seen.get(jti);
    if (until !== undefined && until > now) return false;
    if (++this.#claimsSinceSweep >= 1024 || this.#seen.size >= this.#max) this.#sweep(now);
    if (this.#seen.size >= this.#max) {
      throw new FirewallError('REPLAY_CACHE_FULL', `replay cache holds ${this.#max} unexpired receipts; refusing rather than forgetting one`, { status: 503 });
    }
    this.#seen.set(jti, expiresAt);
    return true;
  }

  #sweep(now: number): void {
    this.#claimsSinceSweep = 0;
    for (const [jti, until] of this.#seen) if (until <= now) this.#seen.delete(jti);
  }
}

/**
 * Uses up a verified receipt's `jti`, failing closed: RECEIPT_REPLAYED (403) when it was already
 * used, RECEIPT_REPLAY_CACHE_UNAVAILABLE (503) when the cache cannot be reached.
 */
export async function claimReceiptOnce(cache: ReplayCache, claims: { jti: string; exp: number }, toleranceSec: number): Promise<void> {
  let first: boolean;
  try {
    first = await cache.claim(claims.jti, (claims.exp + toleranceSec) * 1000);
  } catch (e) {
    if (e instanceof FirewallError) throw e;
    throw new FirewallError('RECEIPT_REPLAY_CACHE_UNAVAILABLE', 'replay cache could not be reached; refusing rather than risking a replay', { status: 503, cause: e });
  }
  if (!first) throw new FirewallError('RECEIPT_REPLAYED', `receipt '${claims.jti}' was already used`, { status: 403 });
}
