import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { FirewallError } from '../core/errors.ts';
import type { Tier } from '../core/tier.ts';
import { AuthFailures } from './auth-failures.ts';

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
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  agentPerSecond: 200,
  actuatorPerSecond: 1000,
  tierPerMinute: { LOW: 12_000, MEDIUM: 60, HIGH: 20, CRITICAL: 5 },
  authFailuresPerMinute: 30,
  authFailureClients: 50_000,
};

/** Per-agent, per-actuator and per-tier limits, and the brute-force guard on authentication. */
export class RateLimits {
  readonly #agent: RateLimiterAbstract;
  readonly #actuator: RateLimiterAbstract;
  readonly #tier: Map<Tier, RateLimiterAbstract>;
  readonly #authFailures: AuthFailures;
  readonly #now: () => number;

  constructor(c: RateLimitConfig, now: () => number = Date.now) {
    this.#now = now;
    this.#agent = new RateLimiterMemory({ keyPrefix: 'agent', points: c.agentPerSecond, duration: 1 });
    this.#actuator = new RateLimiterMemory({ keyPrefix: 'actuator', points: c.actuatorPerSecond, duration: 1 });
    this.#tier = new Map(
      (Object.keys(c.tierPerMinute) as Tier[]).map((t) => [t, new RateLimiterMemory({ keyPrefix: `tier-${t}`, points: c.tierPerMinute[t], duration: 60 })]),
    );
    // Not a RateLimiterMemory: its store is one record and one timer per key with no cap, and these
    // keys are chosen by whoever connects (auth-failures.ts).
    this.#authFailures = new AuthFailures({ perWindow: c.authFailuresPerMinute, maxClients: c.authFailureClients });
  }

  async agent(agent: string): Promise<void> {
    await consume(this.#agent, agent, `agent '${agent}' exceeded its request rate`);
  }

  async action(agent: string, actuator: string, tier: Tier): Promise<void> {
    await consume(this.#actuator, actuator, `actuator '${actuator}' is at its action rate limit`);
    await consume(this.#tier.get(tier)!, agent, `agent '${agent}' exceeded its rate of ${tier} actions`);
  }

  /** Throws 429 while an address is locked out for failed authentications. */
  async checkAuthLock(address: string): Promise<void> {
    const ms = this.#authFailures.lockedFor(address, this.#now());
    if (ms > 0) throw limited('too many failed authentications from this address', ms);
  }

  async authFailed(address: string): Promise<void> {
    this.#authFailures.failed(address, this.#now());
  }

  /** Client addresses whose failed authentications are tracked now (bounded). */
  get authFailureClients(): number {
    return this.#authFailures.size;
  }
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
