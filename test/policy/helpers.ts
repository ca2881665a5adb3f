import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionDescriptor } from '../../src/core/action/descriptor.ts';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import type { Policy, VelocityQuery, VelocityTotal } from '../../src/core/policy/types.ts';

/** The brief's example policy, extended with an infra actuator so every feature is reachable. */
export const BASE_POLICY = `
version: 1
name: example-bank
defaults:
  unmatched_tier: HIGH
  cooling: 30s
  signature: { window: 15m, sustained: 30s, modalities: any, max_attempts: 5 }
groups:
  treasury: [alice, bob, carol]
  risk: [dave]
  compliance: [erin]
notify: { vetoers: [alice], webhooks: [ { url: "http://127.0.0.1:9999/hook" } ] }
actuators:
  payments:
    upstream: http://127.0.0.1:9090
    proxy:
      - { method: POST, path: /transfers, operation: transfer, target: body.payee, amount: body.amount, currency: body.currency, reversibility: partially_reversible }
      - { method: GET, path: "/balances/:account", operation: get_balance, target: params.account, reversibility: fully_reversible }
  infra:
    upstream: http://127.0.0.1:9091
    operations: [delete_cluster, read_status, scale]
rules:
  - id: reads
    match: { actuator: payments, operation: [get_balance] }
    tier: LOW
    reason: Reading a balance changes nothing.
  - id: small-transfer
    match: { actuator: payments, operation: transfer, amount: { currency: EUR, lt: 1000 } }
    tier: MEDIUM
    cooling: 10m
  - id: large-transfer
    match: { actuator: payments, operation: transfer, amount: { currency: EUR, gte: 1000 } }
    tier: HIGH
    signature: { window: 15m, sustained: 30s, modalities: [hrv, motion] }
  - id: prod-change
    match: { actuator: infra, operation: [delete_cluster], agent: [deploy-bot] }
    tier: CRITICAL
    quorum:
      all_of: [ { group: treasury, min: 2 }, { group: risk, min: 1 } ]
      distinct_organisations: false
      window: 1h
      comparator: { group: compliance, biological: false }
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

export function basePolicy(): Policy {
  return parsePolicy(BASE_POLICY, 'base.yaml');
}

export function descriptor(over: Partial<ActionDescriptor> = {}): ActionDescriptor {
  return {
    agent: 'agent-1',
    actuator: 'payments',
    operation: 'transfer',
    target: 'payee-1',
    parameters: {},
    reversibility: 'partially_reversible',
    request: { method: 'POST', path: '/transfers', bodySha256: '' },
    ...over,
  };
}

export function transfer(amount: number, over: Partial<ActionDescriptor> = {}): ActionDescriptor {
  return descriptor({ amount, currency: 'EUR', ...over });
}

/** Answers velocity queries with "no earlier actions". */
export function zeroTotals(queries: readonly VelocityQuery[]): VelocityTotal[] {
  return queries.map((q) => ({ ruleId: q.ruleId, count: 0, amount: 0 }));
}

let dir: string | undefined;
export function writeTemp(name: string, text: string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'af-policy-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * What a gateway store does: remembers accepted actions and answers velocity queries with the
 * totals of those at or after `sinceMs`.
 */
export class MemoryVelocityStore {
  readonly #accepted: { at: number; d: ActionDescriptor }[] = [];

  record(d: ActionDescriptor, at: number): void {
    this.#accepted.push({ at, d });
  }

  answer(queries: readonly VelocityQuery[]): VelocityTotal[] {
    return queries.map((q) => {
      let count = 0;
      let amount = 0;
      for (const { at, d } of this.#accepted) {
        if (at < q.sinceMs || d.actuator !== q.actuator || !q.operations.includes(d.operation)) continue;
        // Without a registered owner or organisation an agent is its own (velocityPrincipalOf).
        if ((q.agent !== undefined && d.agent !== q.agent) || (q.owner !== undefined && d.agent !== q.owner) || (q.organisation !== undefined && d.agent !== q.organisation)) continue;
        if (q.target !== undefined && d.target !== q.target) continue;
        count++;
        if (q.currency !== undefined && d.currency?.toUpperCase() === q.currency && d.amount !== undefined) amount += d.amount;
      }
      return { ruleId: q.ruleId, count, amount };
    });
  }
}
