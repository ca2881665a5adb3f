import type { Reversibility } from '../action/descriptor.ts';
import { amountInterval } from './overlap.ts';
import { compilePathPattern, type PathPattern } from './path-pattern.ts';
import type { RuleMatch } from './types.ts';

/**
 * A rule's match precompiled at load: sets instead of lists, the path pattern as a RegExp, the
 * amount range as an interval. Actuator and operation are not re-checked here: the rule index only
 * ever offers a rule for actions whose actuator and operation it matches.
 */
export interface CompiledMatch {
  agents?: ReadonlySet<string>;
  reversibility?: ReadonlySet<Reversibility>;
  path?: PathPattern;
  amount?: { currency: string; lo: number; loOpen: boolean; hi: number; hiOpen: boolean };
}

/** The facts about one action every matcher reads, computed once per classification. */
export interface MatchSubject {
  agent: string;
  reversibility: Reversibility;
  /** Upper-cased currency, when the action carries an amount. */
  currency: string | undefined;
  amount: number | undefined;
  /** Normalised request path, computed on first use. */
  path(): string;
}

export function compileMatch(m: RuleMatch): CompiledMatch {
  const c: CompiledMatch = {};
  if (m.agents !== undefined) c.agents = new Set(m.agents);
  if (m.reversibility !== undefined) c.reversibility = new Set(m.reversibility);
  if (m.path !== undefined) c.path = compilePathPattern(m.path);
  if (m.amount !== undefined) c.amount = { currency: m.amount.currency, ...amountInterval(m.amount) };
  return c;
}

export function matches(c: CompiledMatch, s: MatchSubject): boolean {
  if (c.agents !== undefined && !c.agents.has(s.agent)) return false;
  if (c.reversibility !== undefined && !c.reversibility.has(s.reversibility)) return false;
  if (c.amount !== undefined) {
    // An amount rule matches only actions that carry an amount in its currency; others fall through
    // to other rules or to the unmatched default (HIGH unless configured higher).
    const a = s.amount;
    if (a === undefined || s.currency !== c.amount.currency) return false;
    if (c.amount.loOpen ? !(a > c.amount.lo) : !(a >= c.amount.lo)) return false;
    if (c.amount.hiOpen ? !(a < c.amount.hi) : !(a <= c.amount.hi)) return false;
  }
  if (c.path !== undefined && !c.path.regex.test(s.path())) return false;
  return true;
}
