/**
 * Single-use assertion ids. In memory: assertions live at most a few minutes, and the verifier
 * refuses any assertion issued before this process started, so a restart cannot reopen a replay
 * window. Bounded so a flood of unique ids cannot exhaust memory (oldest expire first).
 */
export class JtiCache {
  readonly #seen = new Map<string, number>();
  readonly #max: number;

  constructor(max = 200_000) {
    this.#max = max;
  }

  /** Records the id; false if it was already used and has not expired. */
  use(key: string, expiresAt: number, now: number): boolean {
    const prior = this.#seen.get(key);
    if (prior !== undefined && prior > now) return false;
    if (this.#seen.size >= this.#max) this.#evict(now);
    if (this.#seen.size >= this.#max) return false; // fail closed rather than forget
    this.#seen.set(key, expiresAt);
    return true;
  }

  #evict(now: number): void {
    for (const [k, exp] of this.#seen) {
      if (exp <= now) this.#seen.delete(k);
    }
  }
}
