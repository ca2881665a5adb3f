import { compilePathPattern, normaliseRequestPath } from './path-pattern.ts';
import type { AmountMatch, RuleMatch } from './types.ts';

/**
 * Conservative static test: could one action satisfy both matches? `false` only when some field
 * provably separates them; anything undecidable cheaply (two wildcard path patterns) counts as
 * overlapping. Used at load time to find rules whose requirements would combine into nothing.
 */
export function mayCoMatch(a: RuleMatch, b: RuleMatch): boolean {
  if (a.actuator !== undefined && b.actuator !== undefined && a.actuator !== b.actuator) return false;
  if (disjoint(a.operations, b.operations)) return false;
  if (disjoint(a.agents, b.agents)) return false;
  if (disjoint(a.reversibility, b.reversibility)) return false;
  if (a.amount !== undefined && b.amount !== undefined && !amountsOverlap(a.amount, b.amount)) return false;
  if (a.path !== undefined && b.path !== undefined && !pathsMayOverlap(a.path, b.path)) return false;
  return true;
}

function disjoint<T>(x: readonly T[] | undefined, y: readonly T[] | undefined): boolean {
  if (x === undefined || y === undefined) return false;
  return !x.some((v) => y.includes(v));
}

interface Interval {
  lo: number;
  loOpen: boolean;
  hi: number;
  hiOpen: boolean;
}

export function amountInterval(m: AmountMatch): Interval {
  const lo = m.gt ?? m.gte ?? -Infinity;
  const hi = m.lt ?? m.lte ?? Infinity;
  return { lo, loOpen: m.gt !== undefined, hi, hiOpen: m.lt !== undefined };
}

export function intervalEmpty(i: Interval): boolean {
  return i.lo > i.hi || (i.lo === i.hi && (i.loOpen || i.hiOpen));
}

function amountsOverlap(a: AmountMatch, b: AmountMatch): boolean {
  if (a.currency !== b.currency) return false;
  const x = amountInterval(a);
  const y = amountInterval(b);
  const lo = x.lo > y.lo ? x : y.lo > x.lo ? y : { lo: x.lo, loOpen: x.loOpen || y.loOpen };
  const hi = x.hi < y.hi ? x : y.hi < x.hi ? y : { hi: x.hi, hiOpen: x.hiOpen || y.hiOpen };
  return !intervalEmpty({ lo: lo.lo, loOpen: lo.loOpen, hi: hi.hi, hiOpen: hi.hiOpen });
}

const WILDCARD = /[:*]/;

function pathsMayOverlap(a: string, b: string): boolean {
  const aLit = !WILDCARD.test(a);
  const bLit = !WILDCARD.test(b);
  try {
    if (aLit && bLit) return normaliseRequestPath(a) === normaliseRequestPath(b);
    if (aLit) return compilePathPattern(b).regex.test(normaliseRequestPath(a));
    if (bLit) return compilePathPattern(a).regex.test(normaliseRequestPath(b));
  } catch {
    return true; // an invalid pattern is reported elsewhere
  }
  return true;
}
