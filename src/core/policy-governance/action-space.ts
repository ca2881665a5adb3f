import { REVERSIBILITY, type Reversibility } from '../action/descriptor.ts';
import type { PolicyDocument, PolicyRule, VelocityRule } from '../policy/types.ts';

/**
 * The space of actions, cut into finitely many cells on which two policies are each constant.
 * Classification reads only: actuator, operation, agent, reversibility, amount (with currency),
 * the request path (through rule patterns), velocity history and the Branch Card. Of these:
 *
 *  - actuator, operation, agent: every value either policy names, plus one stand-in for "any
 *    other" (a name no policy can contain, since ids never hold '(' or a space);
 *  - reversibility: its three values;
 *  - amount: for each currency a rule or velocity limit names, every boundary value, a point inside
 *    every interval between boundaries, 0 and a point above the largest; plus "no amount" (which is
 *    also how an amount in a currency nothing names behaves);
 *  - path: each distinct rule pattern becomes a yes/no fact, and every combination is tried. This
 *    over-approximates (it includes combinations no real path produces), which can only make the
 *    analysis call something a relaxation, never miss one;
 *  - velocity and Branch Card are handled per cell by the relaxation analysis (relaxation.ts).
 * Families are cells sharing (actuator, operation): they share the rules and velocity rules that
 * can apply, so the candidate lists are computed once per family.
 */

export const OTHER_ACTUATOR = '(other actuator)';
export const OTHER_OPERATION = '(other operation)';
export const OTHER_AGENT = '(other agent)';

export interface Money {
  amount: number;
  currency: string;
}

export interface Cell {
  actuator: string;
  operation: string;
  agent: string;
  reversibility: Reversibility;
  money?: Money;
  /** Pattern → whether the request path matches it. */
  paths: ReadonlyMap<string, boolean>;
}

export interface CellFamily {
  actuator: string;
  operation: string;
  /** Rules of [old, new] that can apply to (actuator, operation), in file order. */
  rules: [PolicyRule[], PolicyRule[]];
  velocity: [VelocityRule[], VelocityRule[]];
  agents: string[];
  moneys: (Money | undefined)[];
  patterns: string[];
}

function ruleApplies(r: PolicyRule, actuator: string, operation: string): boolean {
  return (r.match.actuator === undefined || r.match.actuator === actuator) && (r.match.operations === undefined || r.match.operations.includes(operation));
}

function sortedUnique<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)].sort();
}

/** Representative amounts for one currency's boundaries. */
export function representativeAmounts(bounds: readonly number[]): number[] {
  const b = sortedUnique(bounds.filter((x) => Number.isFinite(x) && x >= 0)).sort((x, y) => x - y);
  const out = new Set<number>([0]);
  let prev = 0;
  for (const x of b) {
    if (x > prev) out.add(prev + (x - prev) / 2);
    out.add(x);
    prev = x;
  }
  out.add(prev + 1);
  out.add(prev * 2 + 1);
  return [...out].sort((x, y) => x - y);
}

export function cellFamilies(a: PolicyDocument, b: PolicyDocument): CellFamily[] {
  const docs = [a, b] as const;
  const actuators = sortedUnique([
    ...docs.flatMap((d) => Object.keys(d.actuators)),
    ...docs.flatMap((d) => d.rules.flatMap((r) => (r.match.actuator === undefined ? [] : [r.match.actuator]))),
    ...docs.flatMap((d) => d.velocity.map((v) => v.match.actuator)),
    OTHER_ACTUATOR,
  ]);
  const families: CellFamily[] = [];
  for (const actuator of actuators) {
    const ops = sortedUnique([
      ...docs.flatMap((d) => (Object.hasOwn(d.actuators, actuator) ? d.actuators[actuator]!.operations : [])),
      ...docs.flatMap((d) => d.rules.filter((r) => r.match.actuator === undefined || r.match.actuator === actuator).flatMap((r) => r.match.operations ?? [])),
      ...docs.flatMap((d) => d.velocity.filter((v) => v.match.actuator === actuator).flatMap((v) => v.match.operations)),
      OTHER_OPERATION,
    ]);
    for (const operation of ops) {
      const rules: [PolicyRule[], PolicyRule[]] = [a.rules.filter((r) => ruleApplies(r, actuator, operation)), b.rules.filter((r) => ruleApplies(r, actuator, operation))];
      const velocity: [VelocityRule[], VelocityRule[]] = [
        a.velocity.filter((v) => v.match.actuator === actuator && v.match.operations.includes(operation)),
        b.velocity.filter((v) => v.match.actuator === actuator && v.match.operations.includes(operation)),
      ];
      const all = [...rules[0], ...rules[1]];
      const agents = sortedUnique([...all.flatMap((r) => r.match.agents ?? []), ...[...velocity[0], ...velocity[1]].flatMap((v) => v.match.agents ?? []), OTHER_AGENT]);
      const bounds = new Map<string, number[]>();
      for (const r of all) {
        const m = r.match.amount;
        if (m === undefined) continue;
        const list = bounds.get(m.currency) ?? [];
        for (const x of [m.gt, m.gte, m.lt, m.lte]) if (x !== undefined) list.push(x);
        bounds.set(m.currency, list);
      }
      // A currency a velocity limit names matters even when no rule names it (the limit can fire).
      for (const v of [...velocity[0], ...velocity[1]]) for (const cur of Object.keys(v.maxAmount ?? {})) if (!bounds.has(cur)) bounds.set(cur, []);
      const moneys: (Money | undefined)[] = [undefined];
      for (const [currency, list] of [...bounds].sort(([x], [y]) => (x < y ? -1 : 1))) {
        for (const amount of representativeAmounts(list)) moneys.push({ amount, currency });
      }
      const patterns = sortedUnique(all.flatMap((r) => (r.match.path === undefined ? [] : [r.match.path])));
      families.push({ actuator, operation, rules, velocity, agents, moneys, patterns });
    }
  }
  return families;
}

export function familySize(f: CellFamily): number {
  return f.agents.length * REVERSIBILITY.length * f.moneys.length * 2 ** f.patterns.length;
}

export function* cellsOf(f: CellFamily): Generator<Cell> {
  const combos = 2 ** f.patterns.length;
  for (const agent of f.agents) {
    for (const reversibility of REVERSIBILITY) {
      for (const money of f.moneys) {
        for (let bits = 0; bits < combos; bits++) {
          const paths = new Map(f.patterns.map((p, i) => [p, ((bits >> i) & 1) === 1]));
          yield { actuator: f.actuator, operation: f.operation, agent, reversibility, ...(money === undefined ? {} : { money }), paths };
        }
      }
    }
  }
}

export function describeCell(c: Cell): string {
  const parts = [`agent ${c.agent === OTHER_AGENT ? 'any other' : c.agent}`, c.reversibility, c.money === undefined ? 'no amount' : `${c.money.amount} ${c.money.currency}`];
  const paths = [...c.paths].map(([p, yes]) => `${yes ? '' : 'not '}${p}`);
  if (paths.length > 0) parts.push(`path ${paths.join(', ')}`);
  return `${c.actuator}/${c.operation} (${parts.join(', ')})`;
}
