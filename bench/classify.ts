import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { ActionDescriptor, Reversibility } from '../src/core/action/descriptor.ts';
import { classify } from '../src/core/policy/classify.ts';
import { parsePolicy } from '../src/core/policy/parse.ts';
import type { Policy, VelocityTotal } from '../src/core/policy/types.ts';
import { velocityQueries } from '../src/core/policy/velocity.ts';

/**
 * Classification cost with a 1,000-rule policy. Target: ≤ 20 µs per action. The policy is
 * realistic in shape: 10 actuators × 40 operations, rules mixing amount ranges, agent lists,
 * reversibility lists and path patterns, a few actuator-wide and global rules (which every
 * action must test), and velocity rules; actions cycle through matched and unmatched cases.
 */

const ACTUATORS = 10;
const OPS = 40;
const REV: Reversibility[] = ['fully_reversible', 'partially_reversible', 'irreversible'];

export function generatePolicyText(ruleCount = 1000): string {
  const actuators: Record<string, unknown> = {};
  for (let a = 0; a < ACTUATORS; a++) {
    actuators[`act${a}`] = { upstream: `http://127.0.0.1:${9100 + a}`, operations: Array.from({ length: OPS }, (_, o) => `op${o}`) };
  }
  const tiers = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
  const rules: Record<string, unknown>[] = [];
  // Global and actuator-wide rules: present in every candidate list they cover.
  rules.push({ id: 'global-rogue', match: { agent: ['rogue-1', 'rogue-2'] }, tier: 'CRITICAL' });
  rules.push({ id: 'global-admin-path', match: { path: '/admin/**' }, tier: 'HIGH' });
  for (let a = 0; a < ACTUATORS; a++) rules.push({ id: `act${a}-irrev`, match: { actuator: `act${a}`, reversibility: ['irreversible'] }, tier: 'HIGH' });
  let i = 0;
  while (rules.length < ruleCount) {
    const a = i % ACTUATORS;
    const o = Math.floor(i / ACTUATORS) % OPS;
    const tier = tiers[i % 4] as string;
    const match: Record<string, unknown> = { actuator: `act${a}`, operation: [`op${o}`, `op${(o + 7) % OPS}`] };
    switch (i % 5) {
      case 0:
        match.amount = { currency: 'EUR', gte: (i % 7) * 100, lt: (i % 7) * 100 + 500 };
        break;
      case 1:
        match.agent = [`agent${i % 13}`, `agent${(i + 5) % 13}`];
        break;
      case 2:
        match.path = `/things/:id/op${o}`;
        break;
      case 3:
        match.reversibility = [REV[i % 3] as string];
        break;
      default:
        break;
    }
    const rule: Record<string, unknown> = { id: `r${i}`, match, tier };
    if (tier === 'MEDIUM') rule.cooling = `${1 + (i % 30)}m`;
    if (tier === 'HIGH') rule.signature = { sustained: `${30 + (i % 30)}s` };
    if (tier === 'CRITICAL') rule.quorum = { all_of: [{ group: 'ops', min: 2 }, { group: 'risk', min: 1 }], window: '1h', comparator: { group: 'compliance' } };
    rules.push(rule);
    i++;
  }
  const velocity = Array.from({ length: ACTUATORS }, (_, a) => ({
    id: `v${a}`,
    match: { actuator: `act${a}`, operation: ['op0', 'op1', 'op2', 'op3'] },
    per: 'agent',
    window: '1h',
    max_amount: { EUR: 5000 },
    max_count: 50,
    escalate_to: 'HIGH',
  }));
  return stringify({
    version: 1,
    name: 'bench-1000',
    defaults: { quorum: { all_of: [{ group: 'ops', min: 2 }], window: '1h', comparator: { group: 'compliance' } } },
    groups: { ops: ['o1', 'o2', 'o3'], risk: ['r1', 'r2'], compliance: ['c1'] },
    actuators,
    rules,
    velocity,
  });
}

/** The benchmark's actions: matched and unmatched cases, amounts, rogue agents, admin paths (also used by test/policy). */
export function benchDescriptors(n: number): ActionDescriptor[] {
  const out: ActionDescriptor[] = [];
  for (let k = 0; k < n; k++) {
    const d: ActionDescriptor = {
      agent: k % 97 === 0 ? 'rogue-1' : `agent${k % 13}`,
      actuator: `act${k % ACTUATORS}`,
      operation: k % 50 === 0 ? 'unknown_op' : `op${(k * 7) % OPS}`,
      target: `t${k % 31}`,
      parameters: {},
      reversibility: REV[k % 3] as Reversibility,
      request: { method: 'POST', path: k % 11 === 0 ? '/admin/x' : `/things/${k}/op${(k * 7) % OPS}`, bodySha256: '' },
    };
    if (k % 2 === 0) {
      d.amount = (k * 37) % 2000;
      d.currency = 'EUR';
    }
    out.push(d);
  }
  return out;
}

export function benchClassify(): Record<string, number> {
  const policy: Policy = parsePolicy(generatePolicyText(1000), 'bench-1000.yaml');
  if (policy.rules.length !== 1000) throw new Error(`expected 1000 rules, got ${policy.rules.length}`);
  const actions = benchDescriptors(1000).map((d) => ({
    d,
    totals: velocityQueries(policy, d, 0).map((q): VelocityTotal => ({ ruleId: q.ruleId, count: 3, amount: 1200 })),
  }));
  let sink = 0;
  const run = (iterations: number): void => {
    for (let k = 0; k < iterations; k++) {
      const a = actions[k % actions.length] as (typeof actions)[number];
      sink += classify(policy, a.d, { velocity: a.totals }).matchedRules.length;
    }
  };
  run(50_000); // warm-up: JIT and the rule index's per-(actuator, operation) cache
  const iterations = 200_000;
  const t0 = process.hrtime.bigint();
  run(iterations);
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  if (sink < 0) throw new Error('unreachable'); // keeps the loop observable
  return { classify_us_1000_rules: Math.round((elapsedNs / iterations / 1000) * 1000) / 1000 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(benchClassify()));
}
