import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { isFirewallError } from '../core/errors.ts';
import type { Sealer } from '../core/sealer.ts';
import type { ReplayCache } from './ports/replay-cache.ts';
import { useOnce } from './single-use.ts';

/** What a ceremony id came to: its value, too late, or nothing (forged, from another purpose, or used). */
export type TakenCeremony<T> = { value: T } | { expired: true } | undefined;

/** A sealed ceremony is a few hundred bytes; anything much longer is not one. */
const MAX_ID_CHARS = 4096;
const PREFIX = 'cer_';

/**
 * WebAuthn ceremonies any replica completes (passkey sign-in to the approver app, the regulator
 * console's enrolment and sign-in): the ceremony id IS the ceremony (its challenge and whatever
 * else it needs, its expiry), sealed with an HSM key (core/sealer.ts) under an AAD naming its
 * purpose, so no replica keeps it and none can forge one; spending its random id in the replay
 * cache the replicas share (Redis with REDIS_URL) makes it single use everywhere. A ceremony a
 * person starts on one replica is therefore finished on whichever one the balancer picks next.
 */
export class SealedCeremonies<T> {
  readonly #o: { sealer: Sealer; replay: ReplayCache; clock: Clock; ttlMs: number; purpose: string };
  readonly #aad: Uint8Array;

  constructor(o: { sealer: Sealer; replay: ReplayCache; clock: Clock; ttlMs: number; purpose: string }) {
    this.#o = o;
    this.#aad = new TextEncoder().encode(`analog-firewall/ceremony/${o.purpose}`);
  }

  async open(value: T): Promise<{ ceremonyId: string; expiresAt: number }> {
    const iat = this.#o.clock.now();
    const expiresAt = iat + this.#o.ttlMs;
    const plain = new TextEncoder().encode(JSON.stringify({ n: randomUUID(), iat, exp: expiresAt, v: value }));
    const sealed = await this.#o.sealer.seal(plain, this.#aad);
    return { ceremonyId: PREFIX + Buffer.from(sealed).toString('base64url'), expiresAt };
  }

  /**
   * The ceremony's value, spent (single use, even when what follows fails). Throws only when the
   * shared replay cache cannot say whether it was spent (REPLAY_CACHE_*, 503).
   */
  async take(ceremonyId: unknown): Promise<TakenCeremony<T>> {
    if (typeof ceremonyId !== 'string' || !ceremonyId.startsWith(PREFIX) || ceremonyId.length > MAX_ID_CHARS) return undefined;
    let c: { n: string; iat: number; exp: number; v: T };
    try {
      const plain = await this.#o.sealer.open(Buffer.from(ceremonyId.slice(PREFIX.length), 'base64url'), this.#aad);
      c = JSON.parse(new TextDecoder().decode(plain)) as typeof c;
    } catch (e) {
      if (isFirewallError(e, 'SEAL_INVALID') || e instanceof SyntaxError) return undefined;
      throw e; // the HSM unreachable: not the caller's fault
    }
    const now = this.#o.clock.now();
    if (!(await useOnce(this.#o.replay, `ceremony\n${this.#o.purpose}\n${c.n}`, { issuedAt: c.iat, expiresAt: c.exp + 60_000 }, now, 'ceremony'))) return undefined;
    if (c.exp < now) return { expired: true };
    return { value: c.v };
  }
}
