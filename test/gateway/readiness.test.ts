import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { MemorySigner } from '../helpers/memory-signer.ts';

let h: Harness;
const signer = new MemorySigner();
beforeAll(async () => {
  h = await startHarness({ signer });
});
afterAll(async () => {
  await h.close();
});

describe('readiness and fail-closed', () => {
  it('is ready with store, signer and policy', async () => {
    const r = await fetch(`${h.url}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: 'ready', checks: { store: { ok: true }, signer: { ok: true }, policy: { ok: true } } });
  });

  it('with the signer down: not ready, nothing accepted or executed; cooling actions wait and run after recovery', async () => {
    const res = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'x', amount: 50, currency: 'EUR' }, headers: { 'idempotency-key': 'ready-1' } });
    const a = (await res.json()) as { id: string; status: string };
    expect(a.status).toBe('cooling');
    signer.healthy = false;
    await h.gw.ctx.readiness();
    expect((await fetch(`${h.url}/readyz`)).status).toBe(503);
    const refused = await h.as('agent', 'GET', '/proxy/payments/balances/acc-1', { headers: { 'idempotency-key': 'ready-2' } });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ code: 'GATEWAY_NOT_READY' });
    await new Promise((r) => setTimeout(r, 1600)); // cooling (1 s) has elapsed while the signer is down
    expect(h.payments.executions.find((e) => e.key === a.id)).toBeUndefined();
    signer.healthy = true;
    const done = await waitFor(() => h.payments.executions.find((e) => e.key === a.id));
    expect(done.tier).toBe('MEDIUM');
  });
});

describe('metrics', () => {
  it('exposes decisions by tier and the cooling queue depth', async () => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toMatch(/af_decisions_total\{tier="MEDIUM",decision="ALLOW"\} [1-9]/);
    expect(text).toContain('af_cooling_queue_depth');
    expect(text).toContain('af_request_duration_seconds_bucket');
    // Every accepted action waited for a durability barrier: the disk's share is visible.
    expect(Number(/^af_store_sync_duration_seconds_count (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/^af_store_sync_commits_sum (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(Number(/^af_store_sync_commits_count (\d+)/m.exec(text)?.[1]));
  });
});
