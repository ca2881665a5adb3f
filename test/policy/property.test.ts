import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REVERSIBILITY, type ActionDescriptor } from '../../src/core/action/descriptor.ts';
import { classify } from '../../src/core/policy/classify.ts';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import { velocityQueries } from '../../src/core/policy/velocity.ts';
import { tierRank } from '../../src/core/tier.ts';
import { BASE_POLICY } from './helpers.ts';

/** The base policy plus rules that try hard to make things LOW: a catch-all and an agent-wide one. */
const policy = parsePolicy(
  BASE_POLICY.replace(
    'velocity:\n',
    `  - id: everything-low
    match: {}
    tier: LOW
  - id: trusted-agent
    match: { agent: [trusted] }
    tier: LOW
velocity:
`,
  ),
  'property.yaml',
);
const strict = parsePolicy(BASE_POLICY, 'strict.yaml');

const descriptorArb: fc.Arbitrary<ActionDescriptor> = fc
  .record({
    agent: fc.constantFrom('agent-1', 'deploy-bot', 'trusted', 'x'),
    actuator: fc.constantFrom('payments', 'infra', 'unknown'),
    operation: fc.constantFrom('transfer', 'get_balance', 'delete_cluster', 'read_status', 'scale', 'other'),
    target: fc.string({ maxLength: 8 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)),
    reversibility: fc.constantFrom(...REVERSIBILITY),
    money: fc.option(fc.record({ amount: fc.double({ min: 0, max: 1e7, noNaN: true }), currency: fc.constantFrom('EUR', 'eur', 'USD') }), { nil: undefined }),
    path: fc.constantFrom('/transfers', '/balances/a', '/x/../transfers', '//admin', '/'),
  })
  .map(({ money, path, ...d }) => ({
    ...d,
    parameters: {},
    request: { method: 'POST', path, bodySha256: '' },
    ...(money ?? {}),
  }));

const priorArb = fc.record({ count: fc.nat(30), amount: fc.double({ min: 0, max: 1e5, noNaN: true }) });

describe('classification properties', () => {
  it('never LOW for irreversible actions, never below MEDIUM when unmatched, deterministic', () => {
    fc.assert(
      fc.property(descriptorArb, priorArb, (d, prior) => {
        for (const p of [policy, strict]) {
          const velocity = velocityQueries(p, d, 0).map((q) => ({ ruleId: q.ruleId, ...prior }));
          const a = classify(p, d, { velocity });
          const b = classify(p, structuredClone(d), { velocity: structuredClone(velocity) });
          expect(b).toEqual(a);
          if (d.reversibility === 'irreversible') expect(tierRank(a.tier)).toBeGreaterThanOrEqual(tierRank('HIGH'));
          if (a.matchedRules.length === 0) {
            expect(a.decidingRule).toBe('default:unmatched');
            expect(tierRank(a.tier)).toBeGreaterThanOrEqual(tierRank('MEDIUM'));
          }
          // the tier is at least every matching rule's tier
          for (const id of a.matchedRules) {
            const rule = p.rules.find((r) => r.id === id);
            expect(tierRank(a.tier)).toBeGreaterThanOrEqual(tierRank(rule?.tier ?? 'LOW'));
          }
          // requirements always fit the tier
          expect(a.requirements.coolingMs !== undefined).toBe(a.decision === 'ALLOW' && a.tier === 'MEDIUM');
          expect(a.requirements.signature !== undefined).toBe(a.decision === 'ALLOW' && tierRank(a.tier) >= tierRank('HIGH'));
          expect(a.requirements.quorum !== undefined).toBe(a.decision === 'ALLOW' && a.tier === 'CRITICAL');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('adding earlier activity never lowers the tier (velocity is monotone)', () => {
    fc.assert(
      fc.property(descriptorArb, priorArb, priorArb, (d, p1, p2) => {
        const lo = { count: Math.min(p1.count, p2.count), amount: Math.min(p1.amount, p2.amount) };
        const hi = { count: Math.max(p1.count, p2.count), amount: Math.max(p1.amount, p2.amount) };
        const run = (prior: typeof lo) => classify(strict, d, { velocity: velocityQueries(strict, d, 0).map((q) => ({ ruleId: q.ruleId, ...prior })) });
        expect(tierRank(run(hi).tier)).toBeGreaterThanOrEqual(tierRank(run(lo).tier));
      }),
      { numRuns: 300 },
    );
  });
});
