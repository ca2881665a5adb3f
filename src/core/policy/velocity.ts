import type { ActionDescriptor } from '../action/descriptor.ts';
import { normaliseCurrency } from '../action/currency.ts';
import { FirewallError } from '../errors.ts';
import type { Tier } from '../tier.ts';
import { formatDuration } from './duration.ts';
import { velocityPrincipalOf, VELOCITY_SCOPES, type Policy, type VelocityPrincipal, type VelocityQuery, type VelocityRule, type VelocityScope, type VelocityTotal } from './types.ts';

/**
 * Velocity limits without I/O. The gateway asks `velocityQueries` what to count, answers each
 * query from its store with the totals of EARLIER ACCEPTED actions in the window, and hands the
 * totals to `classify`, which adds the action being classified. Limits are cumulative, so ten
 * transfers of 600 trip a 5,000 limit exactly as one of 6,000 would.
 */

function applicable(policy: Policy, descriptor: ActionDescriptor): VelocityRule[] {
  const out: VelocityRule[] = [];
  for (const v of policy.compiled.velocity.candidates(descriptor.actuator, descriptor.operation)) {
    if (v.agents === undefined || v.agents.has(descriptor.agent)) out.push(v.rule);
  }
  return out;
}

/**
 * The scopes the policy's velocity rules count by, in VELOCITY_SCOPES order: a store needs indexes
 * for these windows only (Store.indexVelocityScopes).
 */
export function velocityScopesOf(policy: Policy): VelocityScope[] {
  const used = new Set(policy.velocity.map((r) => r.per));
  return VELOCITY_SCOPES.filter((s) => used.has(s));
}

/**
 * What to count for each velocity rule the action falls under. `who` places the agent in the owner
 * and organisation scopes; without it (policy check, benches) the agent is its own owner and
 * organisation. Only the scope's own fields narrow the count: an owner-scoped window adds up every
 * agent of that owner, whichever entrance, target or agent each action came through.
 */
export function velocityQueries(policy: Policy, descriptor: ActionDescriptor, nowMs: number, who?: VelocityPrincipal): VelocityQuery[] {
  if (!Number.isFinite(nowMs)) throw new FirewallError('VELOCITY_CLOCK_INVALID', `nowMs must be a finite number, got ${nowMs}`, { status: 500 });
  const principal = who ?? velocityPrincipalOf({ id: descriptor.agent });
  return applicable(policy, descriptor).map((rule) => {
    const q: VelocityQuery = {
      ruleId: rule.id,
      actuator: rule.match.actuator,
      operations: [...rule.match.operations],
      sinceMs: nowMs - rule.windowMs,
    };
    switch (rule.per) {
      case 'agent':
        q.agent = descriptor.agent;
        break;
      case 'agent_target':
        q.agent = descriptor.agent;
        q.target = descriptor.target;
        break;
      case 'owner':
        q.owner = principal.owner;
        break;
      case 'organisation':
        q.organisation = principal.organisation;
        break;
      case 'target':
        q.target = descriptor.target;
        break;
      case 'global':
        break;
    }
    if (descriptor.amount !== undefined && descriptor.currency !== undefined) q.currency = normaliseCurrency(descriptor.currency);
    return q;
  });
}

function scopeText(rule: VelocityRule, descriptor: ActionDescriptor): string {
  switch (rule.per) {
    case 'agent':
      return `agent ${descriptor.agent}`;
    case 'agent_target':
      return `agent ${descriptor.agent} on target ${descriptor.target}`;
    case 'owner':
      return `the agents of ${descriptor.agent}'s owner`;
    case 'organisation':
      return `the agents of ${descriptor.agent}'s organisation`;
    case 'target':
      return `all agents on target ${descriptor.target}`;
    case 'global':
      return 'all agents';
  }
}

export interface VelocityEscalation {
  ruleId: string;
  escalateTo: Tier;
  reason: string;
}

/** Sums in major units with decimals: round away binary noise (0.1 + 0.2) before comparing. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function evaluateVelocity(policy: Policy, descriptor: ActionDescriptor, totals: readonly VelocityTotal[]): VelocityEscalation[] {
  const rules = applicable(policy, descriptor);
  if (rules.length === 0) return [];
  const out: VelocityEscalation[] = [];
  for (const rule of rules) {
    const t = totals.find((x) => x.ruleId === rule.id);
    if (t === undefined) {
      // Fail loudly: classifying without the count would let a split payment through unescalated.
      throw new FirewallError('VELOCITY_TOTALS_MISSING', `no velocity total supplied for rule '${rule.id}'; answer every query from velocityQueries()`, { status: 500 });
    }
    if (!Number.isInteger(t.count) || t.count < 0 || !Number.isFinite(t.amount) || t.amount < 0) {
      throw new FirewallError('VELOCITY_TOTALS_INVALID', `velocity total for rule '${rule.id}' must have a non-negative integer count and a non-negative amount`, { status: 500 });
    }
    const scope = scopeText(rule, descriptor);
    const window = formatDuration(rule.windowMs);
    const count = t.count + 1;
    if (rule.maxCount !== undefined && count > rule.maxCount) {
      out.push({ ruleId: rule.id, escalateTo: rule.escalateTo, reason: `velocity ${rule.id}: this would be action ${count} by ${scope} within ${window}, over the limit of ${rule.maxCount} -> ${rule.escalateTo}` });
      continue;
    }
    const currency = descriptor.currency === undefined ? undefined : normaliseCurrency(descriptor.currency);
    const limit = currency === undefined ? undefined : rule.maxAmount?.[currency];
    if (limit !== undefined && descriptor.amount !== undefined) {
      const sum = round(t.amount + descriptor.amount);
      if (sum > limit) {
        out.push({ ruleId: rule.id, escalateTo: rule.escalateTo, reason: `velocity ${rule.id}: ${scope} would reach ${sum} ${currency} within ${window}, over the limit of ${limit} ${currency} -> ${rule.escalateTo}` });
      }
    }
  }
  return out;
}
