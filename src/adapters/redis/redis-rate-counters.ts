import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AuthFailureCounter, RateCounters } from '../../gateway/ports/rate-counters.ts';
import { RedisStateError, type RedisConnection } from './redis-connection.ts';

/**
 * Rate limits counted in Redis (rate-limiter-flexible's RateLimiterRedis: one atomic INCR with a
 * TTL per key and window), so a limit holds across replicas. While Redis cannot answer, each limit
 * falls back to a counter in this replica's memory (its insurance limiter): limits stay enforced,
 * per replica, rather than turning off. Failed authentications have no fallback (see authFailures).
 */
export class RedisRateCounters implements RateCounters {
  readonly #c: RedisConnection;

  constructor(c: RedisConnection) {
    this.#c = c;
  }

  limiter(o: { name: string; points: number; durationSec: number }): RateLimiterAbstract {
    return new RateLimiterRedis({
      storeClient: this.#c.client,
      keyPrefix: `${this.#c.keyPrefix}rl:${o.name}`,
      points: o.points,
      duration: o.durationSec,
      // Not connected: straight to the insurance limiter instead of waiting for a command to fail.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: o.name, points: o.points, duration: o.durationSec }),
    });
  }

  /**
   * Fails closed: while Redis cannot answer, `lockedFor` rejects and the gateway attempts no
   * authentication (503). A per-replica fallback would give a guesser a fresh budget on every
   * replica and after every restart.
   */
  authFailures(o: { perWindow: number; windowMs: number; maxClients: number }): AuthFailureCounter {
    const counter = new RateLimiterRedis({
      storeClient: this.#c.client,
      keyPrefix: `${this.#c.keyPrefix}rl:auth-failures`,
      points: o.perWindow,
      duration: Math.max(1, Math.round(o.windowMs / 1000)),
      rejectIfRedisNotReady: true,
    });
    const call = async <T>(f: () => Promise<T>): Promise<T> => {
      this.#c.assertUsable();
      try {
        return await f();
      } catch (cause) {
        throw new RedisStateError('REDIS_UNAVAILABLE', 'redis did not answer for the failed-authentication count', cause);
      }
    };
    return {
      async lockedFor(client) {
        const r = await call(() => counter.get(client));
        return r !== null && r.consumedPoints >= o.perWindow ? Math.max(1, r.msBeforeNext) : 0;
      },
      async failed(client) {
        await call(() => counter.penalty(client, 1));
      },
      size: undefined,
    };
  }
}
