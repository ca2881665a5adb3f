import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient, AgentClientError, generateAgentKeyPair, type Action, type ActionRequest } from '../../clients/agent/index.ts';
import { FakeGateway } from './helpers/fake-gateway.ts';

const payment = (amount: number): ActionRequest => ({
  actuator: 'payments',
  operation: 'transfer',
  target: 'acct_9',
  parameters: { memo: 'invoice 42' },
  amount,
  currency: 'EUR',
  reversibility: 'irreversible',
});

async function expectError(p: Promise<unknown>): Promise<AgentClientError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AgentClientError);
    return e as AgentClientError;
  }
  throw new Error('expected an AgentClientError');
}

describe('agent SDK against a fake gateway', () => {
  // The fake gateway speaks client assertions only; sessions are tested against the real gateway (test/gateway/sessions.test.ts).
  let gw: FakeGateway;
  let client: AgentClient;
  let key = 0;
  const idem = () => `idem-${Date.now()}-${++key}`;

  beforeAll(async () => {
    gw = await FakeGateway.start();
    const pair = await generateAgentKeyPair();
    await gw.register('agent-7', pair.publicJwk);
    client = new AgentClient({ credential: 'assertion', baseUrl: gw.url, agentId: 'agent-7', privateKey: pair.privateJwk });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('generateAgentKeyPair() gives an Ed25519 JWK pair with a thumbprint kid', async () => {
    const { privateJwk, publicJwk, kid } = await generateAgentKeyPair();
    expect(publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid });
    expect(publicJwk.d).toBeUndefined();
    expect(typeof privateJwk.d).toBe('string');
    expect(await calculateJwkThumbprint(publicJwk)).toBe(kid);
  });

  it('submit(): a LOW action comes back executed with the upstream response decoded', async () => {
    const { action, created, httpStatus } = await client.submit(payment(12.5), { idempotencyKey: idem() });
    expect([created, httpStatus, action.status, action.tier]).toEqual([true, 201, 'executed', 'LOW']);
    expect(action.links.self).toBe(`/v1/actions/${action.id}`);
    expect(action.result?.status).toBe(200);
    expect(action.result?.json).toEqual({ transfer: `tr_${action.id}`, state: 'settled' });
    expect(action.result?.text).toBe(JSON.stringify({ transfer: `tr_${action.id}`, state: 'settled' }));
    expect(action.result?.body).toBeInstanceOf(Uint8Array);
  });

  it('signs every request with a fresh, request-bound client assertion', async () => {
    await client.get((await client.submit(payment(1), { idempotencyKey: idem() })).action.id, {});
    const seen = gw.assertions.slice(-2);
    const [post, get] = seen as [(typeof seen)[0], (typeof seen)[0]];
    expect(post.claims).toMatchObject({ iss: 'agent-7', sub: 'agent-7', aud: gw.url, htm: 'POST', htu: `${gw.url}/v1/actions` });
    expect(get.claims.htm).toBe('GET');
    expect(post.header.alg).toBe('EdDSA');
    expect(post.header.kid).toBeDefined();
    expect(post.claims.exp! - post.claims.iat!).toBeLessThanOrEqual(300);
    expect(new Set(gw.assertions.map((a) => a.claims.jti)).size).toBe(gw.assertions.length);
  });

  it('an idempotent retry returns the same action (200); reusing the key for another request is refused', async () => {
    const k = idem();
    const first = await client.submit(payment(5000), { idempotencyKey: k });
    const again = await client.submit(payment(5000), { idempotencyKey: k });
    expect([first.created, first.httpStatus, again.created, again.httpStatus]).toEqual([true, 202, false, 200]);
    expect(again.action.id).toBe(first.action.id);
    const err = await expectError(client.submit(payment(6000), { idempotencyKey: k }));
    expect([err.code, err.status, err.problem?.type]).toEqual(['IDEMPOTENCY_KEY_REUSED', 422, 'https://analog-firewall.dev/problems/idempotency-key-reused']);
  });

  it('waitForOutcome() long-polls a MEDIUM action through cooling to executed', async () => {
    const { action } = await client.submit(payment(5000), { idempotencyKey: idem() });
    expect(action.status).toBe('cooling');
    expect(action.notBefore).toBeDefined();
    const statuses: string[] = [];
    const done = await client.waitForOutcome(action.id, { timeoutMs: 10_000, onUpdate: (a) => statuses.push(a.status) });
    expect(done.status).toBe('executed');
    expect(done.result?.json).toMatchObject({ state: 'settled' });
    expect(statuses.at(-1)).toBe('executed');
    expect(gw.assertions.some((a) => a.url.includes('?wait='))).toBe(true);
  });

  it('waitForOutcome({ mode: "sse" }) follows a HIGH action until a human approves it', async () => {
    const { action } = await client.submit(payment(50_000), { idempotencyKey: idem() });
    expect(action.status).toBe('awaiting_signature');
    const updates: Action[] = [];
    // The person approves once the stream is open (its first event is the state at connection): approving
    // on a timer raced the connection on a loaded machine, and the stream then began at 'authorised'.
    const done = await client.waitForOutcome(action.id, {
      mode: 'sse',
      timeoutMs: 10_000,
      onUpdate: (a) => {
        if (updates.push(a) === 1) gw.approve(action.id);
      },
    });
    expect(done.status).toBe('executed');
    expect(updates.map((u) => u.status)).toEqual(['awaiting_signature', 'authorised', 'executing', 'executed']);
  });

  it('events() ends with a terminal status (veto)', async () => {
    const { action } = await client.submit(payment(20_000), { idempotencyKey: idem() });
    const seen: string[] = [];
    // Vetoed once the stream is open (its first event is the state at connection), not on a timer that races it.
    for await (const a of client.events(action.id)) if (seen.push(a.status) === 1) gw.veto(action.id);
    expect(seen).toEqual(['awaiting_signature', 'vetoed']);
  });

  it('waitForOutcome() returns at once for an action that is already terminal (blocked)', async () => {
    const { action } = await client.submit({ ...payment(1), operation: 'wipe' }, { idempotencyKey: idem() });
    expect(action.status).toBe('blocked');
    expect((await client.waitForOutcome(action.id, { mode: 'sse' })).status).toBe('blocked');
    expect((await client.waitForOutcome(action.id)).status).toBe('blocked');
  });

  it('waitForOutcome() rides out a 429 and a 503, honouring Retry-After', async () => {
    const { action } = await client.submit(payment(5000), { idempotencyKey: idem() });
    gw.throttle(1, '0');
    const done = await client.waitForOutcome(action.id, { timeoutMs: 10_000 });
    expect(done.status).toBe('executed');
    const { action: b } = await client.submit(payment(5000), { idempotencyKey: idem() });
    gw.throttle(2, '0', 503);
    expect((await client.waitForOutcome(b.id, { timeoutMs: 10_000, mode: 'sse' })).status).toBe('executed');
  });

  it('waitForOutcome() times out with the last known action, and can be aborted', async () => {
    const { action } = await client.submit(payment(30_000), { idempotencyKey: idem() });
    const t = await expectError(client.waitForOutcome(action.id, { timeoutMs: 1200 }));
    expect([t.code, t.action?.status]).toEqual(['TIMEOUT', 'awaiting_signature']);
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 100);
    const a = await expectError(client.waitForOutcome(action.id, { signal: ctrl.signal, mode: 'sse' }));
    expect(a.code).toBe('ABORTED');
  });

  it('typed errors: 401, 429 with Retry-After, 400/404 problems, non-problem 5xx, network', async () => {
    const stranger = new AgentClient({ credential: 'assertion', baseUrl: gw.url, agentId: 'nobody', privateKey: (await generateAgentKeyPair()).privateJwk });
    const e401 = await expectError(stranger.submit(payment(1), { idempotencyKey: idem() }));
    expect([e401.code, e401.status, e401.problem?.detail]).toEqual(['UNAUTHENTICATED', 401, 'unknown agent']);

    // Registered id, wrong key.
    const impostor = new AgentClient({ credential: 'assertion', baseUrl: gw.url, agentId: 'agent-7', privateKey: (await generateAgentKeyPair()).privateJwk });
    expect((await expectError(impostor.get('act_x'))).status).toBe(401);

    gw.throttle(1, '7');
    const e429 = await expectError(client.submit(payment(1), { idempotencyKey: idem() }));
    expect([e429.code, e429.status, e429.retryAfterSec, e429.transient]).toEqual(['RATE_LIMITED', 429, 7, true]);

    const e400 = await expectError(client.submit({ actuator: 'payments' } as ActionRequest, { idempotencyKey: idem() }));
    expect([e400.code, e400.status, e400.transient]).toEqual(['INVALID_ACTION', 400, false]);
    expect(e400.message).toContain('actuator, operation, target and reversibility are required');

    const e404 = await expectError(client.get('act_missing'));
    expect([e404.code, e404.status]).toEqual(['ACTION_NOT_FOUND', 404]);

    // The id is one path segment: '../' cannot escape /v1/actions/.
    expect((await expectError(client.get('../../v1/actions'))).code).toBe('ACTION_NOT_FOUND');

    gw.failPlain(1, 502);
    const e502 = await expectError(client.get('act_missing'));
    expect([e502.code, e502.status, e502.problem, e502.transient]).toEqual(['HTTP_502', 502, undefined, true]);

    const down = new AgentClient({ credential: 'assertion', baseUrl: 'http://127.0.0.1:9', agentId: 'agent-7', privateKey: (await generateAgentKeyPair()).privateJwk });
    const net = await expectError(down.get('act_1'));
    expect([net.code, net.status, net.transient]).toEqual(['NETWORK_ERROR', 0, true]);

    expect((await expectError(client.submit(payment(1), { idempotencyKey: '' }))).code).toBe('INVALID_ARGUMENT');
    expect((await expectError(client.submit(payment(1), { idempotencyKey: 'x'.repeat(201) }))).code).toBe('INVALID_ARGUMENT');
  });

  it('proxy(): relays the upstream response for LOW, returns the held action otherwise', async () => {
    const low = await client.proxy('payments', 'GET', '/v1/balance?account=acct_9', undefined, { idempotencyKey: idem() });
    expect(low.kind).toBe('response');
    if (low.kind !== 'response') return;
    expect(low.response.status).toBe(200);
    expect(low.response.headers['x-upstream']).toBe('fake-actuator');
    expect(low.response.json).toEqual({ method: 'GET', path: '/v1/balance?account=acct_9' });
    expect(gw.assertions.at(-1)!.claims.htu).toBe(`${gw.url}/proxy/payments/v1/balance`);

    // An upstream that itself answers 202 is still an upstream response, not a held action.
    const upstream202 = await client.proxy('payments', 'GET', '/accepted', undefined, { idempotencyKey: idem() });
    expect(upstream202.kind === 'response' && upstream202.response.status).toBe(202);

    const held = await client.proxy('payments', 'POST', '/v1/transfers', { amount: 5000, to: 'acct_9' }, { idempotencyKey: idem() });
    expect(held.kind).toBe('pending');
    if (held.kind !== 'pending') return;
    expect(held.action.status).toBe('cooling');
    expect(held.action.descriptor).toMatchObject({ actuator: 'payments', target: '/v1/transfers', bodyLength: 29 });
    expect((await client.waitForOutcome(held.action.id, { timeoutMs: 10_000 })).status).toBe('executed');

    gw.throttle(1, '3');
    const e = await expectError(client.proxy('payments', 'GET', '/v1/balance', undefined, { idempotencyKey: idem() }));
    expect([e.code, e.retryAfterSec]).toEqual(['RATE_LIMITED', 3]);
  });

  it('accepts a P-256 KeyObject (ES256) as the agent key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await gw.register('agent-p256', await exportJWK(publicKey));
    const c = new AgentClient({ credential: 'assertion', baseUrl: gw.url, agentId: 'agent-p256', privateKey });
    expect((await c.submit(payment(3), { idempotencyKey: idem() })).action.status).toBe('executed');
    expect(gw.assertions.at(-1)!.header.alg).toBe('ES256');
    const { privateKey: rsa } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const bad = new AgentClient({ credential: 'assertion', baseUrl: gw.url, agentId: 'x', privateKey: rsa });
    expect((await expectError(bad.get('a'))).code).toBe('INVALID_ARGUMENT');
  });
});
