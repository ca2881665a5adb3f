import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FirewallError } from '../../src/core/errors.ts';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import { diffPolicies, governanceRequirements, isRelaxation, validateRelaxationEvidence } from '../../src/core/policy-governance/index.ts';
import { receiptQuorumOf } from '../../src/gateway/receipt-quorum-claim.ts';
import { ROOT } from '../helpers/harness.ts';
import { EVIDENCE, replaceOnce } from './helpers.ts';

const EXAMPLE = readFileSync(join(ROOT, 'examples/policy.yaml'), 'utf8');
const base = parsePolicy(EXAMPLE, 'example.yaml');
const edited = (from: string, to: string) => parsePolicy(replaceOnce(EXAMPLE, from, to), 'edited.yaml');
const codes = (from: string, to: string) => {
  const r = isRelaxation(base, edited(from, to));
  return { relaxation: r.relaxation, codes: [...new Set(r.findings.map((f) => f.code))], messages: r.findings.map((f) => f.message) };
};

describe('isRelaxation: weakenings are relaxations', () => {
  const cases: [string, string, string, string][] = [
    ['a lower tier', 'tier: HIGH\n    signature: { window: 15m, sustained: 30s, modalities: [hrv, motion] }', 'tier: MEDIUM', 'TIER_LOWERED'],
    ['a shorter cooling', 'cooling: 30s', 'cooling: 10s', 'REQUIREMENT_WEAKENED'],
    ['more accepted modalities', 'modalities: [hrv, motion] }', 'modalities: [hrv, motion, voice] }', 'REQUIREMENT_WEAKENED'],
    ['a shorter sustained duration', "signature: { window: 15m, sustained: 30s, modalities: any, max_attempts: 5,", "signature: { window: 15m, sustained: 20s, modalities: any, max_attempts: 5,", 'REQUIREMENT_WEAKENED'],
    ['more attempts', 'max_attempts: 5,', 'max_attempts: 9,', 'REQUIREMENT_WEAKENED'],
    ['a shorter signature window', "signature: { window: 15m, sustained: 30s, modalities: any, max_attempts: 5,", "signature: { window: 10m, sustained: 30s, modalities: any, max_attempts: 5,", 'REQUIREMENT_WEAKENED'],
    ['fewer primary modalities captured together', 'min_primary: 2', 'min_primary: 1', 'REQUIREMENT_WEAKENED'],
    ['a supporting modality made primary', 'primary: [motion, typing, gaze, voice]', 'primary: [hrv, motion, typing, gaze, voice]', 'REQUIREMENT_WEAKENED'],
    ['modality roles dropped', ', roles: { primary: [motion, typing, gaze, voice], min_primary: 2, one_primary: [supporting, longer, witness] }', '', 'REQUIREMENT_WEAKENED'],
    ['a lower quorum min', '{ group: platform, min: 2 }, { group: risk, min: 1 } ]\n      window: 1h', '{ group: platform, min: 1 }, { group: risk, min: 1 } ]\n      window: 1h', 'REQUIREMENT_WEAKENED'],
    ['a new member of a quorum group', 'platform: [bob, carol, dave]', 'platform: [alice, bob, carol, dave]', 'REQUIREMENT_WEAKENED'],
    ['a shorter quorum window', 'window: 2h', 'window: 30m', 'REQUIREMENT_WEAKENED'],
    ['a non-biological comparator', 'comparator: { group: compliance, biological: true }', 'comparator: { group: compliance, biological: false }', 'REQUIREMENT_WEAKENED'],
    ['a removed rule (large transfers fall back to the default signature)', '    signature: { window: 15m, sustained: 30s, modalities: [hrv, motion] }\n', '', 'REQUIREMENT_WEAKENED'],
    ['a lower unmatched tier', 'unmatched_tier: HIGH', 'unmatched_tier: MEDIUM', 'TIER_LOWERED'],
    ['a looser velocity limit', 'max_amount: { EUR: 5000 }', 'max_amount: { EUR: 50000 }', 'TIER_LOWERED'],
    ['a per-target velocity limit', 'per: owner\n', 'per: agent_target\n', 'TIER_LOWERED'],
    ['a per-agent velocity limit instead of per owner', 'per: owner\n', 'per: agent\n', 'TIER_LOWERED'],
    ['a shorter velocity window', 'per: owner\n    window: 1h', 'per: owner\n    window: 1m', 'TIER_LOWERED'],
    ['a removed vetoer', 'vetoers: [alice, dave]', 'vetoers: [alice]', 'VETOER_REMOVED'],
    ['a removed webhook', '  webhooks:\n    - { url: "http://127.0.0.1:9999/hook" }\n', '', 'WEBHOOK_REMOVED'],
    ['a changed upstream', 'upstream: http://127.0.0.1:9091', 'upstream: http://127.0.0.1:9092', 'UPSTREAM_CHANGED'],
    ['a new actuator', 'actuators:\n', 'actuators:\n  mail:\n    upstream: http://127.0.0.1:9093\n', 'ACTUATOR_ADDED'],
    ['a changed proxy route', 'operation: delete_cluster, target: params.name, reversibility: irreversible', 'operation: delete_cluster, target: params.name, reversibility: partially_reversible', 'PROXY_CHANGED'],
  ];
  for (const [what, from, to, code] of cases) {
    it(`${what} → ${code}`, () => {
      const r = codes(from, to);
      expect(r.relaxation).toBe(true);
      expect(r.codes).toContain(code);
    });
  }

  it('a weaker defaults.quorum is a relaxation even where no action uses it (it governs future relaxations)', () => {
    // No action of this policy is ever CRITICAL: defaults.quorum only guards changes to the policy.
    const text = `
version: 1
name: q
defaults: { quorum: { all_of: [ { group: g, min: 2 } ], window: 1h, comparator: { group: c } } }
groups: { g: [a, b, d], c: [e] }
actuators: { x: { upstream: "http://127.0.0.1:1", operations: [op] } }
rules: [ { id: r, match: { actuator: x }, tier: MEDIUM } ]
`;
    const r = isRelaxation(parsePolicy(text, 'a.yaml'), parsePolicy(text.replace('min: 2', 'min: 1'), 'b.yaml'));
    expect(r.findings.map((f) => f.code)).toEqual(['GOVERNANCE_WEAKENED']);
    expect(r.findings[0]!.message).toContain('the quorum for future relaxations is weaker');
  });

  it('names where and what: the action class, the tier change, the scenario', () => {
    const r = codes('max_amount: { EUR: 5000 }', 'max_amount: { EUR: 50000 }');
    expect(r.messages.join('\n')).toMatch(/payments\/transfer .* when velocity transfer-burst escalates to HIGH \(no equally strict velocity rule in the new policy\): tier HIGH → MEDIUM/);
  });

  it('compares quorums by people, not group names: a renamed group with the same members is not weaker, splitting an organisation is', () => {
    const renamed = replaceOnce(replaceOnce(replaceOnce(EXAMPLE, 'risk: [dave]', 'riskteam: [dave]'), '{ group: risk, min: 1 } ]\n      window: 1h', '{ group: riskteam, min: 1 } ]\n      window: 1h'), '{ group: risk, min: 1 } ]\n      window: 2h', '{ group: riskteam, min: 1 } ]\n      window: 2h');
    expect(isRelaxation(base, parsePolicy(renamed, 'r.yaml')).findings).toEqual([]);
    const distinct = replaceOnce(EXAMPLE, '{ group: platform, min: 2 }, { group: risk, min: 1 } ]\n      window: 1h\n', '{ group: platform, min: 1 }, { group: risk, min: 1 } ]\n      window: 1h\n      distinct_organisations: true\n');
    const orgs = (o: string) => parsePolicy(replaceOnce(distinct, 'notify:', `${o}\nnotify:`), 'o.yaml');
    const one = orgs('organisations: { acme: [bob, carol], audit: [dave, erin] }');
    const split = orgs('organisations: { acme: [bob], acme2: [carol], audit: [dave, erin] }');
    const r = isRelaxation(one, split);
    expect(r.relaxation).toBe(true);
    expect(r.findings.map((f) => f.message).join('\n')).toContain("bob and carol were one organisation ('acme') and are now two");
    expect(isRelaxation(split, one).relaxation).toBe(false);
  });

  it('a Branch Card lifting an action to HIGH is part of the space: weaker HIGH defaults show even where no rule reaches HIGH', () => {
    const p = `
version: 1
name: t
defaults: { unmatched_tier: MEDIUM, signature: { sustained: 40s } }
actuators: { x: { upstream: "http://127.0.0.1:1", operations: [op] } }
rules:
  - { id: all-irreversible, match: { reversibility: irreversible }, tier: CRITICAL, signature: { sustained: 60s }, quorum: { all_of: [ { group: g, min: 1 } ], window: 1h, comparator: { group: c } } }
groups: { g: [a], c: [b] }
`;
    const a = parsePolicy(p, 'a.yaml');
    const b = parsePolicy(p.replace('sustained: 40s', 'sustained: 35s'), 'b.yaml');
    const r = isRelaxation(a, b);
    expect(r.relaxation).toBe(true);
    expect(r.findings.some((f) => f.message.includes('with a Branch Card asking for staging'))).toBe(true);
  });

  it('fails closed when the action space is too large to compare', () => {
    const r = isRelaxation(base, edited('cooling: 30s', 'cooling: 40s'), { maxCells: 10 });
    expect(r).toMatchObject({ relaxation: true, findings: [{ code: 'ANALYSIS_INCOMPLETE' }] });
  });
});

describe('isRelaxation: tightenings and neutral edits are not', () => {
  const cases: [string, string, string][] = [
    ['a longer cooling', 'cooling: 30s', 'cooling: 60s'],
    ['a higher tier', 'tier: MEDIUM\n    cooling: 30s', 'tier: HIGH'],
    ['a stricter threshold that moves actions up', 'lt: 1000', 'lt: 500'],
    ['a threshold change another rule overrides', 'lt: 1000', 'lt: 2000'],
    ['a biological comparator', 'comparator: { group: compliance, biological: false }', 'comparator: { group: compliance, biological: true }'],
    ['a longer quorum window', 'window: 1h', 'window: 3h'],
    ['a tighter velocity limit', 'max_count: 20', 'max_count: 10'],
    ['an added vetoer', 'vetoers: [alice, dave]', 'vetoers: [alice, bob, dave]'],
    ['a new name', 'name: example-bank', 'name: example-bank-v2'],
    ['a new reason text', 'reason: Reading a balance changes nothing.', 'reason: Reads are harmless.'],
    ['comments and formatting', '# --- LOW: reads change nothing ---', '# reads'],
  ];
  for (const [what, from, to] of cases) {
    it(what, () => {
      const next = edited(from, to);
      const r = isRelaxation(base, next);
      expect(r.findings).toEqual([]);
      expect(r.relaxation).toBe(false);
    });
  }

  it('a removed group member', () => {
    const wider = edited('platform: [bob, carol, dave]', 'platform: [alice, bob, carol, dave]');
    expect(isRelaxation(wider, base).findings).toEqual([]);
  });

  it('a removed actuator (with its rules): its actions are refused from then on', () => {
    const infraRules = /^ {2}- id: (status-reads|scale-deployment|delete-cluster|rotate-root-ca)\n(?: {4}.*\n)+/gm;
    const withoutInfra = EXAMPLE.replace(infraRules, '').replace(/^ {2}infra:\n(?: {4}.*\n)+/m, '');
    expect(withoutInfra).not.toContain('infra');
    const r = isRelaxation(base, parsePolicy(withoutInfra, 'no-infra.yaml'));
    expect(r.findings).toEqual([]);
  });
});

describe('governance requirements: the strictest quorum of a policy', () => {
  it('combines every CRITICAL rule (and defaults.quorum)', () => {
    const g = governanceRequirements(base)!;
    expect(g.quorum.allOf).toEqual([
      { group: 'platform', min: 2, members: ['bob', 'carol', 'dave'] },
      { group: 'risk', min: 1, members: ['dave'] },
    ]);
    expect(g.quorum.comparators).toEqual([{ group: 'compliance', min: 1, biological: true, members: ['erin'] }]);
    expect(g.quorum.windowMs).toBe(2 * 3_600_000);
    expect(g.signature.sustainedMs).toBe(45_000);
    expect(receiptQuorumOf(g.quorum)).toEqual({ all_of: [{ group: 'platform', min: 2 }, { group: 'risk', min: 1 }], comparator: 'compliance' });
  });

  it('is undefined for a policy without any quorum', () => {
    const p = parsePolicy('version: 1\nname: q\nactuators: { x: { upstream: "http://127.0.0.1:1" } }\n', 'q.yaml');
    expect(governanceRequirements(p)).toBeUndefined();
  });
});

describe('relaxation evidence (seed §VI.5)', () => {
  it('accepts the four criteria', () => {
    expect(validateRelaxationEvidence(EVIDENCE)).toEqual(EVIDENCE);
  });

  it('names every missing or wrong field', () => {
    const errorsOf = (v: unknown) => {
      try {
        validateRelaxationEvidence(v);
      } catch (e) {
        expect(e).toBeInstanceOf(FirewallError);
        return ((e as FirewallError).detail?.['errors'] as { field: string; message: string }[]).map((x) => `${x.field}: ${x.message}`);
      }
      throw new Error('expected a refusal');
    };
    expect(errorsOf(undefined)).toEqual(['relaxationEvidence: missing: a relaxation must carry the four relaxation criteria']);
    const { institutionalMonitoring: _m, ...three } = EVIDENCE;
    expect(errorsOf(three)).toEqual(["relaxationEvidence.institutionalMonitoring: missing required field 'institutionalMonitoring'"]);
    expect(errorsOf({ ...EVIDENCE, transparency: { ...EVIDENCE.transparency, tier: 'T2' } })[0]).toContain('relaxationEvidence.transparency.tier: must be one of T3, T4, T5');
    expect(errorsOf({ ...EVIDENCE, irreversibility: { ...EVIDENCE.irreversibility, category: 3 } })[0]).toContain('relaxationEvidence.irreversibility.category: must be one of 1, 2');
    expect(errorsOf({ ...EVIDENCE, calibration: { statement: ' ', evidence: 'x' } })[0]).toContain('relaxationEvidence.calibration.statement');
    expect(errorsOf({ ...EVIDENCE, extra: 1 })[0]).toContain("unknown field 'extra'");
  });
});

describe('diff', () => {
  it('matches rules by id and reports moves, changes, additions and removals', () => {
    const moved = parsePolicy(
      replaceOnce(
        replaceOnce(EXAMPLE, '  - id: balance-reads\n    match: { actuator: payments, operation: get_balance }\n    tier: LOW\n    reason: Reading a balance changes nothing.\n', ''),
        '  - id: large-transfer',
        '  - id: balance-reads\n    match: { actuator: payments, operation: get_balance }\n    tier: LOW\n    reason: Reading a balance changes nothing.\n  - id: large-transfer',
      ).replace('cooling: 30s', 'cooling: 45s'),
      'm.yaml',
    );
    const d = diffPolicies(base, moved);
    expect(d).toContainEqual({ op: 'changed', path: 'rules[id=scale-deployment].coolingMs', from: 30_000, to: 45_000 });
    expect(d.filter((c) => c.path.endsWith('.position')).length).toBeGreaterThan(0);
    expect(d.some((c) => c.op === 'added' || c.op === 'removed')).toBe(false);
  });
});
