import { describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../src/adapters/store/sqlite-store.ts';
import { velocityArgs, velocityWindowSql } from '../../src/adapters/store/sqlite-velocity.ts';
import { systemClock } from '../../src/core/clock.ts';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import { VELOCITY_SCOPES, type VelocityQuery, type VelocityScope } from '../../src/core/policy/types.ts';
import { velocityQueries, velocityScopesOf } from '../../src/core/policy/velocity.ts';
import type { ActionDescriptor } from '../../src/core/action/descriptor.ts';
import { PolicyGovernance } from '../../src/gateway/policy-governance.ts';
import { tempSqliteStores } from '../helpers/temp-sqlite-store.ts';

const open = tempSqliteStores('af-velocity-index-');

const velocityIndexes = (store: SqliteStore): string[] =>
  (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'actions_velocity%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

/** A policy with one transfer rule and a velocity rule per scope in `scopes`. */
function policyText(scopes: readonly VelocityScope[]): string {
  const velocity = scopes.map((per) => `  - { id: burst-${per.replace('_', '-')}, match: { actuator: pay, operation: transfer }, per: ${per}, window: 1h, max_amount: { EUR: 5000 }, escalate_to: HIGH }`).join('\n');
  return `version: 1
name: velocity-indexes
actuators:
  pay: { upstream: "http://127.0.0.1:9/" }
rules:
  - { id: transfers, match: { actuator: pay, operation: transfer }, tier: MEDIUM, cooling: 1s }
${scopes.length > 0 ? `velocity:\n${velocity}\n` : ''}`;
}

const descriptor: ActionDescriptor = { agent: 'bot', actuator: 'pay', operation: 'transfer', target: 'DE89', amount: 10, currency: 'EUR', parameters: {}, reversibility: 'partially_reversible' } as ActionDescriptor;

/** The window query the store runs for `scope`, as the policy engine asks it. */
function queryFor(scope: VelocityScope): VelocityQuery {
  const [q] = velocityQueries(parsePolicy(policyText([scope]), 'p.yaml'), descriptor, 1_000_000, { owner: 'olga', organisation: 'acme' });
  return q!;
}

function plan(store: SqliteStore, q: VelocityQuery): string {
  return (store.db.prepare(`EXPLAIN QUERY PLAN ${velocityWindowSql(q)}`).all(...velocityArgs(q)) as { detail: string }[]).map((r) => r.detail).join('; ');
}

describe('velocity indexes follow the scopes the active policy counts', () => {
  it('keeps exactly the index each counted window reads, and none for a policy that counts none', async () => {
    const store = open();
    await store.indexVelocityScopes([...VELOCITY_SCOPES]);
    expect(velocityIndexes(store)).toEqual(['actions_velocity', 'actions_velocity_actuator', 'actions_velocity_organisation', 'actions_velocity_owner']);
    for (const scope of VELOCITY_SCOPES) {
      await store.indexVelocityScopes([scope]);
      const expected = { agent: 'actions_velocity', agent_target: 'actions_velocity', owner: 'actions_velocity_owner', organisation: 'actions_velocity_organisation', target: 'actions_velocity_actuator', global: 'actions_velocity_actuator' }[scope];
      expect(velocityIndexes(store), scope).toEqual([expected]);
      // The window of that scope is read through its index, not by scanning the table.
      expect(plan(store, queryFor(scope)), scope).toContain(`USING INDEX ${expected}`);
    }
    await store.indexVelocityScopes([]);
    expect(velocityIndexes(store)).toEqual([]);
    expect(plan(store, queryFor('owner'))).not.toContain('actions_velocity');
  });

  it('counts a window exactly with or without its index', async () => {
    const store = open();
    const base = { agent: 'bot', idempotencyKey: '', status: 'cooling', digest: 'd', classification: {}, forward: {}, dueAt: null, approvals: [], dispatchAttempts: 0 };
    await store.tx(async (tx) => {
      for (const [i, amount] of [400, 700, 900].entries()) {
        await tx.insertAction({ ...base, id: `a${i}`, idempotencyKey: `k${i}`, principal: { owner: 'olga', organisation: 'acme' }, descriptor: { ...descriptor, amount }, createdAt: 1_000_000 + i, updatedAt: 1_000_000 + i } as never);
      }
    });
    const q = { ...queryFor('owner'), sinceMs: 0 };
    const withIndex = await (async () => {
      await store.indexVelocityScopes(['owner']);
      return store.tx((tx) => tx.velocityTotals([q]));
    })();
    await store.indexVelocityScopes([]);
    const without = await store.tx((tx) => tx.velocityTotals([q]));
    expect(withIndex).toEqual([{ ruleId: q.ruleId, count: 3, amount: 2000 }]);
    expect(without).toEqual(withIndex);
  });

  it('governance indexes the active policy at start-up and again when an activation counts another scope', async () => {
    const store = open();
    const log = { warn: () => {}, error: () => {} };
    const initial = parsePolicy(policyText([]), 'initial.yaml');
    expect(velocityScopesOf(initial)).toEqual([]);
    const gov = await PolicyGovernance.open({ store, clock: systemClock, initial, source: policyText([]), log });
    expect(velocityIndexes(store)).toEqual([]);
    // A new velocity window only tightens the policy: it applies at once, and its index with it.
    const proposal = await gov.propose({ text: policyText(['owner']), proposer: { kind: 'file', id: 'operator' } });
    expect(proposal.status).toBe('applied');
    expect(velocityIndexes(store)).toEqual(['actions_velocity_owner']);
  });
});
