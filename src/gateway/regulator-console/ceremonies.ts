import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { consoleError } from './console-errors.ts';

interface Pending<T> {
  value: T;
  expiresAt: number;
}

/** At most this many ceremonies wait at once (they are unauthenticated: a bound on memory). */
const MAX_PENDING = 10_000;

/**
 * WebAuthn ceremonies in flight (registration or sign-in): a server-side challenge kept in memory
 * for the ceremony's lifetime, used once, whatever the outcome.
 */
export class Ceremonies<T> {
  readonly #pending = new Map<string, Pending<T>>();
  readonly #clock: Clock;
  readonly #ttlMs: number;

  constructor(clock: Clock, ttlMs: number) {
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  open(value: T): { ceremonyId: string; expiresAt: number } {
    const now = this.#clock.now();
    for (const [id, p] of this.#pending) if (p.expiresAt < now) this.#pending.delete(id);
    if (this.#pending.size >= MAX_PENDING) throw consoleError('RATE_LIMITED', 'too many sign-ins at once; try again shortly', { detail: { retryAfterSeconds: 5 } });
    const ceremonyId = `cer_${randomUUID()}`;
    const expiresAt = now + this.#ttlMs;
    this.#pending.set(ceremonyId, { value, expiresAt });
    return { ceremonyId, expiresAt };
  }

  /** The ceremony's value, removed (single use); undefined when unknown or used. Throws CEREMONY_EXPIRED when too late. */
  take(ceremonyId: unknown): T | undefined {
    if (typeof ceremonyId !== 'string') return undefined;
    const p = this.#pending.get(ceremonyId);
    if (p === undefined) return undefined;
    this.#pending.delete(ceremonyId);
    if (p.expiresAt < this.#clock.now()) throw consoleError('CEREMONY_EXPIRED', 'the ceremony took too long; try again');
    return p.value;
  }
}
