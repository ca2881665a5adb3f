import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAssertion } from '../helpers/assertion.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { BODY_LIMIT_BYTES: '4096', RATE_MEDIUM_PER_MIN: '3' } });
});
afterAll(async () => {
  await h.close();
});

async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: expect.stringMatching(/^https:\/\/analog-firewall\.dev\/problems\//) });
  return body;
}

const ok = { actuator: 'infra', operation: 'read_status', target: 'cluster', reversibility: 'fully_reversible' };

describe('credentials', () => {
  const post = (headers: Record<string, string>) =>
    fetch(`${h.url}/v1/actions`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k', ...headers }, body: JSON.stringify(ok) });

  it('missing, malformed and unknown credentials get 401', async () => {
    await expectProblem(await post({}), 401, 'AUTH_INVALID');
    await expectProblem(await post({ authorization: 'Bearer not-a-jwt' }), 401, 'AUTH_INVALID');
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const t = await mintAssertion(stranger, { id: 'nobody', aud: h.url, method: 'POST', path: '/v1/actions' });
    await expectProblem(await post({ authorization: `Bearer ${t}` }), 401, 'AUTH_INVALID');
  });

  it('a forged assertion (right id, wrong key) gets 401', async () => {
    const forger = generateKeyPairSync('ed25519').privateKey;
    const t = await mintAssertion(forger, { id: 'agent-1', aud: h.url, method: 'POST', path: '/v1/actions' });
    await expectProblem(await post({ authorization: `Bearer ${t}` }), 401, 'AUTH_INVALID');
  });

  it('expired, over-long, wrong-audience, wrong-URL and replayed assertions get 401', async () => {
    const k = h.agentKey;
    const base = { id: 'agent-1', aud: h.url, method: 'POST', path: '/v1/actions' };
    const expired = await mintAssertion(k, { ...base, iat: Math.floor(Date.now() / 1000) - 400, lifetimeSec: 100 });
    await expectProblem(await post({ authorization: `Bearer ${expired}` }), 401, 'AUTH_INVALID');
    const long = await mintAssertion(k, { ...base, lifetimeSec: 3600 });
    await expectProblem(await post({ authorization: `Bearer ${long}` }), 401, 'AUTH_INVALID');
    const aud = await mintAssertion(k, { ...base, aud: 'http://elsewhere.example' });
    await expectProblem(await post({ authorization: `Bearer ${aud}` }), 401, 'AUTH_INVALID');
    const url = await mintAssertion(k, { ...base, path: '/v1/other' });
    await expectProblem(await post({ authorization: `Bearer ${url}` }), 401, 'AUTH_INVALID');
    const once = await mintAssertion(k, base);
    expect((await post({ authorization: `Bearer ${once}`, 'idempotency-key': 'replay-1' })).status).toBe(201);
    await expectProblem(await post({ authorization: `Bearer ${once}`, 'idempotency-key': 'replay-2' }), 401, 'AUTH_INVALID');
  });

  it('a human credential cannot submit actions', async () => {
    await expectProblem(await h.as('alice', 'POST', '/v1/actions', { body: ok, headers: { 'idempotency-key': 'human' } }), 403, 'ROLE_FORBIDDEN');
  });
});

describe('request bodies', () => {
  const submit = (init: { body?: unknown; raw?: string; headers?: Record<string, string> }) =>
    h.as('agent', 'POST', '/v1/actions', { headers: { 'idempotency-key': `k-${Math.random()}`, 'content-type': 'application/json', ...(init.headers ?? {}) }, ...init });

  it('malformed JSON → 400', async () => {
    await expectProblem(await submit({ raw: '{"actuator": ' }), 400, 'BODY_MALFORMED');
  });
  it('wrong types and unknown fields → 400 naming the field', async () => {
    const p = await expectProblem(await submit({ body: { ...ok, amount: 'ten', currency: 'EUR' } }), 400, 'BODY_INVALID');
    expect(String(p['detail'])).toContain('/amount');
    await expectProblem(await submit({ body: { ...ok, sneaky: true } }), 400, 'BODY_INVALID');
    await expectProblem(await submit({ body: [ok] }), 400, 'BODY_INVALID');
    await expectProblem(await submit({ body: { ...ok, amount: 5 } }), 400, 'BODY_INVALID');
  });
  it('parameters nested past any record\'s depth → 400, nothing forwarded', async () => {
    const before = h.infra.executions.length;
    const raw = JSON.stringify({ ...ok, parameters: { deep: 'NEST' } }).replace('"NEST"', '['.repeat(1500) + ']'.repeat(1500));
    const p = await expectProblem(await submit({ raw }), 400, 'CANONICAL_JSON_INVALID');
    expect(String(p['detail'])).toContain('deeper than 1000');
    expect(h.infra.executions.length).toBe(before);
  });
  it('oversized bodies → 413', async () => {
    await expectProblem(await submit({ body: { ...ok, parameters: { pad: 'x'.repeat(10_000) } } }), 413, 'BODY_TOO_LARGE');
  });
  it('unknown actuators → 4xx, nothing forwarded', async () => {
    await expectProblem(await submit({ body: { ...ok, actuator: 'launch-control' } }), 422, 'ACTUATOR_UNKNOWN');
    await expectProblem(await h.as('agent', 'GET', '/proxy/launch-control/x', { headers: { 'idempotency-key': 'u1' } }), 404, 'ACTUATOR_UNKNOWN');
  });
  it('missing idempotency key → 400', async () => {
    await expectProblem(await h.as('agent', 'POST', '/v1/actions', { body: ok }), 400, 'IDEMPOTENCY_KEY_MISSING');
  });
  it('a proxy path the policy does not map → 404, nothing forwarded', async () => {
    const before = h.payments.executions.length;
    await expectProblem(await h.as('agent', 'POST', '/proxy/payments/admin/drain', { headers: { 'idempotency-key': 'nomap' } }), 404, 'PROXY_ROUTE_UNKNOWN');
    expect(h.payments.executions.length).toBe(before);
  });
  it('unknown routes → 404 problem', async () => {
    await expectProblem(await fetch(`${h.url}/v2/nothing`), 404, 'ROUTE_NOT_FOUND');
  });
  it('reading an action that is not yours, or does not exist → 404', async () => {
    await expectProblem(await h.as('agent', 'GET', '/v1/actions/act_nope'), 404, 'ACTION_NOT_FOUND');
    await expectProblem(await h.as('agent', 'GET', '/v1/actions/act_nope?wait=99'), 404, 'ACTION_NOT_FOUND');
  });
});

describe('rate limits', () => {
  it('MEDIUM actions beyond the per-minute limit get 429 with Retry-After, and are not accepted', async () => {
    const codes: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'p', amount: 10, currency: 'EUR' }, headers: { 'idempotency-key': `rl-${i}` } });
      codes.push(last.status);
    }
    expect(codes).toEqual([202, 202, 202, 429, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectProblem(last!, 429, 'RATE_LIMITED');
  });
});
