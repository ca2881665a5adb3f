import { RateLimiterMemory } from 'rate-limiter-flexible';
import { AuthFailures } from './auth-failures.ts';
import type { AuthFailureCounter, RateCounters } from './ports/rate-counters.ts';

/** The rate limits' counters of one gateway, in its memory (the default without REDIS_URL). */
export class MemoryRateCounters implements RateCounters {
  limiter(o: { name: string; points: number; durationSec: number }): RateLimiterMemory {
    return new RateLimiterMemory({ keyPrefix: o.name, points: o.points, duration: o.durationSec });
  }

  authFailures(o: { perWindow: number; windowMs: number; maxClients: number }): AuthFailureCounter {
    // Not a RateLimiterMemory: its store is one record and one timer per key with no cap, and these
    // keys are chosen by whoever connects (auth-failures.ts).
    const counts = new AuthFailures(o);
    return {
      lockedFor: async (client, now) => counts.lockedFor(client, now),
      failed: async (client, now) => counts.failed(client, now),
      get size() {
        return counts.size;
      },
    };
  }
}
