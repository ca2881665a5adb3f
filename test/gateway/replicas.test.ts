/**
 * Issue 16 item 3: two gateway replicas behind one PUBLIC_URL (as behind a load balancer), sharing
 * one store and the machine's real Redis (a key prefix of this run's own). Each replica has its
 * own HTTP server, status bus, SSE hub, rate limiters and replay caches: only Redis joins them.
 */
import { once } from 'node:events';
import { request, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWithSession } from '../../clients/agent/session-signature.ts';
import { APP_INBOX_TOPIC } from '../../src/gateway/approver/approver-app.ts';
import { mintAssertion } from '../helpers/assertion.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { deleteKeys, seedEpoch, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.ts';
import { readEvents } from '../helpers/sse.ts';
import { addPerson, challengeOf, highTransfer } from '../signature/helpers.ts';

const prefix = uniquePrefix('replicas');
let a: Harness;
let b: Harness;
let hooks: Server;
const deliveries: { id: string; body: string }[] = [];

beforeAll(async () => {
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      deliveries.push({ id: String(req.headers['webhook-id']), body });
      res.writeHead(204).end();
    });
  });
  hooks.listen(0, '127.0.0.1');
  await once(hooks, 'listening');
  const hook = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
  // A deployment whose Redis has been up for a while (see seedEpoch).
  await seedEpoch(SHARED_REDIS_URL, prefix, Date.now() - 60_000);
  const env = { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix, RATE_LOW_PER_MIN: '4', RATE_AUTH_FAILURES_PER_MIN: '5' };
  a = await startHarness({ env, editPolicy: (y) => y.replace('http://127.0.0.1:9999/hook', hook) });
  b = await startHarness({ env, replicaOf: a });
  for (const h of [a, b]) await waitFor(async () => ((await fetch(`${h.url}/readyz`)).status === 200 ? true : undefined));
});
afterAll(async () => {
  await b?.close();
  await a?.close();
  hooks?.close();
  await deleteKeys(SHARED_REDIS_URL, prefix);
});

/** The same request, with the same headers, to one replica then the other. */
async function sendTo(h: Harness, path: string, headers: Record<string, string>, method = 'GET'): Promise<Response> {
  return fetch(h.url + path, { method, headers });
}

describe('two replicas, one Redis', () => {
  it('both report Redis in their readiness', async () => {
    for (const h of [a, b]) {
      const r = (await (await fetch(`${h.url}/readyz`)).json()) as { checks: Record<string, { ok: boolean }> };
      expect(r.checks['redis']).toEqual({ ok: true });
    }
  });

  it('a client assertion used on one replica is refused on the other', async () => {
    const agent = await a.addAgent('agent-replay');
    const path = '/proxy/payments/balances/acc-1';
    const token = await mintAssertion(agent.key, { id: agent.id, aud: a.publicUrl, method: 'GET', path });
    const first = await sendTo(a, path, { authorization: `Bearer ${token}`, 'idempotency-key': 'rep-1' });
    expect(first.status).toBe(200);
    const replayed = await sendTo(b, path, { authorization: `Bearer ${token}`, 'idempotency-key': 'rep-2' });
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ code: 'AUTH_INVALID' });
    // …while a fresh assertion passes there: the refusal was the replay, not the replica.
    const fresh = await mintAssertion(agent.key, { id: agent.id, aud: a.publicUrl, method: 'GET', path });
    expect((await sendTo(b, path, { authorization: `Bearer ${fresh}`, 'idempotency-key': 'rep-3' })).status).toBe(200);
  });

  it('a session opened on one replica signs requests to the other; a signed request replayed there is refused', async () => {
    const agent = await a.addAgent('agent-session');
    const opened = await a.as(agent, 'POST', '/v1/sessions');
    expect(opened.status).toBe(201);
    const s = (await opened.json()) as { sessionId: string; key: string };
    const path = '/proxy/payments/balances/acc-2';
    const sign = (idempotencyKey: string) => ({
      ...signWithSession({ method: 'GET', url: a.publicUrl + path, body: undefined, idempotencyKey, sessionId: s.sessionId, key: Buffer.from(s.key, 'base64url'), created: Math.floor(Date.now() / 1000) }).headers,
      'idempotency-key': idempotencyKey,
    });
    const headers = sign('ses-1');
    expect((await sendTo(b, path, headers)).status).toBe(200);
    const replayed = await sendTo(a, path, headers);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ code: 'SIGNATURE_NONCE_REUSED' });
    // Revoked on one replica, refused on the other.
    expect((await b.as(agent, 'DELETE', `/v1/sessions/${s.sessionId}`)).status).toBe(200);
    const after = await sendTo(a, path, sign('ses-2'));
    expect(await after.json()).toMatchObject({ code: 'SESSION_REVOKED' });
  });

  it('a rate limit holds across both: the second replica sees the first one’s count', async () => {
    const agent = await a.addAgent('agent-rate');
    const path = '/proxy/payments/balances/acc-1';
    const statuses: number[] = [];
    // RATE_LOW_PER_MIN is 4 for this agent, whichever replica it reaches.
    for (const [i, h] of [a, a, b, a, b].entries()) statuses.push((await h.as(agent, 'GET', path, { headers: { 'idempotency-key': `rate-${i}` } })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });

  it('failed authentications count across both replicas: an address locked out on one is locked out on the other', async () => {
    // From 127.0.0.2, so the lock-out does not reach the other tests' 127.0.0.1.
    const from = '127.0.0.2';
    for (let i = 0; i < 5; i++) expect(await rawStatus(a, '/v1/actions/act_x', { authorization: 'Bearer nope' }, from)).toBe(401);
    const agent = await a.addAgent('agent-locked');
    const token = await mintAssertion(agent.key, { id: agent.id, aud: a.publicUrl, method: 'GET', path: '/v1/actions/act_x' });
    expect(await rawStatus(b, '/v1/actions/act_x', { authorization: `Bearer ${token}` }, from)).toBe(429);
    expect(await rawStatus(b, '/v1/actions/act_x', { authorization: `Bearer ${token}` }, '127.0.0.1')).toBe(404); // only that address
  });

  it('a change made on one replica reaches the other’s SSE streams and long-polls; its webhook is sent once', async () => {
    // Scaling cools for 30 s: long enough to veto it on A while B's clients watch.
    const submitted = await a.as('agent', 'POST', '/proxy/infra/deployments/web/scale', { body: { replicas: 3 }, headers: { 'idempotency-key': 'sse-1' } });
    expect(submitted.status).toBe(202);
    const id = ((await submitted.json()) as { id: string }).id;

    const ac = new AbortController();
    const stream = await b.as('agent', 'GET', `/v1/actions/${id}/events`, { signal: ac.signal });
    const all = await b.as('alice', 'GET', '/v1/events', { signal: ac.signal });
    const events = readEvents(stream);
    const allEvents = readEvents(all);
    expect((await events.next((e) => e.event === 'status')).data).toMatchObject({ status: 'cooling' });
    const polled = b.as('agent', 'GET', `/v1/actions/${id}?wait=60`, { signal: ac.signal });

    const veto = await a.as('alice', 'POST', `/v1/actions/${id}/veto`, { body: { reason: 'not now' } });
    expect(veto.status).toBe(200);
    try {
      expect((await events.next((e) => e.event === 'status' && (e.data as { status: string }).status !== 'cooling')).data).toMatchObject({ id, status: 'vetoed' });
      expect((await allEvents.next((e) => (e.data as { id?: string }).id === id)).data).toMatchObject({ status: 'vetoed' });
      // The long-poll answers with the change, not at its 60 s end (the test would time out first).
      expect(await (await polled).json()).toMatchObject({ id, status: 'vetoed' });
    } finally {
      ac.abort();
    }
    // A sent the webhook; B heard the change and fed its streams, but sends no second one.
    await waitFor(() => deliveries.find((d) => d.id === `msg_${id}_vetoed`));
    await new Promise((r) => setTimeout(r, 500));
    expect(deliveries.filter((d) => d.id === `msg_${id}_vetoed`)).toHaveLength(1);
    expect(deliveries.filter((d) => d.id === `msg_${id}_cooling`)).toHaveLength(1);
  });

  it('an approver inbox open on one replica hears of what starts waiting on the other (and not of LOW actions)', async () => {
    // The inbox stream on B's own hub (the app's route adds only its cookie sign-in), and nothing
    // else open on B: the inbox alone makes B follow A's changes.
    const server = createServer((req, res) => b.gw.ctx.hub.subscribe([APP_INBOX_TOPIC], req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const ac = new AbortController();
    try {
      const inbox = readEvents(await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { signal: ac.signal }));
      const low = await a.as('agent', 'GET', '/proxy/infra/status', { headers: { 'idempotency-key': 'inbox-low' } });
      const lowId = low.headers.get('analog-firewall-action');
      const r = await a.as('agent', 'POST', '/proxy/infra/deployments/api/scale', { body: { replicas: 2 }, headers: { 'idempotency-key': 'inbox-1' } });
      const id = ((await r.json()) as { id: string }).id;
      const first = await inbox.next((e) => e.event === 'changed');
      expect(first.data).toEqual({ actionId: id, status: 'cooling' }); // the LOW read came first, unheard
      expect(lowId).not.toBeNull();
    } finally {
      ac.abort();
      server.close();
    }
  });

  it('challenges issued on one replica are closed there when the other ends the wait (a veto on A)', async () => {
    const tom = await addPerson(a, 'tom');
    // Submitted through B: B issues tom's challenge (and holds its nonce).
    const high = await highTransfer(b, 'replica-high');
    const challenge = await challengeOf(tom, high.id);
    const service = b.signatures.service!;
    expect((await service.store.openChallengesForAction(high.id)).map((c) => c.id)).toEqual([challenge.id]);
    expect((await a.as('alice', 'POST', `/v1/actions/${high.id}/veto`, { body: { reason: 'no' } })).status).toBe(200);
    await waitFor(async () => ((await service.store.openChallengesForAction(high.id)).length === 0 ? true : undefined));
    expect((await a.log.query({ actionId: high.id, limit: 100 })).map((e) => e.entry['type'])).toContain('signature.challenge_closed');
  });
});

/** GET from a chosen loopback source address (fetch cannot choose one). */
function rawStatus(h: Harness, path: string, headers: Record<string, string>, localAddress: string): Promise<number> {
  const u = new URL(h.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers: { ...headers, connection: 'close' }, localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
