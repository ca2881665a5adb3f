import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Counters behind the rate limits (gateway/rate-limits.ts), in memory for one gateway or shared by
 * several replicas (adapters/redis). rate-limiter-flexible's limiter is the port: its stores are
 * interchangeable, and a shared limiter falls back to a per-replica one when its store is down.
 */
export interface RateCounters {
  /** `points` per fixed window of `durationSec` for each key, named `name` (its keys' namespace). */
  limiter(o: { name: string; points: number; durationSec: number }): RateLimiterAbstract;
  /**
   * Failed authentications per client in fixed windows. No fallback: a shared counter that cannot
   * be reached rejects, and the gateway refuses authentication rather than allow unlimited guesses.
   */
  authFailures(o: { perWindow: number; windowMs: number; maxClients: number }): AuthFailureCounter;
}

export interface AuthFailureCounter {
  /** Milliseconds until `client` may try again, or 0 when it is not locked out. */
  lockedFor(client: string, now: number): Promise<number>;
  failed(client: string, now: number): Promise<void>;
  /** Clients tracked in this process (undefined when they are held elsewhere). */
  readonly size: number | undefined;
}
