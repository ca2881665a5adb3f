import { createHash } from 'node:crypto';

/**
 * Single-use assertion ids. In memory: assertions live at most a few minutes, and the verifier
 * refuses any assertion issued before this process started, so a restart cannot reopen a replay
 * window. Bounded so a flood of unique ids cannot exhaust memory: at most `max` ids (expired ones
 * are swept every 10 s, and when it is full at most once a second; when none has expired it
 * refuses, failing closed rather than forgetting), and each id is kept as a fixed 128-bit digest of the principal
 * and jti, so a client's choice of a 200-character jti costs the same as a short one.
 */
export class JtiCache {
  readonly #seen = new Map<string, number>();
  readonly #max: number;
  #sweptAt = Number.NEGATIVE_INFINITY;

  constructor(max = 200_000) {
    this.#max = max;
  }

  /** Records the id; false if it was already used and has not expired. */
  use(key: string, expiresAt: number, now: number): boolean {
    const k = createHash('sha256').update(key).digest('base64url').slice(0, 22);
    const prior = this.#seen.get(k);
    if (prior !== undefined && prior > now) return false;
    // Expired ids go every 10 s, so the map holds about (rate × lifetime) ids, not ids since the
    // last time it filled up; when full, every second.
    const since = now - this.#sweptAt;
    if (since >= 10_000 || (this.#seen.size >= this.#max && since >= 1000)) this.#evict(now);
    if (this.#seen.size >= this.#max) return false; // fail closed rather than forget
    this.#seen.set(k, expiresAt);
    return true;
  }

  /** Ids held now (bounded by max). */
  get size(): number {
    return this.#seen.size;
  }

  #evict(now: number): void {
    this.#sweptAt = now;
    for (const [k, exp] of this.#seen) {
      if (exp <= now) this.#seen.delete(k);
    }
  }
}
