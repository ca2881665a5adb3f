import { describe, expect, it } from 'vitest';
import { isFirewallError } from '../../src/core/errors.ts';
import { classify } from '../../src/core/policy/classify.ts';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import { velocityQueries } from '../../src/core/policy/velocity.ts';
import type { ActionDescriptor } from '../../src/core/action/descriptor.ts';
import type { Policy } from '../../src/core/policy/types.ts';
import { BASE_POLICY, basePolicy, descriptor, transfer, zeroTotals } from './helpers.ts';

const policy = basePolicy();
const run = (d: ActionDescriptor, p: Policy = policy) => classify(p, d, { velocity: zeroTotals(velocityQueries(p, d, 0)) });

/** Appends rules to the base policy's rules list (before velocity). */
function withRules(extra: string): Policy {
  return parsePolicy(BASE_POLICY.replace('velocity:\n', `${extra}\nvelocity:\n`), 'extended.yaml');
}

describe('classification: each tier', () => {
  it('LOW: a balance read executes at once, with no requirements', () => {
    const c = run(descriptor({ operation: 'get_balance', reversibility: 'fully_reversible', request: { method: 'GET', path: '/balances/x', bodySha256: '' } }));
    expect(c).toMatchObject({ decision: 'ALLOW', tier: 'LOW', decidingRule: 'reads', matchedRules: ['reads'], requirements: {} });
    expect(c.reasons[0]).toContain('Reading a balance changes nothing.');
    expect(c.policyHash).toBe(policy.hash);
  });

  it('MEDIUM: a small transfer cools for the longer of rule and default cooling', () => {
    const c = run(transfer(999.99));
    expect(c).toMatchObject({ tier: 'MEDIUM', decidingRule: 'small-transfer', requirements: { coolingMs: 600_000 } });
    expect(c.requirements.signature).toBeUndefined();
  });

  it('HIGH: a large transfer needs a signature restricted to the rule modalities', () => {
    const c = run(transfer(1000));
    expect(c.tier).toBe('HIGH');
    expect(c.decidingRule).toBe('large-transfer');
    expect(c.requirements).toEqual({ signature: { windowMs: 900_000, sustainedMs: 30_000, modalities: ['hrv', 'motion'], maxAttempts: 5 } });
  });

  it('CRITICAL: deleting a cluster needs the quorum with members resolved and a comparator', () => {
    const c = run(descriptor({ agent: 'deploy-bot', actuator: 'infra', operation: 'delete_cluster', target: 'prod', reversibility: 'irreversible' }));
    expect(c.tier).toBe('CRITICAL');
    expect(c.decidingRule).toBe('prod-change');
    expect(c.requirements.quorum).toEqual({
      allOf: [
        { group: 'risk', min: 1, members: ['dave'] },
        { group: 'treasury', min: 2, members: ['alice', 'bob', 'carol'] },
      ],
      distinctOrganisations: false,
      windowMs: 3_600_000,
      comparators: [{ group: 'compliance', min: 1, biological: false, members: ['erin'] }],
    });
    expect(c.requirements.signature?.sustainedMs).toBe(30_000);
  });
});

describe('classification: semantics', () => {
  it('takes the MAXIMUM tier over all matching rules, whatever their order', () => {
    const p = withRules(`  - id: everything-payments
    match: { actuator: payments }
    tier: LOW
  - id: eur-over-500
    match: { amount: { currency: EUR, gt: 500 } }
    tier: HIGH`);
    const c = run(transfer(600), p);
    expect(c.matchedRules).toEqual(['small-transfer', 'everything-payments', 'eur-over-500']);
    expect(c.tier).toBe('HIGH');
    expect(c.decidingRule).toBe('eur-over-500');
    expect(c.reasons.some((r) => r.includes('small-transfer') && r.includes('outranked'))).toBe(true);
  });

  it('names the first rule in file order when several share the maximum tier', () => {
    const p = withRules(`  - id: also-medium
    match: { actuator: payments, operation: transfer }
    tier: MEDIUM
    cooling: 20m`);
    const c = run(transfer(10), p);
    expect(c.decidingRule).toBe('small-transfer');
    // and requirements combine over both: the longest cooling wins
    expect(c.requirements.coolingMs).toBe(20 * 60_000);
  });

  it('combines signature requirements strictly: longest sustained, intersected modalities, fewest attempts, longest window', () => {
    const p = withRules(`  - id: big-hrv
    match: { amount: { currency: EUR, gte: 5000 } }
    tier: HIGH
    signature: { window: 30m, sustained: 60s, modalities: [hrv, gaze], max_attempts: 2 }`);
    const c = run(transfer(6000), p);
    expect(c.requirements.signature).toEqual({ windowMs: 30 * 60_000, sustainedMs: 60_000, modalities: ['hrv'], maxAttempts: 2 });
  });

  it('ignores requirements of outranked rules', () => {
    const p = withRules(`  - id: huge
    match: { actuator: payments, operation: transfer, amount: { currency: EUR, gte: 1000000 } }
    tier: CRITICAL
    quorum: { all_of: [ { group: treasury, min: 3 } ], window: 2h, comparator: { group: compliance } }`);
    const c = run(transfer(2_000_000), p);
    expect(c.tier).toBe('CRITICAL');
    // large-transfer (HIGH, modalities hrv/motion) is outranked: the CRITICAL requirements use defaults
    expect(c.requirements.signature?.modalities).toEqual(['hrv', 'motion', 'typing', 'gaze', 'voice', 'eda']);
    expect(c.requirements.quorum?.allOf).toEqual([{ group: 'treasury', min: 3, members: ['alice', 'bob', 'carol'] }]);
  });

  it('unmatched actions take defaults.unmatched_tier (HIGH) with the default signature', () => {
    const c = run(descriptor({ actuator: 'infra', operation: 'scale', target: 'web' }));
    expect(c).toMatchObject({ tier: 'HIGH', decidingRule: 'default:unmatched', matchedRules: [] });
    expect(c.requirements.signature?.modalities).toHaveLength(6);
  });

  it('an amount in another currency matches no EUR rule and falls to the unmatched default', () => {
    const c = run(transfer(10, { currency: 'USD' }));
    expect(c.decidingRule).toBe('default:unmatched');
    expect(c.tier).toBe('HIGH');
  });

  it('currency comparison is case-insensitive on the action side', () => {
    expect(run(transfer(10, { currency: 'eur' })).decidingRule).toBe('small-transfer');
  });

  it('unmatched_tier defaults to HIGH when omitted', () => {
    const p = parsePolicy('version: 1\nname: tiny\nactuators: { a: { upstream: "http://127.0.0.1:1" } }\n', 'tiny.yaml');
    expect(run(descriptor({ actuator: 'a', operation: 'x' }), p).tier).toBe('HIGH');
    expect(run(descriptor({ actuator: 'undeclared', operation: 'x' }), p).reasons[0]).toContain('not declared');
  });

  it('unmatched_tier MEDIUM is honoured (and is the lowest allowed)', () => {
    const p = parsePolicy('version: 1\nname: tiny\ndefaults: { unmatched_tier: MEDIUM, cooling: 1m }\nactuators: { a: { upstream: "http://127.0.0.1:1" } }\n', 'tiny.yaml');
    expect(run(descriptor({ actuator: 'a', operation: 'x' }), p)).toMatchObject({ tier: 'MEDIUM', requirements: { coolingMs: 60_000 } });
  });

  it('unmatched CRITICAL takes its quorum from defaults.quorum, with organisations when asked', () => {
    const p = parsePolicy(
      BASE_POLICY.replace(
        '  unmatched_tier: HIGH\n',
        '  unmatched_tier: CRITICAL\n  quorum: { all_of: [ { group: treasury, min: 2 } ], distinct_organisations: true, window: 30m, comparator: { group: compliance } }\n',
      ).replace('notify:', 'organisations: { acme: [alice], globex: [bob], initech: [carol], audit: [erin], risk-co: [dave] }\nnotify:'),
      'crit.yaml',
    );
    const c = run(descriptor({ actuator: 'infra', operation: 'scale' }), p);
    expect(c).toMatchObject({ tier: 'CRITICAL', decidingRule: 'default:unmatched' });
    expect(c.requirements.quorum).toMatchObject({
      allOf: [{ group: 'treasury', min: 2 }],
      distinctOrganisations: true,
      windowMs: 30 * 60_000,
      organisationOf: { alice: 'acme', bob: 'globex', carol: 'initech', erin: 'audit' },
    });
    // only people involved in this quorum are listed
    expect(Object.keys(c.requirements.quorum?.organisationOf ?? {})).not.toContain('dave');
    // a CRITICAL rule's quorum is combined with the default one: union of clauses, longest window
    const rule = run(descriptor({ agent: 'deploy-bot', actuator: 'infra', operation: 'delete_cluster', reversibility: 'irreversible' }), p);
    expect(rule.requirements.quorum?.allOf.map((c) => [c.group, c.min])).toEqual([['risk', 1], ['treasury', 2]]);
    expect(rule.requirements.quorum?.windowMs).toBe(3_600_000);
    expect(rule.requirements.quorum?.distinctOrganisations).toBe(true);
    expect(rule.requirements.quorum?.organisationOf?.dave).toBe('risk-co');
  });

  it('refuses a rule quorum whose signers lack organisations once combined with a distinct-organisations default', () => {
    const text = BASE_POLICY.replace(
      '  unmatched_tier: HIGH\n',
      '  quorum: { all_of: [ { group: compliance, min: 1 } ], distinct_organisations: true, window: 30m, comparator: { group: compliance } }\n',
    ).replace('notify:', 'organisations: { audit: [erin] }\nnotify:');
    expect(() => parsePolicy(text, 'x.yaml')).toThrow(/combined with defaults.quorum.*alice, bob, carol, dave belong to no organisation/);
  });

  it('irreversible actions are never below HIGH: the floor raises LOW and MEDIUM', () => {
    const low = run(descriptor({ operation: 'get_balance', reversibility: 'irreversible' }));
    expect(low).toMatchObject({ tier: 'HIGH', decidingRule: 'floor:irreversible', matchedRules: ['reads'] });
    const medium = run(transfer(10, { reversibility: 'irreversible' }));
    expect(medium).toMatchObject({ tier: 'HIGH', decidingRule: 'floor:irreversible' });
    expect(medium.requirements.signature).toBeDefined();
    expect(medium.requirements.coolingMs).toBeUndefined();
  });

  it('the floor does not lower anything and is not named when the rule is already HIGH', () => {
    expect(run(transfer(5000, { reversibility: 'irreversible' })).decidingRule).toBe('large-transfer');
  });

  it('matches path patterns against the normalised request path', () => {
    const p = withRules(`  - id: admin
    match: { path: "/admin/**" }
    tier: CRITICAL
    quorum: { all_of: [ { group: treasury, min: 2 } ], window: 1h, comparator: { group: compliance } }
  - id: one-balance
    match: { actuator: payments, path: "/balances/:account" }
    tier: MEDIUM`);
    const admin = (path: string) => run(descriptor({ operation: 'x', request: { method: 'POST', path, bodySha256: '' } }), p).decidingRule;
    expect(admin('/admin')).toBe('admin');
    expect(admin('/admin/users/7?x=1')).toBe('admin');
    expect(admin('//admin/')).toBe('admin');
    expect(admin('/public/../admin/x')).toBe('admin');
    expect(admin('/%61dmin/x')).toBe('admin');
    expect(admin('/administrator')).toBe('default:unmatched');
    const bal = (path: string) => run(descriptor({ operation: 'get_balance', request: { method: 'GET', path, bodySha256: '' } }), p).tier;
    expect(bal('/balances/acc-1')).toBe('MEDIUM');
    expect(bal('/balances/a%2Fb')).toBe('MEDIUM');
    expect(bal('/balances/acc-1/history')).toBe('LOW'); // only the 'reads' rule
  });

  it('matches agent and reversibility lists', () => {
    const d = descriptor({ agent: 'other-bot', actuator: 'infra', operation: 'delete_cluster', reversibility: 'irreversible' });
    expect(run(d).decidingRule).toBe('default:unmatched');
    const p = withRules(`  - id: reversible-reads
    match: { actuator: infra, reversibility: [fully_reversible] }
    tier: LOW`);
    expect(run(descriptor({ actuator: 'infra', operation: 'scale', reversibility: 'fully_reversible' }), p).tier).toBe('LOW');
    expect(run(descriptor({ actuator: 'infra', operation: 'scale', reversibility: 'partially_reversible' }), p).tier).toBe('HIGH');
  });

  it('refuses malformed descriptors instead of classifying them', () => {
    const bad: [Partial<ActionDescriptor>, string][] = [
      [{ amount: Number.NaN, currency: 'EUR' }, 'amount'],
      [{ amount: -5, currency: 'EUR' }, 'amount'],
      [{ amount: 5 }, 'currency'],
      [{ currency: 'EUR' }, 'amount'],
      [{ agent: '' }, 'agent'],
      [{ operation: 'transfer\u0000x' }, 'operation'],
      [{ reversibility: 'maybe' as never }, 'reversibility'],
    ];
    for (const [over, field] of bad) {
      try {
        run(descriptor(over));
        expect.fail(`accepted ${JSON.stringify(over)}`);
      } catch (e) {
        expect(isFirewallError(e, 'ACTION_DESCRIPTOR_INVALID')).toBe(true);
        expect((e as { detail: { field: string } }).detail.field).toBe(field);
      }
    }
  });

  it('throws when a matching velocity rule has no total (fails closed)', () => {
    expect(() => classify(policy, transfer(10), { velocity: [] })).toThrow(expect.objectContaining({ code: 'VELOCITY_TOTALS_MISSING' }));
  });

  it('blocks, naming the conflict, when three co-matching rules share no modality jointly', () => {
    const p = withRules(`  - id: m1
    match: { agent: [x] }
    tier: HIGH
    signature: { modalities: [hrv, motion] }
  - id: m2
    match: { agent: [x], operation: transfer }
    tier: HIGH
    signature: { modalities: [motion, gaze] }
  - id: m3
    match: { agent: [x], actuator: payments }
    tier: HIGH
    signature: { modalities: [gaze, hrv] }`);
    const c = run(transfer(10, { agent: 'x' }), p);
    expect(c.decision).toBe('BLOCK');
    expect(c.decidingRule).toBe('conflict:modalities');
  });
});
