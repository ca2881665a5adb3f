/**
 * Issue 16 item 3, faults: two replicas on a redis-server of this test's own (the machine's shared
 * one is never stopped), killed mid-run and started again empty. While it is down, nothing that
 * needs it is guessed: authentication and replay checks fail closed (503 problem+json, precise
 * codes, Retry-After; the approver app's passkey sign-in too), rate limits fall back to each replica's memory, accepted actions still execute. When it
 * returns, nothing used before is accepted again, and a change made while it was down reaches the
 * other replica's stream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiterRes } from 'rate-limiter-flexible';
import WebSocket from 'ws';
import { signWithSession } from '../../clients/agent/session-signature.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import { mintAssertion } from '../helpers/assertion.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { seedEpoch, startOwnRedis, uniquePrefix, type OwnRedis } from '../helpers/redis-server.ts';
import { readEvents } from '../helpers/sse.ts';
import { clientAssertion, tokenRequest } from '../mcp/helpers.ts';
import { getAssertion } from '../../clients/device/authenticator/software-authenticator.ts';
import { addPerson } from '../signature/helpers.ts';

let redis: OwnRedis;
let a: Harness;
let b: Harness;
const prefix = uniquePrefix('outage');

beforeAll(async () => {
  redis = await startOwnRedis();
  await seedEpoch(redis.url, prefix, Date.now() - 60_000);
  const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix };
  // Scaling cools for 3 s here: it elapses while Redis is down. Only A's scheduler releases it
  // (B's is stopped), so the change is made on A and B's stream must hear of it.
  a = await startHarness({ env, editPolicy: (y) => y.replace('cooling: 30s', 'cooling: 3s') });
  b = await startHarness({ env, replicaOf: a });
  b.gw.ctx.scheduler.stop();
  await ready(true);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
  await redis?.close();
});

async function ready(want: boolean): Promise<void> {
  for (const h of [a, b]) await waitFor(async () => ((await fetch(`${h.url}/readyz`)).status === 200) === want || undefined, 20_000);
}

const PATH = '/proxy/payments/balances/acc-1';
const get = (h: Harness, headers: Record<string, string>) => fetch(h.url + PATH, { headers });
const token = () => mintAssertion(a.agentKey, { id: 'agent-1', aud: a.publicUrl, method: 'GET', path: PATH });

describe('Redis killed mid-run, then back empty', () => {
  it('fails closed while down, recovers after, and accepts nothing twice', async () => {
    // Before: an assertion and a session-signed request, each used once.
    const usedToken = await token();
    expect((await get(a, { authorization: `Bearer ${usedToken}`, 'idempotency-key': 'o-1' })).status).toBe(200);
    const opened = (await (await a.as('agent', 'POST', '/v1/sessions')).json()) as { sessionId: string; key: string };
    const signed = {
      ...signWithSession({ method: 'GET', url: a.publicUrl + PATH, body: undefined, idempotencyKey: 'o-2', sessionId: opened.sessionId, key: Buffer.from(opened.key, 'base64url'), created: Math.floor(Date.now() / 1000) }).headers,
      'idempotency-key': 'o-2',
    };
    expect((await get(b, signed)).status).toBe(200);

    // A cooling action, watched from B.
    const submitted = await a.as('agent', 'POST', '/proxy/infra/deployments/web/scale', { body: { replicas: 2 }, headers: { 'idempotency-key': 'o-3' } });
    const id = ((await submitted.json()) as { id: string }).id;
    const ac = new AbortController();
    const events = readEvents(await b.as('agent', 'GET', `/v1/actions/${id}/events`, { signal: ac.signal }));
    expect((await events.next((e) => e.event === 'status')).data).toMatchObject({ status: 'cooling' });

    // A person who signs in to the approver app with her passkey (the app's origin: the first replica's).
    const pia = await addPerson(a, 'pia');
    const origin = `http://localhost:${new URL(a.publicUrl).port}`;
    const app = (h: Harness, path: string, body: unknown = {}) =>
      fetch(`${h.url}/app/api${path}`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const signIn = async (options: Harness, finish: Harness): Promise<Response> => {
      const begun = await app(options, '/session/options');
      if (begun.status !== 200) return begun;
      const o = (await begun.json()) as { ceremonyId: string; options: { challenge: string } };
      return app(finish, '/session', { ceremonyId: o.ceremonyId, credential: getAssertion(pia.credential!, { challenge: o.options.challenge, origin }) });
    };
    expect((await signIn(a, b)).status).toBe(200);

    await redis.stop();
    await ready(false);
    try {
      for (const h of [a, b]) {
        const rd = (await (await fetch(`${h.url}/readyz`)).json()) as { checks: Record<string, { ok: boolean }> };
        expect(rd.checks['redis']?.ok).toBe(false);
        expect(rd.checks['store']?.ok).toBe(true);
      }
      // Authentication fails closed: a wrong credential is not counted, so none is looked at.
      for (const [h, headers] of [
        [a, { authorization: `Bearer ${await token()}` }],
        [b, { authorization: 'Bearer guess' }],
        [b, { ...signed, 'idempotency-key': 'o-2' }],
      ] as const) {
        const r = await get(h, { 'idempotency-key': 'o-x', ...headers });
        expect(r.status).toBe(503);
        expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(r.headers.get('retry-after')).toBe('1');
        expect(await r.json()).toMatchObject({ code: 'AUTH_LIMITER_UNAVAILABLE' });
      }
      // The signature session's WebSocket too, before any upgrade.
      const ws = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const c = new WebSocket(`${b.url.replace('http', 'ws')}/v1/challenges/chl_x/session`);
        c.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        c.on('open', () => reject(new Error('upgraded')));
        c.on('error', () => {});
      });
      expect(ws.status).toBe(503);
      expect(JSON.parse(ws.body)).toMatchObject({ code: 'AUTH_LIMITER_UNAVAILABLE' });
      // The MCP token endpoint too, in OAuth's own format (503 temporarily_unavailable, the gateway's code beside it).
      const issued = await tokenRequest(a, { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await clientAssertion(a) });
      expect(issued.status).toBe(503);
      expect(issued.headers.get('retry-after')).toBe('1');
      expect(await issued.json()).toMatchObject({ error: 'temporarily_unavailable', code: 'AUTH_LIMITER_UNAVAILABLE' });
      // The replay checks behind it fail closed too: a valid, unused assertion is not accepted.
      const err = await a.gw.ctx.auth.verify(`Bearer ${await token()}`, 'GET', PATH).then(() => undefined, (e: unknown) => e);
      expect(isFirewallError(err) ? [err.code, err.status] : err).toEqual(['REPLAY_CACHE_UNAVAILABLE', 503]);
      const sig = await b.gw.ctx.sessions
        .verify({ method: 'GET', targetUri: a.publicUrl + PATH, signatureInput: signed['signature-input'], signature: signed.signature, contentDigest: signed['content-digest'], idempotencyKey: 'o-2' })
        .then(() => undefined, (e: unknown) => e);
      expect(isFirewallError(sig) ? [sig.code, sig.status] : sig).toEqual(['SESSIONS_UNAVAILABLE', 503]);
      // The approver app's sign-in: nobody is signed in while the ceremony cannot be spent once.
      const refusedSignIn = await signIn(a, b);
      expect(refusedSignIn.status).toBe(503);
      expect(refusedSignIn.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refusedSignIn.headers.get('retry-after')).toBe('1');
      expect(refusedSignIn.headers.get('set-cookie')).toBeNull();
      expect(await refusedSignIn.json()).toMatchObject({ code: 'REPLAY_CACHE_UNAVAILABLE' });
      // Rate limits fall back to the replica's memory: still enforced.
      const limiter = a.gw.ctx.limits.limiter({ name: 'outage-probe', points: 2, durationSec: 60 });
      await limiter.consume('k');
      await limiter.consume('k');
      await expect(limiter.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);
      // What was accepted before still executes (the store, signer and policy are fine).
      await waitFor(async () => ((await a.store.getAction(id))?.status === 'executed' ? true : undefined), 20_000);
    } finally {
      await redis.start();
    }

    await ready(true);
    // B's stream hears of the change it missed (B re-reads what it follows once resubscribed).
    try {
      expect((await events.next((e) => (e.data as { status: string }).status === 'executed')).data).toMatchObject({ id, status: 'executed' });
    } finally {
      ac.abort();
    }
    // Redis came back empty. The assertion used before is not accepted again on either replica…
    for (const h of [a, b]) {
      const r = await get(h, { authorization: `Bearer ${usedToken}`, 'idempotency-key': 'o-4' });
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(await r.json()).toMatchObject({ code: 'REPLAY_CACHE_RESTARTED' });
    }
    // …nor the signed request (its session went with the data).
    const again = await get(a, signed);
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ code: 'SESSION_UNKNOWN' });
    // Fresh credentials work on both again (an assertion minted in the second the epoch restarted
    // is refused as above; the client mints another after Retry-After).
    for (const h of [a, b]) expect((await freshGet(h)).status).toBe(200);
    // And the app's sign-in, begun at either replica.
    expect((await signIn(b, a)).status).toBe(200);
  });
});

async function freshGet(h: Harness): Promise<Response> {
  for (let i = 0; ; i++) {
    const r = await get(h, { authorization: `Bearer ${await token()}`, 'idempotency-key': `o-fresh-${Math.random()}` });
    if (r.status !== 503 || i >= 2) return r;
    await new Promise((res) => setTimeout(res, Number(r.headers.get('retry-after') ?? '1') * 1000));
  }
}
