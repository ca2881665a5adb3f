import { describe, expect, it } from 'vitest';
import { classify } from '../../src/core/policy/classify.ts';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import type { Policy } from '../../src/core/policy/types.ts';
import { velocityQueries } from '../../src/core/policy/velocity.ts';
import type { ActionDescriptor } from '../../src/core/action/descriptor.ts';
import { BASE_POLICY, basePolicy, MemoryVelocityStore, transfer } from './helpers.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

/** Submits like a gateway: query, answer from the store, classify, record if accepted. */
function submit(policy: Policy, store: MemoryVelocityStore, d: ActionDescriptor, at: number) {
  const totals = store.answer(velocityQueries(policy, d, at));
  const c = classify(policy, d, { velocity: totals });
  if (c.decision === 'ALLOW') store.record(d, at);
  return c;
}

describe('velocity', () => {
  const policy = basePolicy();

  it('queries name the rule, agent, actuator, operations, currency and window start', () => {
    expect(velocityQueries(policy, transfer(10), T0)).toEqual([
      { ruleId: 'transfer-burst', agent: 'agent-1', actuator: 'payments', operations: ['transfer'], currency: 'EUR', sinceMs: T0 - HOUR },
    ]);
    expect(velocityQueries(policy, transfer(10, { operation: 'get_balance' }), T0)).toEqual([]);
  });

  it('splitting one large transfer into ten small ones escalates once the cumulative amount exceeds the limit', () => {
    expect(classify(policy, transfer(6000), { velocity: [{ ruleId: 'transfer-burst', count: 0, amount: 0 }] }).tier).toBe('HIGH');
    const store = new MemoryVelocityStore();
    const tiers = Array.from({ length: 10 }, (_, i) => submit(policy, store, transfer(600, { target: `payee-${i}` }), T0 + i * 60_000));
    // 8 × 600 = 4,800 ≤ 5,000; the 9th would make 5,400
    expect(tiers.slice(0, 8).map((c) => c.tier)).toEqual(Array(8).fill('MEDIUM'));
    expect(tiers[8]).toMatchObject({ tier: 'HIGH', decidingRule: 'velocity:transfer-burst' });
    expect(tiers[8]?.reasons.join('\n')).toMatch(/5400 EUR within 1h, over the limit of 5000 EUR/);
    expect(tiers[8]?.requirements.signature).toBeDefined();
    expect(tiers[9]?.tier).toBe('HIGH');
  });

  it('reaching the limit exactly is allowed; exceeding it is not', () => {
    const v = (amount: number) => [{ ruleId: 'transfer-burst', count: 4, amount }];
    expect(classify(policy, transfer(999), { velocity: v(4001) }).tier).toBe('MEDIUM');
    expect(classify(policy, transfer(999), { velocity: v(4001.01) }).tier).toBe('HIGH');
    // decimal noise does not tip a sum over: 0.1 + 0.2 against a 0.3 limit
    const p = parsePolicy(BASE_POLICY.replace('max_amount: { EUR: 5000 }', 'max_amount: { EUR: 0.3 }'), 'p.yaml');
    expect(classify(p, transfer(0.2), { velocity: [{ ruleId: 'transfer-burst', count: 0, amount: 0.1 }] }).tier).toBe('MEDIUM');
  });

  it('the count limit counts the current action', () => {
    expect(classify(policy, transfer(1), { velocity: [{ ruleId: 'transfer-burst', count: 19, amount: 19 }] }).tier).toBe('MEDIUM');
    const c = classify(policy, transfer(1), { velocity: [{ ruleId: 'transfer-burst', count: 20, amount: 20 }] });
    expect(c).toMatchObject({ tier: 'HIGH', decidingRule: 'velocity:transfer-burst' });
    expect(c.reasons.join()).toMatch(/action 21 .* over the limit of 20/);
  });

  it('old actions fall out of the window', () => {
    const store = new MemoryVelocityStore();
    for (let i = 0; i < 8; i++) submit(policy, store, transfer(600), T0 + i * 1000);
    expect(submit(policy, store, transfer(600), T0 + 10_000).tier).toBe('HIGH');
    expect(submit(policy, store, transfer(600), T0 + 10_000 + HOUR).tier).toBe('MEDIUM');
  });

  it('per: agent counts across targets; per: agent_target counts each target separately; agents never share a window', () => {
    const perTarget = parsePolicy(BASE_POLICY.replace('per: agent\n', 'per: agent_target\n'), 'per-target.yaml');
    const byAgent = new MemoryVelocityStore();
    const byTarget = new MemoryVelocityStore();
    const results = { agent: [] as string[], target: [] as string[] };
    for (let i = 0; i < 12; i++) {
      const d = transfer(900, { target: i % 2 === 0 ? 'payee-a' : 'payee-b' });
      results.agent.push(submit(policy, byAgent, d, T0 + i).tier);
      results.target.push(submit(perTarget, byTarget, d, T0 + i).tier);
    }
    // per agent: 5 × 900 = 4,500 fits, the 6th (5,400) escalates
    expect(results.agent.indexOf('HIGH')).toBe(5);
    // per target: each payee reaches 5 × 900 at i = 8 (a) and i = 9 (b); the 6th for a payee is i = 10
    expect(results.target.indexOf('HIGH')).toBe(10);
    expect(velocityQueries(perTarget, transfer(1, { target: 'payee-a' }), T0)[0]?.target).toBe('payee-a');
    expect(velocityQueries(policy, transfer(1, { target: 'payee-a' }), T0)[0]?.target).toBeUndefined();
    // another agent starts from zero
    expect(submit(policy, byAgent, transfer(900, { agent: 'agent-2' }), T0 + 100).tier).toBe('MEDIUM');
  });

  it('escalation only raises: an action already above escalate_to keeps its tier and deciding rule', () => {
    const c = classify(policy, transfer(2000), { velocity: [{ ruleId: 'transfer-burst', count: 100, amount: 1e6 }] });
    expect(c).toMatchObject({ tier: 'HIGH', decidingRule: 'large-transfer' });
    expect(c.reasons.join()).toMatch(/no change: already HIGH/);
  });

  it('rejects invalid totals', () => {
    expect(() => classify(policy, transfer(1), { velocity: [{ ruleId: 'transfer-burst', count: -1, amount: 0 }] })).toThrow(expect.objectContaining({ code: 'VELOCITY_TOTALS_INVALID' }));
    expect(() => classify(policy, transfer(1), { velocity: [{ ruleId: 'transfer-burst', count: 1.5, amount: 0 }] })).toThrow(expect.objectContaining({ code: 'VELOCITY_TOTALS_INVALID' }));
  });
});
