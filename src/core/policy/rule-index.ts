/**
 * Rules indexed by actuator and operation, so classifying an action looks at the handful of rules
 * that could apply instead of all of them. A rule without `actuator` (or `operation`) is filed under
 * the wildcard key and offered for every actuator (operation).
 */
const ANY = '\u0000*';
const MAX_CACHED_KEYS = 10_000;

export interface Indexed {
  /** File position: candidate lists are in file order so output and tie-breaks are too. */
  order: number;
}

export class RuleIndex<T extends Indexed> {
  readonly #byActuator = new Map<string, Map<string, T[]>>();
  readonly #cache = new Map<string, readonly T[]>();

  constructor(entries: readonly { item: T; actuator: string | undefined; operations: readonly string[] | undefined }[]) {
    for (const { item, actuator, operations } of entries) {
      const a = actuator ?? ANY;
      let byOp = this.#byActuator.get(a);
      if (byOp === undefined) this.#byActuator.set(a, (byOp = new Map()));
      for (const op of operations ?? [ANY]) {
        const list = byOp.get(op);
        if (list === undefined) byOp.set(op, [item]);
        else list.push(item);
      }
    }
  }

  /** Rules that may apply to (actuator, operation), in file order. */
  candidates(actuator: string, operation: string): readonly T[] {
    const key = `${actuator}\u0000${operation}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit;
    const merged: T[] = [];
    for (const a of [actuator, ANY]) {
      const byOp = this.#byActuator.get(a);
      if (byOp === undefined) continue;
      for (const op of [operation, ANY]) {
        const list = byOp.get(op);
        if (list !== undefined) merged.push(...list);
      }
    }
    merged.sort((x, y) => x.order - y.order);
    // Bounded so an agent inventing operation names cannot grow memory without limit.
    if (this.#cache.size < MAX_CACHED_KEYS) this.#cache.set(key, merged);
    return merged;
  }
}
