import { tierRank } from '../tier.ts';
import type { VelocityRule, VelocityScope } from '../policy/types.ts';

/**
 * Does new velocity rule `n` escalate, to at least the same tier, every time old rule `o` would,
 * whatever the history? It does when `n` counts at least what `o` counts and trips no later:
 *
 *  - same actuator, and every operation `o` counts is counted by `n` (more actions counted);
 *  - window at least as long (more history counted);
 *  - scope at least as broad (coversScope: `agent` counts every target, `agent_target` only one;
 *    `owner` and `organisation` count the agent's own actions and more; `global` counts everything);
 *  - every limit of `o` present in `n` and no higher (count, and the amount of each currency);
 *  - escalate_to at least as high.
 * Totals only grow with more operations, a longer window and a broader scope (amounts are never
 * negative), so under these conditions `o` firing implies `n` firing. Applicability to the action
 * (its operation and agent) is checked by the caller, per cell.
 */
/**
 * Does a window of scope `n` count every action a window of scope `o` counts, for the same agent?
 * Not `organisation` over `owner`: one owner's agents may be registered in different organisations.
 */
export function coversScope(n: VelocityScope, o: VelocityScope): boolean {
  if (n === o || n === 'global') return true;
  if (o === 'agent_target') return n === 'agent' || n === 'owner' || n === 'organisation' || n === 'target';
  if (o === 'agent') return n === 'owner' || n === 'organisation';
  return false;
}

export function dominates(n: VelocityRule, o: VelocityRule): boolean {
  if (n.match.actuator !== o.match.actuator) return false;
  if (!o.match.operations.every((op) => n.match.operations.includes(op))) return false;
  if (n.windowMs < o.windowMs) return false;
  if (!coversScope(n.per, o.per)) return false;
  if (o.maxCount !== undefined && (n.maxCount === undefined || n.maxCount > o.maxCount)) return false;
  for (const [currency, limit] of Object.entries(o.maxAmount ?? {})) {
    const nl = n.maxAmount?.[currency];
    if (nl === undefined || nl > limit) return false;
  }
  return tierRank(n.escalateTo) >= tierRank(o.escalateTo);
}
