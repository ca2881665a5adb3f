import { combineRequirements } from '../policy/requirements.ts';
import { amountInterval } from '../policy/overlap.ts';
import type { PolicyDocument, PolicyRule, Requirements, VelocityRule } from '../policy/types.ts';
import { tierRank, type Tier } from '../tier.ts';
import type { Cell } from './action-space.ts';

/**
 * What a policy decides for a cell, before velocity and the Branch Card: the same steps as
 * classify() (max tier of the matching rules or the unmatched default, the irreversible floor,
 * requirements combined at the final tier), evaluated on a cell instead of a descriptor.
 */

export interface Outcome {
  tier: Tier;
  /** True when the requirements cannot be met (no common modality): classify() says BLOCK. */
  blocked: boolean;
  requirements: Requirements;
}

export function ruleMatchesCell(r: PolicyRule, c: Cell): boolean {
  const m = r.match;
  if (m.actuator !== undefined && m.actuator !== c.actuator) return false;
  if (m.operations !== undefined && !m.operations.includes(c.operation)) return false;
  if (m.agents !== undefined && !m.agents.includes(c.agent)) return false;
  if (m.reversibility !== undefined && !m.reversibility.includes(c.reversibility)) return false;
  if (m.amount !== undefined) {
    if (c.money === undefined || c.money.currency !== m.amount.currency) return false;
    const i = amountInterval(m.amount);
    const a = c.money.amount;
    if (i.loOpen ? !(a > i.lo) : !(a >= i.lo)) return false;
    if (i.hiOpen ? !(a < i.hi) : !(a <= i.hi)) return false;
  }
  if (m.path !== undefined && c.paths.get(m.path) !== true) return false;
  return true;
}

export function velocityApplies(v: VelocityRule, c: Cell): boolean {
  return v.match.actuator === c.actuator && v.match.operations.includes(c.operation) && (v.match.agents === undefined || v.match.agents.includes(c.agent));
}

export interface BaseOutcome extends Outcome {
  matched: PolicyRule[];
}

export function baseOutcome(doc: PolicyDocument, candidates: readonly PolicyRule[], c: Cell): BaseOutcome {
  const matched = candidates.filter((r) => ruleMatchesCell(r, c));
  let tier: Tier = doc.defaults.unmatchedTier;
  if (matched.length > 0) {
    tier = matched[0]!.tier;
    for (const r of matched) if (tierRank(r.tier) > tierRank(tier)) tier = r.tier;
  }
  if (c.reversibility === 'irreversible' && tierRank(tier) < tierRank('HIGH')) tier = 'HIGH';
  return { ...outcomeAt(doc, matched, tier), matched };
}

/**
 * Outcomes depend only on (document, rules matched at the tier, tier), and many cells share them:
 * they are computed once per combination, and the same object is returned, so comparisons can be
 * memoised by identity too.
 */
const cache = new WeakMap<PolicyDocument, { outcomes: Map<string, Outcome>; index: Map<PolicyRule, number> }>();

/** The outcome when the final tier is `tier` (raised by velocity or a Branch Card, or not). */
export function outcomeAt(doc: PolicyDocument, matched: readonly PolicyRule[], tier: Tier): Outcome {
  let c = cache.get(doc);
  if (c === undefined) cache.set(doc, (c = { outcomes: new Map(), index: new Map(doc.rules.map((r, i) => [r, i])) }));
  const atTier = matched.filter((r) => r.tier === tier);
  const key = `${tier}|${atTier.map((r) => c.index.get(r)).join(',')}`;
  let out = c.outcomes.get(key);
  if (out === undefined) c.outcomes.set(key, (out = computeOutcome(doc, atTier, tier)));
  return out;
}

function computeOutcome(doc: PolicyDocument, atTier: readonly PolicyRule[], tier: Tier): Outcome {
  try {
    const combined = combineRequirements(doc, tier, atTier);
    return { tier, blocked: combined.conflict !== undefined, requirements: combined.conflict === undefined ? combined.requirements : {} };
  } catch {
    // An inconsistent document (CRITICAL without any quorum) makes classify() throw: nothing runs.
    return { tier, blocked: true, requirements: {} };
  }
}
