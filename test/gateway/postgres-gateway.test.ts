/**
 * Issue 16 item 2: the gateway on PostgreSQL (DATABASE_URL, a fresh database for this run), end to
 * end over real HTTP: every tier, the log verified by the offline verifier (clients/regulator), the
 * database going away mid-run, and a second gateway with its own store on the same database.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../clients/regulator/verify-bundle.ts';
import { isFirewallError, type FirewallError } from '../../src/core/errors.ts';
import { loadConfig } from '../../src/gateway/config.ts';
import { failedStart } from '../helpers/gateway-process.ts';
import { ROOT, startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { tighten } from '../governance/helpers.ts';
import { createTestPki, type TestPki } from '../log/helpers/pki.ts';
import { AttestedSigner } from '../regulator/helpers/attested-signer.ts';
import { addPrincipal, exportWith, issueToken } from '../regulator/helpers/regulator.ts';
import { runScenario, type Scenario } from '../regulator/helpers/scenario.ts';

let db: TestDatabase;
let pki: TestPki;
let h: Harness;
let s: Scenario;

beforeAll(async () => {
  db = await freshDatabase();
  pki = createTestPki();
  h = await startHarness({ signer: new AttestedSigner(pki), env: { DATABASE_URL: db.url } });
  s = await runScenario(h);
}, 60_000);
afterAll(async () => {
  await h?.close();
  pki?.dispose();
  await db?.drop();
});

async function inDatabase(url: string, sql: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

const executions = (id: string) => [...h.payments.executions, ...h.infra.executions].filter((e) => e.key === id).length;

describe('the gateway on PostgreSQL', () => {
  it('runs every tier: LOW at once, MEDIUM after cooling, HIGH once signed, each executed exactly once; vetoed and expired never', async () => {
    expect(existsSync(join(h.dir, 'gateway.db'))).toBe(false); // nothing went to SQLite
    const status = async (id: string) => ((await (await h.as('alice', 'GET', `/v1/actions/${id}`)).json()) as { status: string }).status;
    const states = { low: await status(s.low.id), medium: await status(s.medium.id), high: await status(s.high.id), vetoed: await status(s.vetoed.id), expired: await status(s.expired.id), critical: await status(s.critical.id) };
    // The rows are in PostgreSQL.
    const rows = await inDatabase(db.url, 'SELECT status, COUNT(*)::int AS n FROM actions GROUP BY status ORDER BY status');
    expect(rows).toContainEqual({ status: 'executed', n: 4 });
    expect(states).toEqual({ low: 'executed', medium: 'executed', high: 'executed', vetoed: 'vetoed', expired: 'expired', critical: 'executed' });
    expect([executions(s.low.id), executions(s.medium.id), executions(s.high.id), executions(s.critical.id)]).toEqual([1, 1, 1, 1]);
    expect([executions(s.vetoed.id), executions(s.expired.id)]).toEqual([0, 0]);
  });

  it('writes a log the offline verifier accepts in full', async () => {
    const rita = await addPrincipal(h, 'rita', ['regulator']);
    const token = (await issueToken(h, rita, { scopes: ['log:read', 'log:export'] })).access_token;
    const bundle = await exportWith(h, token);
    const report = await verifyBundle(bundle, { rootPem: pki.rootPem });
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('the database going away: not ready, requests refused with 503 problem+json, nothing executed twice; it recovers when the database returns', async () => {
    await db.admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
    await db.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
    try {
      await h.gw.ctx.readiness();
      const ready = await fetch(`${h.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { store: { ok: false } } });
      const refused = await h.as('agent', 'GET', '/proxy/payments/balances/acc-1', { headers: { 'idempotency-key': 'pg-down-1' } });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      // A read that needs the store fails closed too.
      const read = await h.as('alice', 'GET', `/v1/actions/${s.low.id}`);
      expect(read.status).toBe(503);
      expect(read.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    } finally {
      await db.admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
    }
    await waitFor(async () => ((await h.gw.ctx.readiness()).ready ? true : undefined), 10_000, 200);
    const res = await h.as('agent', 'GET', '/proxy/payments/balances/acc-1', { headers: { 'idempotency-key': 'pg-up-1' } });
    expect(res.status).toBe(200);
    expect(executions(res.headers.get('analog-firewall-action')!)).toBe(1);
    expect([executions(s.low.id), executions(s.medium.id)]).toEqual([1, 1]);
  });

  it('the database away for longer than 5 s while an action cools: the gateway is ready again only once the outage is given back to the cooling period, and logged', async () => {
    // Scaling a deployment cools for 30 s in the example policy.
    const submitted = await h.as('agent', 'POST', '/proxy/infra/deployments/web/scale', { body: { replicas: 4 }, headers: { 'idempotency-key': 'pg-outage-cool' } });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    const before = (await h.store.getAction(id))!;
    expect(before).toMatchObject({ status: 'cooling' });
    await db.admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
    await db.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
    try {
      await waitFor(async () => ((await h.gw.ctx.readiness()).ready ? undefined : true), 5_000, 100);
      await new Promise((r) => setTimeout(r, 6_000));
    } finally {
      await db.admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
    }
    await waitFor(async () => ((await h.gw.ctx.readiness()).ready ? true : undefined), 10_000, 200);
    // Moved once, later by the time nobody marked the store (at least the 6 s it was away), and logged so.
    const extended = (await h.store.log.query({ type: 'action.cooling_extended', terms: [], limit: 10 })).map((e) => e.entry as { actionId: string; notBefore: number; outageMs: number });
    const mine = extended.filter((e) => e.actionId === id);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.outageMs).toBeGreaterThanOrEqual(6_000);
    const after = (await h.store.getAction(id))!;
    expect(after).toMatchObject({ status: 'cooling', dueAt: before.dueAt! + mine[0]!.outageMs });
    expect(mine[0]!.notBefore).toBe(after.dueAt);
    expect(executions(id)).toBe(0);
    // Not left cooling for the rest of the file: alice vetoes it.
    const vetoed = await h.as('alice', 'POST', `/v1/actions/${id}/veto`, { body: { reason: 'outage test' } });
    expect(vetoed.status).toBe(200);
  }, 40_000);

  it('a second gateway with its own store on the same database: a cooling action is executed exactly once, and the log they write verifies', async () => {
    const b = await startHarness({ replicaOf: h, ownStore: true, env: { DATABASE_URL: db.url } });
    try {
      // An agent of its own owner: the scenario's large transfers are in the other owner's velocity window.
      const agent = await h.addAgent('agent-two', 'tess');
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const via = i % 2 ? b : h;
        const res = await via.as(agent, 'POST', '/proxy/payments/transfers', { body: { payee: `DE9${i}`, amount: 60 + i, currency: 'EUR' }, headers: { 'idempotency-key': `pg-two-${i}` } });
        expect(res.status).toBe(202);
        expect(await res.json()).toMatchObject({ status: 'cooling', tier: 'MEDIUM' });
        ids.push(res.headers.get('analog-firewall-action')!);
      }
      // Both gateways' schedulers see every cooling action come due; exactly one dispatch each wins.
      for (const id of ids) await waitFor(async () => (((await (await b.as('alice', 'GET', `/v1/actions/${id}`)).json()) as { status: string }).status === 'executed' ? true : undefined), 15_000);
      await new Promise((r) => setTimeout(r, 500)); // a late second dispatch would show here
      expect(ids.map(executions)).toEqual([1, 1, 1, 1]);
      const rita = await addPrincipal(b, 'rita-2', ['regulator']);
      const token = (await issueToken(b, rita, { scopes: ['log:read', 'log:export'] })).access_token;
      await b.log.checkpoint();
      const report = await verifyBundle(await exportWith(h, token), { rootPem: pki.rootPem });
      expect(report.findings).toEqual([]);
      expect(report.ok).toBe(true);
    } finally {
      await b.close();
    }
  });

  it("a second gateway applies the other's policy activation within a second, and decides nothing under an activation it cannot install", async () => {
    const b = await startHarness({ replicaOf: h, ownStore: true, env: { DATABASE_URL: db.url } });
    try {
      const before = h.governance.holder.policy().hash;
      expect(b.governance.holder.policy().hash).toBe(before);
      // A tightening proposed through the first gateway applies there at once...
      const text = readFileSync(join(h.dir, 'policy.yaml'), 'utf8');
      const proposal = await h.governance.propose({ text: tighten(text), proposer: { kind: 'file', id: 'operator' } });
      expect(proposal.status).toBe('applied');
      const after = h.governance.holder.policy().hash;
      expect(after).not.toBe(before);
      // ...and the second gateway decides under it once its watch has read the activation.
      await waitFor(() => (b.governance.holder.policy().hash === after ? true : undefined), 5_000);
      const agent = await h.addAgent('agent-three', 'uma');
      const res = await b.as(agent, 'POST', '/proxy/payments/transfers', { body: { payee: 'DE77', amount: 50, currency: 'EUR' }, headers: { 'idempotency-key': 'pg-policy-1' } });
      expect(res.status).toBe(202);
      const id = res.headers.get('analog-firewall-action')!;
      const action = (await (await b.as('alice', 'GET', `/v1/actions/${id}`)).json()) as { policyHash: string };
      expect(action.policyHash).toBe(after);

      // An activation of a version neither can install (not stored): both refuse to decide rather
      // than go on under the older policy, and serve again once it is gone.
      const [bogus] = (await inDatabase(db.url, "INSERT INTO policy_activations (hash, at) VALUES (repeat('ab', 32), 0) RETURNING seq")) as { seq: string }[];
      try {
        for (const g of [h, b]) await waitFor(async () => ((await fetch(`${g.url}/readyz`)).status === 503 ? true : undefined), 5_000);
        const refused = await b.as(agent, 'POST', '/proxy/payments/transfers', { body: { payee: 'DE78', amount: 50, currency: 'EUR' }, headers: { 'idempotency-key': 'pg-policy-2' } });
        expect(refused.status).toBe(503);
        expect(((await refused.json()) as { code: string }).code).toBe('GATEWAY_NOT_READY');
      } finally {
        await inDatabase(db.url, `DELETE FROM policy_activations WHERE seq = ${Number(bogus!.seq)}`);
      }
      for (const g of [h, b]) await waitFor(async () => ((await fetch(`${g.url}/readyz`)).status === 200 ? true : undefined), 5_000);
      expect(b.governance.holder.policy().hash).toBe(after);
    } finally {
      await b.close();
    }
  });
});

describe('DATABASE_URL in the configuration', () => {
  const load = (url: string) => loadConfig({ DATA_DIR: '/tmp/af-unused', DATABASE_URL: url }, '/tmp', ROOT);
  it.each([
    ['not a url', /is not a URL/],
    ['mysql://db/x', /scheme 'mysql:' is not postgres: or postgresql:/],
    ['postgres:///gateway', /names no host/],
    ['postgres://db.example', /names no database/],
    ['postgres://db.example/a/b', /names no database/],
  ])('%s is refused naming DATABASE_URL', (url, message) => {
    let error: unknown;
    try {
      load(url);
    } catch (e) {
      error = e;
    }
    expect(isFirewallError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as FirewallError).detail).toEqual({ variable: 'DATABASE_URL' });
    expect((error as Error).message).toMatch(message);
  });

  it('accepts postgres:// and postgresql://; unset or empty means SQLite', () => {
    expect(load('postgres://u:p@db.example:6543/gateway').database).toEqual({ url: 'postgres://u:p@db.example:6543/gateway' });
    expect(load('postgresql://db.example/gateway').database).toEqual({ url: 'postgresql://db.example/gateway' });
    expect(load('').database).toBeUndefined();
    expect(loadConfig({ DATA_DIR: '/tmp/af-unused' }, '/tmp', ROOT).database).toBeUndefined();
  });
});

describe('DATABASE_URL at start-up', () => {
  const env = (url: string) => ({ DATABASE_URL: url, PORT: '0', DATA_DIR: join(h.dir, 'cli-start'), POLICY_FILE: join(h.dir, 'policy.yaml') });
  const problem = (out: string) => out.split('\n').filter((l) => l.startsWith('error '));

  it('a value that is not a postgres:// URL stops start-up naming DATABASE_URL, without echoing it', async () => {
    const { code, out } = await failedStart(env('mysql://root:hunter2@db/x'));
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(problem(out), out).toEqual([expect.stringMatching(/^error CONFIG_INVALID: environment variable DATABASE_URL: scheme 'mysql:' is not postgres: or postgresql:/)]);
    expect(out).not.toContain('hunter2');
  });

  it('an unreachable server stops start-up naming DATABASE_URL and where it tried, never the password', async () => {
    const { code, out } = await failedStart(env('postgres://af:hunter2@127.0.0.1:1/gateway'));
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(problem(out), out).toEqual([expect.stringMatching(/^error STORE_UNAVAILABLE: DATABASE_URL: cannot open the PostgreSQL store at 127\.0\.0\.1:1\/gateway/)]);
    expect(out).not.toContain('hunter2');
  });
});
