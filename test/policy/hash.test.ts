import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import { BASE_POLICY } from './helpers.ts';

const hash = (text: string) => parsePolicy(text, 'h.yaml').hash;

/** The same meaning as BASE_POLICY, written differently in every way that should not matter. */
const REFORMATTED = `# comments do not count
name: "example-bank"
version: 1
groups:
  compliance:
    - erin
  treasury: [carol, alice, bob]   # member order does not matter
  risk: ['dave']
actuators:
  infra:
    operations: [scale, read_status, delete_cluster]
    upstream: "http://127.0.0.1:9091/"
  payments:
    upstream: http://127.0.0.1:9090
    proxy:
      - method: POST
        path: /transfers
        operation: transfer
        target: body.payee
        amount: body.amount
        currency: body.currency
        reversibility: partially_reversible
      - { method: GET, path: "/balances/:account", operation: get_balance, target: params.account, reversibility: fully_reversible }
notify:
  webhooks: [ { url: "http://127.0.0.1:9999/hook" } ]
  vetoers: [alice]
defaults:
  signature: { max_attempts: 5, modalities: [eda, voice, gaze, typing, motion, hrv], sustained: 30000ms, window: 900s }
  cooling: 30s
rules:
  - id: reads
    tier: LOW
    match: { operation: get_balance, actuator: payments }
    reason: "Reading a balance changes nothing."
  - id: small-transfer
    match: { actuator: payments, operation: [transfer], amount: { lt: 1000, currency: EUR } }
    tier: MEDIUM
    cooling: 600s
  - id: large-transfer
    match: { actuator: payments, operation: transfer, amount: { currency: EUR, gte: 1000.0 } }
    tier: HIGH
    signature: { modalities: [motion, hrv], window: 15m, sustained: 30s }
  - id: prod-change
    match: { actuator: infra, operation: delete_cluster, agent: deploy-bot }
    tier: CRITICAL
    quorum:
      window: 60m
      all_of: [ { group: risk, min: 1 }, { group: treasury, min: 2 } ]
      comparator: { group: compliance }
  - id: status
    match: { actuator: infra, operation: read_status }
    tier: LOW
velocity:
  - id: transfer-burst
    match: { actuator: payments, operation: transfer }
    per: agent
    window: 1h
    max_amount: { EUR: 5000 }
    max_count: 20
    escalate_to: HIGH
`;

describe('policy hash', () => {
  it('is a SHA-256 hex digest', () => {
    expect(hash(BASE_POLICY)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is stable under reformatting: order, quoting, flow/block style, comments, equivalent durations, explicit defaults', () => {
    expect(hash(REFORMATTED)).toBe(hash(BASE_POLICY));
  });

  it('changes with any change of meaning', () => {
    const base = hash(BASE_POLICY);
    const changes: [string, string][] = [
      ['cooling: 10m', 'cooling: 11m'],
      ['lt: 1000', 'lt: 1001'],
      ['tier: LOW\n    reason', 'tier: MEDIUM\n    reason'],
      ['risk: [dave]', 'risk: [dave, frank]'],
      ['max_count: 20', 'max_count: 21'],
      ['modalities: [hrv, motion]', 'modalities: [hrv]'],
      ['min: 2', 'min: 1'],
      ['Reading a balance changes nothing.', 'Reading a balance is harmless.'],
      ['unmatched_tier: HIGH', 'unmatched_tier: CRITICAL\n  quorum: { all_of: [ { group: treasury, min: 2 } ], window: 1h, comparator: { group: compliance } }'],
      ['http://127.0.0.1:9090', 'http://127.0.0.1:9092'],
    ];
    const seen = new Set([base]);
    for (const [from, to] of changes) {
      expect(BASE_POLICY.includes(from), from).toBe(true);
      const h = hash(BASE_POLICY.replace(from, to));
      expect(seen.has(h), `${from} → ${to} did not change the hash`).toBe(false);
      seen.add(h);
    }
  });

  it('rule order is meaning (it decides which rule is named on ties)', () => {
    const swapped = BASE_POLICY.replace(
      /( {2}- id: reads[\s\S]*?)( {2}- id: small-transfer[\s\S]*?)( {2}- id: large-transfer)/,
      '$2$1$3',
    );
    expect(swapped).not.toBe(BASE_POLICY);
    expect(hash(swapped)).not.toBe(hash(BASE_POLICY));
  });

  it('is exposed on the policy and excludes non-document properties', () => {
    const p = parsePolicy(BASE_POLICY, 'a.yaml');
    const q = parsePolicy(BASE_POLICY, 'other-name.yaml');
    expect(p.hash).toBe(q.hash);
    expect(JSON.parse(JSON.stringify(p)).compiled).toBeUndefined();
    expect(Object.isFrozen(p.rules[0]?.match)).toBe(true);
  });
});
