import { describe, expect, it } from 'vitest';
import { benchDescriptors, generatePolicyText } from '../../bench/classify.ts';
import type { ActionDescriptor } from '../../src/core/action/descriptor.ts';
import { classify } from '../../src/core/policy/classify.ts';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import { compilePathPattern, normaliseRequestPath } from '../../src/core/policy/path-pattern.ts';
import type { PolicyRule } from '../../src/core/policy/types.ts';
import { velocityQueries } from '../../src/core/policy/velocity.ts';

/**
 * The 1,000-rule policy that `npm run bench` times (classify_us_1000_rules; the speed target lives
 * there, not in a timed test). Here: the rule index, which offers each action only its candidate
 * rules, must lose none. Checked against a plain scan of every rule, written from the policy format
 * (docs/policy.md) rather than from the compiled matchers.
 */
function scanMatches(rule: PolicyRule, d: ActionDescriptor): boolean {
  const m = rule.match;
  if (m.actuator !== undefined && m.actuator !== d.actuator) return false;
  if (m.operations !== undefined && !m.operations.includes(d.operation)) return false;
  if (m.agents !== undefined && !m.agents.includes(d.agent)) return false;
  if (m.reversibility !== undefined && !m.reversibility.includes(d.reversibility)) return false;
  if (m.amount !== undefined) {
    const a = d.amount;
    if (a === undefined || d.currency?.toUpperCase() !== m.amount.currency) return false;
    if (m.amount.gt !== undefined && !(a > m.amount.gt)) return false;
    if (m.amount.gte !== undefined && !(a >= m.amount.gte)) return false;
    if (m.amount.lt !== undefined && !(a < m.amount.lt)) return false;
    if (m.amount.lte !== undefined && !(a <= m.amount.lte)) return false;
  }
  if (m.path !== undefined && !compilePathPattern(m.path).regex.test(normaliseRequestPath(d.request?.path ?? '/'))) return false;
  return true;
}

describe('the 1,000-rule benchmark policy', () => {
  const policy = parsePolicy(generatePolicyText(1000), 'bench-1000.yaml');
  const actions = benchDescriptors(1000);
  // No history: classification requires an answer to each velocity question, zero here.
  const run = (d: ActionDescriptor) => classify(policy, d, { velocity: velocityQueries(policy, d, 0).map((q) => ({ ruleId: q.ruleId, count: 0, amount: 0 })) });

  it('has 1,000 rules and every kind of action the benchmark claims', () => {
    expect(policy.rules).toHaveLength(1000);
    const tiers = new Set(actions.map((d) => run(d).tier));
    expect([...tiers].sort()).toEqual(['CRITICAL', 'HIGH', 'LOW', 'MEDIUM']);
    expect(actions.some((d) => run(d).decidingRule === 'default:unmatched')).toBe(true);
  });

  it('classification through the rule index matches exactly the rules a full scan matches', () => {
    let compared = 0;
    for (const d of actions) {
      const expected = policy.rules.filter((r) => scanMatches(r, d)).map((r) => r.id).sort();
      expect(run(d).matchedRules.slice().sort(), `${d.actuator}/${d.operation} by ${d.agent}`).toEqual(expected);
      compared += expected.length;
    }
    // The comparison is not vacuous: most actions match several rules.
    expect(compared).toBeGreaterThan(actions.length);
  });
});
