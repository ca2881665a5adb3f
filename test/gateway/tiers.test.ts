import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const transfer = (amount: number, key: string) =>
  h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE89370400440532013000', amount, currency: 'EUR' }, headers: { 'idempotency-key': key } });

describe('tiers end to end', () => {
  it('LOW through the proxy executes at once and returns the upstream answer', async () => {
    const res = await h.as('agent', 'GET', '/proxy/payments/balances/acc-1', { headers: { 'idempotency-key': 'low-1' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ account: 'acc-1', balance: 12500 });
    expect(res.headers.get('analog-firewall-action')).toMatch(/^act_/);
    expect(h.payments.executions.filter((e) => e.key === res.headers.get('analog-firewall-action'))).toHaveLength(1);
  });

  it('action ids are UUIDv7 carrying their creation time, so they sort by age', async () => {
    const ids: string[] = [];
    for (const k of ['ord-1', 'ord-2']) {
      const res = await h.as('agent', 'GET', '/proxy/payments/balances/acc-1', { headers: { 'idempotency-key': k } });
      ids.push(res.headers.get('analog-firewall-action')!);
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const id of ids) expect(id).toMatch(/^act_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    const ms = parseInt(ids[0]!.slice(4, 17).replace('-', ''), 16);
    const created = ((await (await h.as('agent', 'GET', `/v1/actions/${ids[0]}`)).json()) as { createdAt: string | number }).createdAt;
    expect(ms).toBe(typeof created === 'number' ? created : Date.parse(created));
  });

  it('LOW through POST /v1/actions executes with a receipt-verified upstream call', async () => {
    const res = await h.as('agent', 'POST', '/v1/actions', {
      body: { actuator: 'infra', operation: 'read_status', target: 'cluster', reversibility: 'fully_reversible' },
      headers: { 'idempotency-key': 'low-2' },
    });
    expect(res.status).toBe(201);
    const a = (await res.json()) as { status: string; tier: string; result: { status: number; bodyText: string } };
    expect(a).toMatchObject({ status: 'executed', tier: 'LOW' });
    expect(a.result.status).toBe(200);
    expect(JSON.parse(a.result.bodyText)).toEqual({ executed: 'read_status', target: 'cluster' });
  });

  it('MEDIUM cools, then executes once', async () => {
    const res = await transfer(120, 'med-1');
    expect(res.status).toBe(202);
    const a = (await res.json()) as { id: string; status: string; tier: string; notBefore: string };
    expect(a).toMatchObject({ status: 'cooling', tier: 'MEDIUM' });
    expect(h.payments.executions.find((e) => e.key === a.id)).toBeUndefined();
    const done = await waitFor(async () => {
      const r = await h.as('agent', 'GET', `/v1/actions/${a.id}?wait=5`);
      const j = (await r.json()) as { status: string; result?: { status: number } };
      return j.status === 'executed' ? j : undefined;
    });
    expect(done.result?.status).toBe(201);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(a.notBefore));
    expect(h.payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
  });

  it('MEDIUM vetoed during cooling never executes', async () => {
    const res = await transfer(130, 'med-veto');
    const a = (await res.json()) as { id: string; status: string };
    expect(a.status).toBe('cooling');
    const v = await h.as('alice', 'POST', `/v1/actions/${a.id}/veto`, { body: { reason: 'unknown payee' } });
    expect(v.status).toBe(200);
    expect(await v.json()).toMatchObject({ status: 'vetoed', vetoedBy: 'alice' });
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await (await h.as('agent', 'GET', `/v1/actions/${a.id}`)).json()) as { status: string };
    expect(after.status).toBe('vetoed');
    expect(h.payments.executions.find((e) => e.key === a.id)).toBeUndefined();
  });

  it('an agent cannot veto', async () => {
    const a = (await (await transfer(140, 'med-agent-veto')).json()) as { id: string };
    const v = await h.as('agent', 'POST', `/v1/actions/${a.id}/veto`, { body: {} });
    expect(v.status).toBe(403);
    expect(v.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('HIGH waits for a signature and no code path runs it; it expires failing closed', async () => {
    const res = await transfer(5000, 'high-1');
    expect(res.status).toBe(202);
    const a = (await res.json()) as { id: string; status: string; tier: string; expiresAt: string };
    expect(a).toMatchObject({ status: 'awaiting_signature', tier: 'HIGH' });
    expect(Date.parse(a.expiresAt)).toBeGreaterThan(Date.now());
    await h.gw.ctx.scheduler.tick();
    expect(h.payments.executions.find((e) => e.key === a.id)).toBeUndefined();
  });

  it('CRITICAL waits for a quorum', async () => {
    const res = await h.as('agent', 'DELETE', '/proxy/infra/clusters/prod-eu-1', { headers: { 'idempotency-key': 'crit-1' } });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'awaiting_quorum', tier: 'CRITICAL' });
  });

  it('a retried request returns the same action, never a second one', async () => {
    const first = (await (await transfer(150, 'idem-1')).json()) as { id: string };
    const again = await transfer(150, 'idem-1');
    expect(again.status).toBe(202);
    expect(((await again.json()) as { id: string }).id).toBe(first.id);
    const changed = await transfer(151, 'idem-1');
    expect(changed.status).toBe(422);
    expect(await changed.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('velocity: ten small transfers that together cross the threshold escalate', async () => {
    const splitter = await h.addAgent('splitter');
    const statuses: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await h.as(splitter, 'POST', '/proxy/payments/transfers', {
        body: { payee: `payee-${i}`, amount: 600, currency: 'EUR' },
        headers: { 'idempotency-key': `split-${i}` },
      });
      statuses.push(((await r.json()) as { tier: string }).tier);
    }
    // 600 EUR each is MEDIUM alone; the 9th pushes the hour's total past 5,000 EUR.
    expect(statuses).toEqual(['MEDIUM', 'MEDIUM', 'MEDIUM', 'MEDIUM', 'MEDIUM', 'MEDIUM', 'MEDIUM', 'MEDIUM', 'HIGH', 'HIGH']);
  });
});
