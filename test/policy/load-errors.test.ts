import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../src/adapters/policy-file.ts';
import { FirewallError, isFirewallError } from '../../src/core/errors.ts';
import type { PolicyIssue } from '../../src/core/policy/types.ts';
import { BASE_POLICY, writeTemp } from './helpers.ts';

async function loadErrors(name: string, text: string): Promise<{ file: string; errors: PolicyIssue[] }> {
  const file = writeTemp(name, text);
  try {
    await loadPolicyFile(file);
  } catch (e) {
    expect(isFirewallError(e, 'POLICY_INVALID')).toBe(true);
    const fe = e as FirewallError;
    expect(fe.message).toContain(file);
    return { file, errors: fe.detail?.errors as PolicyIssue[] };
  }
  throw new Error(`${name} loaded but should not have`);
}

/** Line (1-based) of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`fixture has no line containing ${needle}`);
  return i + 1;
}

function expectError(errors: PolicyIssue[], file: string, field: string, line: number, message: RegExp): void {
  const hit = errors.find((e) => e.field === field);
  expect(hit, `no error for ${field} in ${JSON.stringify(errors, null, 1)}`).toBeDefined();
  expect(hit).toMatchObject({ file, line });
  expect(hit?.column).toBeGreaterThan(0);
  expect(hit?.message).toMatch(message);
}

describe('policy loading errors name the file, the line and the field', () => {
  it('refuses unmatched_tier LOW', async () => {
    const text = BASE_POLICY.replace('unmatched_tier: HIGH', 'unmatched_tier: LOW');
    const { file, errors } = await loadErrors('low.yaml', text);
    expect(errors).toHaveLength(1);
    expectError(errors, file, 'defaults.unmatched_tier', lineOf(text, 'unmatched_tier'), /MEDIUM, HIGH, CRITICAL.*LOW is not allowed/);
    expect(errors[0]?.column).toBe(19);
  });

  it('reports every schema error at once: unknown fields, wrong types, bad enums, bad durations', async () => {
    const text = `version: 1
name: broken
defaults:
  cooling: 30
  signature: { sustained: 30 seconds, modalities: [hrv, smell] }
actuators:
  payments:
    upstream: http://127.0.0.1:9090
    proxx: []
rules:
  - id: r1
    match: { actuator: payments, operation: transfer, amount: { currency: eur, lt: 10 } }
    tier: MEDIUM
    quroum: {}
  - id: "bad id"
    match: { reversibility: [maybe] }
    tier: HUGE
`;
    const { file, errors } = await loadErrors('schema.yaml', text);
    expectError(errors, file, 'defaults.cooling', 4, /must be a string, not a number/);
    expectError(errors, file, 'defaults.signature.sustained', 5, /duration such as/);
    expectError(errors, file, 'defaults.signature.modalities[1]', 5, /hrv, motion, typing, gaze, voice, eda/);
    expectError(errors, file, 'actuators.payments.proxx', 9, /unknown field 'proxx'/);
    expectError(errors, file, 'rules[0].quroum', 14, /unknown field 'quroum'.*quorum/);
    expectError(errors, file, 'rules[0].match.amount.currency', 12, /ISO 4217/);
    expectError(errors, file, 'rules[1].id', 15, /letters, digits/);
    expectError(errors, file, 'rules[1].match.reversibility[0]', 16, /fully_reversible/);
    expectError(errors, file, 'rules[1].tier', 17, /LOW, MEDIUM, HIGH, CRITICAL/);
    // sorted by position
    const lines = errors.map((e) => e.line);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });

  it('points an unknown field at its key and a missing field at the mapping that lacks it', async () => {
    const text = `version: 1
name: missing
actuators:
  payments:
    proxy: []
`;
    const { file, errors } = await loadErrors('missing.yaml', text);
    expectError(errors, file, 'actuators.payments.upstream', 4, /missing required field 'upstream'/);
  });

  it('reports every semantic error at once', async () => {
    const text = `version: 1
name: semantic
groups:
  treasury: [alice, bob]
  risk: [dave]
notify: { vetoers: [zed] }
actuators:
  payments:
    upstream: http://127.0.0.1:9090
    proxy:
      - { method: POST, path: /transfers, operation: transfer, target: body.payee, amount: body.amount, reversibility: irreversible }
      - { method: GET, path: "/balances/:acct", operation: get_balance, target: params.account, reversibility: fully_reversible }
rules:
  - id: r1
    match: { actuator: payments, operation: transfer, amount: { lt: 10 } }
    tier: LOW
    cooling: 10m
  - id: r1
    match: { actuator: paymentz }
    tier: HIGH
    quorum:
      all_of: [ { group: treasury, min: 3 }, { group: legal, min: 1 } ]
      window: 1h
      comparator: { group: compliance }
  - id: r3
    match: { actuator: payments, operation: trasnfer, amount: { currency: EUR, gte: 100, lt: 100 } }
    tier: CRITICAL
  - id: r4
    match: { actuator: payments, operation: transfer }
    tier: MEDIUM
    signature: { sustained: 20m }
velocity:
  - id: v
    match: { actuator: payments, operation: transfer }
    per: agent
    window: 1h
    escalate_to: CRITICAL
`;
    const { file, errors } = await loadErrors('semantic.yaml', text);
    const at = (needle: string) => lineOf(text, needle);
    expectError(errors, file, 'notify.vetoers[0]', at('vetoers'), /'zed' is not a member of any group/);
    expectError(errors, file, 'actuators.payments.proxy[0].amount', at('path: /transfers'), /amount and currency go together/);
    expectError(errors, file, 'actuators.payments.proxy[1].target', at('balances'), /no parameter ':account'/);
    expectError(errors, file, 'rules[0].match.amount', at('amount: { lt: 10 }'), /needs a currency/);
    expectError(errors, file, 'rules[0].cooling', at('cooling: 10m'), /cooling applies only to MEDIUM.*LOW/);
    expectError(errors, file, 'rules[1].id', 18, /duplicate rule id 'r1'/);
    expectError(errors, file, 'rules[1].match.actuator', at('paymentz'), /unknown actuator 'paymentz'/);
    expectError(errors, file, 'rules[1].quorum', at('quorum:'), /quorum applies only to CRITICAL/);
    expectError(errors, file, 'rules[1].quorum.all_of[0].min', at('all_of'), /min 3 is larger than group 'treasury', which has 2/);
    expectError(errors, file, 'rules[1].quorum.all_of[1].group', at('all_of'), /unknown group 'legal'/);
    expectError(errors, file, 'rules[1].quorum.comparator.group', at('comparator'), /unknown group 'compliance'/);
    expectError(errors, file, 'rules[2].match.operation', at('trasnfer'), /no operation 'trasnfer'/);
    expectError(errors, file, 'rules[2].match.amount', at('trasnfer'), /gte 100 and lt 100.*never match/);
    expectError(errors, file, 'rules[2].tier', at('tier: CRITICAL'), /CRITICAL but has no quorum/);
    expectError(errors, file, 'rules[3].signature', at('sustained: 20m'), /only to HIGH and CRITICAL/);
    expectError(errors, file, 'velocity[0]', at('- id: v'), /needs max_amount, max_count or both/);
    expectError(errors, file, 'velocity[0].escalate_to', at('escalate_to'), /needs defaults.quorum/);
  });

  it('checks quorum satisfiability, organisations, signature shape and modality conflicts', async () => {
    const text = `version: 1
name: quorum
defaults:
  signature: { window: 1m, sustained: 2m }
groups:
  a: [p1, p2]
  b: [p2]
  c: [p3]
organisations:
  org1: [p1, p2]
  org2: [p2]
actuators:
  x: { upstream: "http://127.0.0.1:1", operations: [op] }
rules:
  - id: crit
    match: { actuator: x }
    tier: CRITICAL
    quorum:
      all_of: [ { group: a, min: 2 }, { group: b, min: 1 } ]
      distinct_organisations: true
      window: 1h
      comparator: { group: c, min: 2 }
  - id: h1
    match: { actuator: x, operation: op }
    tier: HIGH
    signature: { window: 10m, sustained: 1m, modalities: [hrv] }
  - id: h2
    match: { actuator: x }
    tier: HIGH
    signature: { window: 10m, sustained: 1m, modalities: [gaze] }
`;
    const { file, errors } = await loadErrors('quorum.yaml', text);
    expectError(errors, file, 'defaults.signature.sustained', 4, /longer than the signature window/);
    expectError(errors, file, 'organisations.org2[0]', 11, /already belongs to organisation 'org1'/);
    expectError(errors, file, 'rules[0].quorum.all_of', 19, /needs 3 distinct signers but the groups named hold only 2/);
    expectError(errors, file, 'rules[0].quorum.distinct_organisations', 20, /distinct organisations but the groups span only 1/);
    expectError(errors, file, 'rules[0].quorum.comparator.min', 22, /min 2 is larger than group 'c'/);
    expectError(errors, file, 'rules[2].signature.modalities', 30, /'h2' and rule 'h1' can match the same action at HIGH but accept no common modality/);
  });

  it('reports YAML syntax errors with their position', async () => {
    const text = 'version: 1\nname: x\nrules: [\n  - id: a\n';
    const { file, errors } = await loadErrors('syntax.yaml', text);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ file, field: '(yaml)' });
    expect(errors[0]?.line).toBeGreaterThanOrEqual(3);
  });

  it('refuses duplicate keys, which YAML would otherwise let the last one win', async () => {
    const text = BASE_POLICY.replace('  cooling: 30s\n', '  cooling: 30s\n  cooling: 1s\n');
    const { errors } = await loadErrors('dupkey.yaml', text);
    expect(errors[0]?.message).toMatch(/unique/i);
    expect(errors[0]?.line).toBe(lineOf(text, 'cooling: 1s'));
  });

  it('an unreadable file is a distinct error naming the path', async () => {
    await expect(loadPolicyFile('/nonexistent/policy.yaml')).rejects.toMatchObject({ code: 'POLICY_FILE_UNREADABLE', message: expect.stringContaining('/nonexistent/policy.yaml') });
  });

  it('the example policy loads cleanly, with no warnings', async () => {
    const p = await loadPolicyFile(new URL('../../examples/policy.yaml', import.meta.url).pathname);
    expect(p.warnings).toEqual([]);
    expect(new Set(p.rules.map((r) => r.tier))).toEqual(new Set(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']));
  });

  it('warns (without refusing) about rules the floor makes pointless and about catch-all LOW rules', async () => {
    const text = BASE_POLICY.replace('velocity:\n', `  - id: pointless
    match: { reversibility: irreversible }
    tier: LOW
  - id: catch-all
    match: {}
    tier: LOW
velocity:
`);
    const p = await loadPolicyFile(writeTemp('warn.yaml', text));
    expect(p.warnings).toHaveLength(2);
    expect(p.warnings[1]).toMatchObject({ field: 'rules[6].match', line: lineOf(text, 'match: {}') });
    expect(p.warnings[1]?.message).toMatch(/every action at LOW/);
    expect(p.warnings[0]).toMatchObject({ field: 'rules[5].tier', line: lineOf(text, 'reversibility: irreversible }') + 1 });
    expect(p.warnings[0]?.message).toMatch(/never below HIGH/);
  });

  it('velocity scopes: every documented one loads; a misspelt one and a non-ISO 4217 currency are named', async () => {
    for (const per of ['agent', 'agent_target', 'owner', 'organisation', 'target', 'global']) {
      const p = await loadPolicyFile(writeTemp(`per-${per}.yaml`, BASE_POLICY.replace('per: agent\n', `per: ${per}\n`)));
      expect(p.velocity[0]?.per).toBe(per);
    }
    const bad = BASE_POLICY.replace('per: agent\n', 'per: owners\n').replace('max_amount: { EUR: 5000 }', 'max_amount: { EUR: 5000, EUX: 10 }').replace('amount: { currency: EUR, lt: 1000 }', 'amount: { currency: ABC, lt: 1000 }');
    const { file, errors } = await loadErrors('scopes.yaml', bad);
    expectError(errors, file, 'velocity[0].per', lineOf(bad, 'per: owners'), /must be one of agent, agent_target, owner, organisation, target, global \(got "owners"\)/);
    const more = await loadErrors('currencies.yaml', bad.replace('per: owners', 'per: owner'));
    expectError(more.errors, more.file, 'velocity[0].max_amount.EUX', lineOf(bad, 'EUX'), /'EUX' is not an ISO 4217 currency code/);
    expectError(more.errors, more.file, 'rules[1].match.amount.currency', lineOf(bad, 'ABC'), /'ABC' is not an ISO 4217 currency code/);
  });
});
