import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upstreamTarget } from '../../src/core/wire/upstream-target.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';

// Issue 13 item 3: with `upstream: http://host/pfx` the actuator receives /pfx/…, and the receipt
// binds that path (the example actuators verify it against req.originalUrl, prefix included).

describe('upstreamTarget', () => {
  it('keeps the upstream path prefix, with or without its trailing slash', () => {
    expect(upstreamTarget('http://h:1/pfx', '/balances/acc-1?x=1').target).toBe('/pfx/balances/acc-1?x=1');
    expect(upstreamTarget('http://h:1/pfx/', '/balances/acc-1').url.href).toBe('http://h:1/pfx/balances/acc-1');
    expect(upstreamTarget('http://h:1/a/b', '/analog-firewall/execute').target).toBe('/a/b/analog-firewall/execute');
    expect(upstreamTarget('http://h:1', '/balances/acc-1').target).toBe('/balances/acc-1');
    expect(() => upstreamTarget('http://h:1', '//evil.example/x')).toThrow(/starts with/);
  });
});

describe('an upstream with a path prefix', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ actuatorPrefix: '/pfx' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('a LOW proxied read reaches /pfx/… and its receipt verifies there', async () => {
    const res = await h.as('agent', 'GET', '/proxy/payments/balances/acc-1', { headers: { 'idempotency-key': 'pfx-1' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ account: 'acc-1', balance: 12_500 });
    expect(h.payments.executions.at(-1)).toMatchObject({ method: 'GET', path: '/pfx/balances/acc-1', tier: 'LOW' });
  });

  it('a cooled proxied transfer and a /v1/actions execution reach /pfx/… too', async () => {
    const res = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE89', amount: 250, currency: 'EUR' }, headers: { 'idempotency-key': 'pfx-2' } });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { id: string }).id;
    const done = await waitFor(async () => {
      const a = (await (await h.as('agent', 'GET', `/v1/actions/${id}`)).json()) as { status: string; result?: { status: number } };
      return a.status === 'executed' ? a : undefined;
    });
    expect(done.result?.status).toBe(201);
    expect(h.payments.executions.at(-1)).toMatchObject({ method: 'POST', path: '/pfx/transfers', tier: 'MEDIUM' });

    const sub = await h.as('agent', 'POST', '/v1/actions', { body: { actuator: 'infra', operation: 'read_status', target: 'cluster', reversibility: 'fully_reversible' }, headers: { 'idempotency-key': 'pfx-3' } });
    expect(sub.status).toBe(201);
    expect(((await sub.json()) as { result: { status: number } }).result.status).toBe(200);
    expect(h.infra.executions.at(-1)).toMatchObject({ method: 'POST', path: '/pfx/analog-firewall/execute' });
  });
});
