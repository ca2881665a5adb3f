import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogAppender } from '../../src/gateway/log/appender.ts';
import { SqliteStore } from '../../src/adapters/store/sqlite-store.ts';
import { actionDigest } from '../../src/core/action/digest.ts';
import { classify } from '../../src/core/policy/classify.ts';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import { VELOCITY_SCOPES, type VelocityScope } from '../../src/core/policy/types.ts';
import { velocityQueries } from '../../src/core/policy/velocity.ts';
import type { ActionRecord } from '../../src/gateway/action-record.ts';
import { BASE_POLICY, transfer } from './helpers.ts';

/**
 * No split of an amount over agents, owners, organisations, targets or currency spellings gets a
 * transfer under the velocity limit of a scope that counts them together. Totals come from the
 * real SQLite store (its velocity query and its currency normalisation), classification from the
 * policy engine, as in the gateway (accept-action.ts).
 */
const HOUR = 3_600_000;
let dir: string;
let store: SqliteStore;
let run = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'af-velocity-scopes-'));
  store = new SqliteStore({ path: join(dir, 'v.db'), audit: new LogAppender() });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const policies = new Map(VELOCITY_SCOPES.map((per) => [per, parsePolicy(BASE_POLICY.replace('per: agent\n', `per: ${per}\n`), `${per}.yaml`)]));

/** What the scope holds fixed; every other dimension is free to vary across the parts. */
const FIXED: Record<VelocityScope, { agent: boolean; owner: boolean; organisation: boolean; target: boolean }> = {
  agent: { agent: true, owner: true, organisation: true, target: false },
  agent_target: { agent: true, owner: true, organisation: true, target: true },
  owner: { agent: false, owner: true, organisation: false, target: false },
  organisation: { agent: false, owner: false, organisation: true, target: false },
  target: { agent: false, owner: false, organisation: false, target: true },
  global: { agent: false, owner: false, organisation: false, target: false },
};

const partArb = fc.record({
  amount: fc.integer({ min: 600, max: 999 }),
  agent: fc.nat(3),
  owner: fc.nat(2),
  organisation: fc.nat(2),
  target: fc.nat(4),
  currency: fc.constantFrom('EUR', 'eur', 'Eur', 'eUR'),
});

describe('velocity scopes (property)', () => {
  it('a split over what a scope counts together escalates exactly when its running total passes the limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...VELOCITY_SCOPES), fc.array(partArb, { minLength: 6, maxLength: 10 }), async (per, parts) => {
        const policy = policies.get(per)!;
        // Each run lives in its own hour, so no window sees another run's actions.
        const t0 = Date.UTC(2026, 0, 1) + ++run * 3 * HOUR;
        const f = FIXED[per];
        let running = 0;
        for (const [i, p] of parts.entries()) {
          // An agent has one owner and one organisation: fixing the agent fixes them too.
          const owner = `own-${run}-${f.owner ? 0 : p.owner}`;
          const organisation = `org-${run}-${f.organisation ? 0 : p.organisation}`;
          const agent = f.agent ? `ag-${run}-0` : `ag-${run}-${p.agent}-${owner}-${organisation}`;
          const principal = { owner: f.agent ? `own-${run}-0` : owner, organisation: f.agent ? `org-${run}-0` : organisation };
          const d = transfer(p.amount, { agent, target: `payee-${f.target ? 0 : p.target}`, currency: p.currency });
          const now = t0 + i * 1000;
          const totals = await store.tx((tx) => tx.velocityTotals(velocityQueries(policy, d, now, principal)));
          const c = classify(policy, d, { velocity: totals });
          running += p.amount;
          if (running > 5000) {
            expect(c.tier, `part ${i} (${per}): running total ${running}`).toBe('HIGH');
            expect(c.decidingRule).toBe('velocity:transfer-burst');
          } else {
            expect(c.tier, `part ${i} (${per}): running total ${running}`).toBe('MEDIUM');
          }
          const record = {
            id: `act_${run}_${i}`,
            agent,
            principal,
            idempotencyKey: `k${i}`,
            status: 'cooling',
            digest: actionDigest(d),
            descriptor: d,
            classification: { tier: c.tier, decision: c.decision, rule: c.decidingRule, reasons: c.reasons, matchedRules: c.matchedRules, policyHash: c.policyHash, requirements: {} },
            forward: { method: 'POST', path: '/transfers', contentType: 'application/json', bodyB64: '' },
            createdAt: now,
            updatedAt: now,
            dueAt: null,
            approvals: [],
            dispatchAttempts: 0,
          } satisfies ActionRecord;
          await store.tx((tx) => tx.insertAction(record));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('counts neither outside the scope nor outside the window', async () => {
    const policy = policies.get('owner')!;
    const t0 = Date.UTC(2027, 0, 1);
    const insert = (id: string, agent: string, owner: string, at: number, amount: number) =>
      store.tx((tx) =>
        tx.insertAction({
          id, agent, principal: { owner, organisation: owner }, idempotencyKey: id, status: 'cooling', digest: 'd', descriptor: transfer(amount, { agent }),
          classification: { tier: 'MEDIUM', decision: 'ALLOW', rule: 'r', reasons: [], matchedRules: [], policyHash: 'h', requirements: {} },
          forward: { method: 'POST', path: '/transfers', contentType: null, bodyB64: '' }, createdAt: at, updatedAt: at, dueAt: null, approvals: [], dispatchAttempts: 0,
        }),
      );
    await insert('x1', 'other-agent', 'someone-else', t0, 4900);
    await insert('x2', 'mine-old', 'me', t0 - 2 * HOUR, 4900);
    const d = transfer(900, { agent: 'mine' });
    const totals = await store.tx((tx) => tx.velocityTotals(velocityQueries(policy, d, t0, { owner: 'me', organisation: 'me' })));
    expect(totals).toEqual([{ ruleId: 'transfer-burst', count: 0, amount: 0 }]);
    expect(classify(policy, d, { velocity: totals }).tier).toBe('MEDIUM');
  });
});
