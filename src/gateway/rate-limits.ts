import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { FirewallError } from '../core/errors.ts';
import type { Tier } from '../core/tier.ts';
import { clientOf } from './auth-failures.ts';
import { MemoryRateCounters } from './memory-rate-counters.ts';
import type { AuthFailureCounter, RateCounters } from './ports/rate-counters.ts';

export interface RateLimitConfig {
  /** Requests per second per agent, whatever the tier. */
  agentPerSecond: number;
  /** Actions per second per actuator, across agents. */
  actuatorPerSecond: number;
  /** Actions per minute per agent at each tier: a flood of HIGH requests would page humans. */
  tierPerMinute: Record<Tier, number>;
  /** Failed authentications per minute per client address before it is locked out. */
  authFailuresPerMinute: number;
  /** Client addresses whose failures are tracked at once (least recently seen dropped first). */
  authFailureClients: number;
  /** Passkey sign-ins begun per minute per client address: each costs two HSM operations before anyone is known. */
  ceremoniesPerMinute: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  agentPerSecond: 200,
  actuatorPerSecond: 1000,
  tierPerMinute: { LOW: 12_000, MEDIUM: 60, HIGH: 20, CRITICAL: 5 },
  authFailuresPerMinute: 30,
  authFailureClients: 50_000,
  ceremoniesPerMinute: 60,
};

/**
 * Per-agent, per-actuator and per-tier limits, and the brute-force guard on authentication.
 * Counted in this process, or shared by the replicas (`counters`, adapters/redis), so that N
 * replicas do not multiply every limit by N.
 *
 * Codes: RATE_LIMITED (429, with retryAfterSeconds); RATE_LIMITER_FAILED (503, a counter failed and
 * its fallback too); AUTH_LIMITER_UNAVAILABLE (503, retryAfterSeconds 1: failed authentications cannot be counted, so
 * no authentication is attempted; fails closed rather than allow unlimited guessing).
 */
export class RateLimits {
  readonly #agent: RateLimiterAbstract;
  readonly #actuator: RateLimiterAbstract;
  readonly #tier: Map<Tier, RateLimiterAbstract>;
  readonly #authFailures: AuthFailureCounter;
  readonly #ceremonies: RateLimiterAbstract;
  readonly #counters: RateCounters;
  readonly #now: () => number;

  constructor(c: RateLimitConfig, o: { counters?: RateCounters; now?: () => number } = {}) {
    this.#now = o.now ?? Date.now;
    const counters = (this.#counters = o.counters ?? new MemoryRateCounters());
    this.#agent = counters.limiter({ name: 'agent', points: c.agentPerSecond, durationSec: 1 });
    this.#actuator = counters.limiter({ name: 'actuator', points: c.actuatorPerSecond, durationSec: 1 });
    this.#tier = new Map((Object.keys(c.tierPerMinute) as Tier[]).map((t) => [t, counters.limiter({ name: `tier-${t}`, points: c.tierPerMinute[t], durationSec: 60 })]));
    this.#authFailures = counters.authFailures({ perWindow: c.authFailuresPerMinute, windowMs: 60_000, maxClients: c.authFailureClients });
    this.#ceremonies = counters.limiter({ name: 'ceremonies', points: c.ceremoniesPerMinute, durationSec: 60 });
  }

  /** Another limit on the same counters (shared when they are): signature sessions, WebSocket connects. */
  limiter(o: { name: string; points: number; durationSec: number }): RateLimiterAbstract {
    return this.#counters.limiter(o);
  }

  async agent(agent: string): Promise<void> {
    await consume(this.#agent, agent, `agent '${agent}' exceeded its request rate`);
  }

  async action(agent: string, actuator: string, tier: Tier): Promise<void> {
    await consume(this.#actuator, actuator, `actuator '${actuator}' is at its action rate limit`);
    await consume(this.#tier.get(tier)!, agent, `agent '${agent}' exceeded its rate of ${tier} actions`);
  }

  /** Throws 429 while an address is locked out for failed authentications (an IPv6 client is its /64). */
  async checkAuthLock(address: string): Promise<void> {
    let ms: number;
    try {
      ms = await this.#authFailures.lockedFor(clientOf(address), this.#now());
    } catch (cause) {
      throw authLimiterUnavailable(cause);
    }
    if (ms > 0) throw limited('too many failed authentications from this address', ms);
  }

  /** Before a passkey sign-in's options (approver app, regulator console): unauthenticated, and an HSM random and seal each. */
  async ceremony(address: string): Promise<void> {
    await consume(this.#ceremonies, clientOf(address), 'too many passkey sign-ins begun from this address');
  }

  async authFailed(address: string): Promise<void> {
    try {
      await this.#authFailures.failed(clientOf(address), this.#now());
    } catch (cause) {
      throw authLimiterUnavailable(cause);
    }
  }

  /** Client addresses whose failed authentications this process tracks now (bounded; undefined when shared). */
  get authFailureClients(): number | undefined {
    return this.#authFailures.size;
  }
}

function authLimiterUnavailable(cause: unknown): FirewallError {
  return new FirewallError('AUTH_LIMITER_UNAVAILABLE', 'failed authentications cannot be counted now, so none is attempted; retry shortly', { status: 503, cause, detail: { retryAfterSeconds: 1 } });
}

function limited(message: string, msBeforeNext: number): FirewallError {
  return new FirewallError('RATE_LIMITED', message, { status: 429, detail: { retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)) } });
}

async function consume(limiter: RateLimiterAbstract, key: string, message: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (e) {
    if (e instanceof RateLimiterRes) throw limited(message, e.msBeforeNext);
    throw new FirewallError('RATE_LIMITER_FAILED', 'the rate limiter is unavailable', { status: 503, cause: e });
  }
}
