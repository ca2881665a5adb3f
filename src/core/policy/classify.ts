import type { ActionDescriptor } from '../action/descriptor.ts';
import type { BranchCard } from '../branch-card/branch-card.ts';
import { evaluateBranchCard, stricterReversibility } from '../branch-card/evaluate.ts';
import { canonicalDigest } from '../canonical.ts';
import { FirewallError } from '../errors.ts';
import { tierRank, type Tier } from '../tier.ts';
import type { CompiledRule } from './compile.ts';
import { assertClassifiable } from './descriptor-check.ts';
import { matches, type MatchSubject } from './matcher.ts';
import { normaliseRequestPath } from './path-pattern.ts';
import { combineRequirements } from './requirements.ts';
import type { Classification, Policy, VelocityTotal } from './types.ts';
import { evaluateVelocity } from './velocity.ts';

export interface ClassifyOptions {
  branchCard?: BranchCard;
  /** Answers to every query velocityQueries() returned for this action (an empty list when it returned none). */
  velocity: readonly VelocityTotal[];
}

/**
 * Decides an action's tier and what that tier requires. Pure and deterministic: the same policy,
 * descriptor and options always give the same Classification.
 *
 *   1. tier = MAX over all matching rules; no match → defaults.unmatched_tier (never below MEDIUM)
 *   2. irreversible → at least HIGH
 *   3. each velocity limit the action would exceed → at least its escalate_to
 *   4. Branch Card: FAIL, bypass or a card BLOCK → decision BLOCK; UNKNOWN or STAGE → at least HIGH
 *   5. requirements = strictest combination of defaults and the matching rules at the final tier
 * Steps only ever raise the tier; `decidingRule` names the step that raised it last.
 */
export function classify(policy: Policy, descriptor: ActionDescriptor, options: ClassifyOptions): Classification {
  assertClassifiable(descriptor);
  const card = options.branchCard;
  if (descriptor.branchCardSha256 !== undefined) {
    if (card === undefined) {
      throw new FirewallError('BRANCH_CARD_MISSING', 'descriptor names a Branch Card (branchCardSha256) but none was supplied', { status: 400 });
    }
    if (canonicalDigest(card) !== descriptor.branchCardSha256.toLowerCase()) {
      throw new FirewallError('BRANCH_CARD_MISMATCH', 'the supplied Branch Card does not hash to descriptor.branchCardSha256', { status: 400 });
    }
  }

  // The action is as irreversible as the less reversible of its two declarations.
  const reversibility = card === undefined ? descriptor.reversibility : stricterReversibility(descriptor.reversibility, card.branch?.reversibility);
  let normalisedPath: string | undefined;
  const subject: MatchSubject = {
    agent: descriptor.agent,
    reversibility,
    currency: descriptor.currency?.toUpperCase(),
    amount: descriptor.amount,
    path: () => (normalisedPath ??= normaliseRequestPath(descriptor.request?.path ?? '/')),
  };

  // 1. rules
  const matched: CompiledRule[] = [];
  let top: CompiledRule | undefined;
  for (const c of policy.compiled.rules.candidates(descriptor.actuator, descriptor.operation)) {
    if (!matches(c.match, subject)) continue;
    matched.push(c);
    if (top === undefined || c.rank > top.rank) top = c;
  }

  const reasons: string[] = [];
  let tier: Tier;
  let decidingRule: string;
  if (top === undefined) {
    tier = policy.defaults.unmatchedTier;
    decidingRule = 'default:unmatched';
    const undeclared = Object.hasOwn(policy.actuators, descriptor.actuator) ? '' : ` (actuator '${descriptor.actuator}' is not declared in the policy)`;
    reasons.push(`no rule matches ${descriptor.actuator}/${descriptor.operation}${undeclared}: unmatched actions are ${tier}`);
  } else {
    tier = top.rule.tier;
    decidingRule = top.rule.id;
    for (const c of matched) {
      const role = c === top ? '' : tierRank(c.rule.tier) < top.rank ? ' (outranked)' : ' (same tier)';
      // ASCII ('->', not an arrow): one character beyond Latin-1 makes every record and log entry
      // that carries the reasons a two-byte string, which V8 encodes to UTF-8 on a slow path (12 %
      // of the instructions of a LOW action's record, bench/low-tier-record.ts).
      reasons.push(`rule ${c.rule.id} -> ${c.rule.tier}${role}: ${c.rule.reason ?? 'matched'}`);
    }
  }

  const raise = (to: Tier, label: string, why: string): void => {
    if (tierRank(to) > tierRank(tier)) {
      tier = to;
      decidingRule = label;
      reasons.push(why);
    } else {
      reasons.push(`${why} (no change: already ${tier})`);
    }
  };

  // 2. irreversibility floor
  if (reversibility === 'irreversible' && tierRank(tier) < tierRank('HIGH')) {
    const source = reversibility === descriptor.reversibility ? 'the action' : 'its Branch Card';
    raise('HIGH', 'floor:irreversible', `${source} declares it irreversible: never below HIGH`);
  }

  // 3. velocity
  for (const e of evaluateVelocity(policy, descriptor, options.velocity)) raise(e.escalateTo, `velocity:${e.ruleId}`, e.reason);

  // 4. Branch Card
  let branchCard: Classification['branchCard'];
  if (card !== undefined) {
    const ev = evaluateBranchCard(card, { reversibility: descriptor.reversibility });
    branchCard = { outcome: ev.outcome, failedGates: ev.failedGates, unknownGates: ev.unknownGates };
    if (ev.outcome === 'BLOCK') {
      return {
        decision: 'BLOCK',
        tier,
        decidingRule: `branch-card:${ev.blockedBy ?? 'decision'}`,
        reasons: [...ev.reasons.map((r) => `Branch Card: ${r}`), ...reasons],
        matchedRules: matched.map((c) => c.rule.id),
        requirements: {},
        policyHash: policy.hash,
        branchCard,
      };
    }
    if (ev.outcome === 'STAGE') {
      const gate = ev.unknownGates[0]?.gate ?? 'decision';
      const why = ev.reasons.length > 0 ? ev.reasons.join('; ') : 'card asks for staging';
      raise('HIGH', `branch-card:${gate}`, `Branch Card not autonomously permitted (${why}): a human must approve, at least HIGH`);
    }
  }

  // 5. requirements at the final tier
  const atTier = matched.filter((c) => c.rule.tier === tier).map((c) => c.rule);
  const combined = combineRequirements(policy, tier, atTier);
  const result: Classification = {
    decision: 'ALLOW',
    tier,
    decidingRule,
    reasons,
    matchedRules: matched.map((c) => c.rule.id),
    requirements: combined.requirements,
    policyHash: policy.hash,
  };
  if (branchCard !== undefined) result.branchCard = branchCard;
  if (combined.conflict !== undefined) {
    // Unreachable for two rules (refused at load); possible only for three or more whose modality
    // sets overlap pairwise but not jointly. Nobody could sign, so say so instead of waiting forever.
    return { ...result, decision: 'BLOCK', decidingRule: 'conflict:modalities', requirements: {}, reasons: [...reasons, `policy conflict: ${combined.conflict}; fix the policy`] };
  }
  return result;
}
