import { randomUUID } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analogFirewall, captureRawBody, rawBodyOf, RedisReplayCache, type AnalogFirewallOptions } from '../../clients/actuator/index.ts';
import { sha256Hex } from '../../src/core/canonical.ts';
import { buildReceiptClaims, type ReceiptInput } from '../../src/core/receipt/build-receipt-claims.ts';
import { IDEMPOTENCY_KEY_HEADER, RECEIPT_HEADER } from '../../src/core/receipt/receipt.ts';
import { signReceipt } from '../../src/core/receipt/sign-receipt.ts';
import { listen } from './helpers/http.ts';
import { TestSigner } from './helpers/test-signer.ts';

const signer = new TestSigner();
const ISSUER = 'gw-test';
const AUDIENCE = 'payments';

let jwksServer: Awaited<ReturnType<typeof listen>>;
let jwksUrl: URL;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const app = express();
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.json(signer.jwks('receipt'));
  });
  jwksServer = await listen(app);
  jwksUrl = new URL('/.well-known/jwks.json', jwksServer.url);
});

afterAll(async () => {
  for (const c of closers) await c();
  await jwksServer.close();
});

/** A real express actuator behind the middleware, on loopback. */
async function actuator(opts: Partial<AnalogFirewallOptions> = {}, setup?: (app: express.Express) => void): Promise<string> {
  const app = express();
  setup?.(app);
  app.use(analogFirewall({ jwks: jwksUrl, issuer: ISSUER, audience: AUDIENCE, ...opts }));
  app.use(express.json()); // mounted later: must find the stream consumed and leave req.body alone
  app.all('/{*rest}', (req, res) => {
    const raw = rawBodyOf(req);
    res.json({
      ok: true,
      sub: req.analogFirewall?.sub,
      tier: req.analogFirewall?.tier,
      body: Buffer.isBuffer(req.body) ? { buffer: req.body.toString('utf8') } : (req.body ?? null),
      rawLength: raw?.length ?? null,
    });
  });
  const srv = await listen(app);
  closers.push(srv.close);
  return srv.url;
}

interface Req {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

async function receiptFor(r: Req, over: Partial<ReceiptInput> = {}, timing: { now?: number; ttlSec?: number; jti?: string } = {}, s = signer): Promise<string> {
  const claims = buildReceiptClaims(
    {
      issuer: ISSUER,
      actionId: 'act_1',
      actuator: AUDIENCE,
      actionDigest: sha256Hex('descriptor'),
      request: { method: r.method, path: r.path, bodySha256: sha256Hex(Buffer.from(r.body ?? '')) },
      tier: 'LOW',
      policyHash: sha256Hex('policy'),
      logIndex: 1,
      ...over,
    },
    { now: timing.now ?? Date.now(), jti: timing.jti ?? randomUUID(), ttlSec: timing.ttlSec },
  );
  return signReceipt(s, claims);
}

async function send(base: string, r: Req, headers: Record<string, string> = {}): Promise<{ status: number; json: any; contentType: string | null }> {
  const res = await fetch(base + r.path, {
    method: r.method,
    headers: { ...(r.body !== undefined ? { 'content-type': r.contentType ?? 'application/json' } : {}), ...headers },
    body: r.body,
  });
  return { status: res.status, json: await res.json(), contentType: res.headers.get('content-type') };
}

const transfer: Req = { method: 'POST', path: '/v1/transfers?dry_run=false', body: '{"amount": 12.50, "to":"acct_9"}' };

describe('analogFirewall() in front of an express actuator', () => {
  let base: string;
  beforeAll(async () => {
    base = await actuator();
  });

  it('accepts a request its receipt is bound to, parses JSON, attaches the claims', async () => {
    const rcpt = await receiptFor(transfer);
    const r = await send(base, transfer, { [RECEIPT_HEADER]: rcpt, [IDEMPOTENCY_KEY_HEADER]: 'act_1' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true, sub: 'act_1', tier: 'LOW', body: { amount: 12.5, to: 'acct_9' }, rawLength: Buffer.byteLength(transfer.body!) });
  });

  it('accepts a bodiless GET with a query, and leaves non-JSON bodies as a Buffer', async () => {
    const get: Req = { method: 'GET', path: '/v1/balance?account=acct_9&ccy=EUR' };
    expect((await send(base, get, { [RECEIPT_HEADER]: await receiptFor(get) })).status).toBe(200);
    const text: Req = { method: 'PUT', path: '/notes/1', body: 'hello', contentType: 'text/plain' };
    const r = await send(base, text, { [RECEIPT_HEADER]: await receiptFor(text) });
    expect(r.status).toBe(200);
    expect(r.json.body).toEqual({ buffer: 'hello' });
  });

  it('refuses a replayed receipt (in-memory cache)', async () => {
    const rcpt = await receiptFor(transfer);
    expect((await send(base, transfer, { [RECEIPT_HEADER]: rcpt })).status).toBe(200);
    const again = await send(base, transfer, { [RECEIPT_HEADER]: rcpt });
    expect(again.status).toBe(403);
    expect(again.json.code).toBe('RECEIPT_REPLAYED');
  });

  it('refuses a missing receipt with RFC 9457 problem+json', async () => {
    const r = await send(base, transfer);
    expect(r.status).toBe(401);
    expect(r.contentType).toMatch(/^application\/problem\+json/);
    expect(r.json).toEqual({
      type: 'https://analog-firewall.dev/problems/receipt-missing',
      title: 'Receipt missing',
      status: 401,
      detail: `request carries no ${RECEIPT_HEADER} header`,
      code: 'RECEIPT_MISSING',
    });
  });

  it('refuses an expired receipt', async () => {
    const rcpt = await receiptFor(transfer, {}, { now: Date.now() - 120_000, ttlSec: 60 });
    const r = await send(base, transfer, { [RECEIPT_HEADER]: rcpt });
    expect([r.status, r.json.code]).toEqual([401, 'RECEIPT_EXPIRED']);
  });

  it('refuses a receipt bound to a different body, path, query or method', async () => {
    const rcpt1 = await receiptFor(transfer);
    const body = await send(base, { ...transfer, body: '{"amount": 9999, "to":"acct_9"}' }, { [RECEIPT_HEADER]: rcpt1 });
    expect([body.status, body.json.code]).toEqual([403, 'RECEIPT_BODY_MISMATCH']);
    // Same JSON value, different bytes: still refused (the binding is over bytes).
    const reformatted = await send(base, { ...transfer, body: '{"amount":12.5,"to":"acct_9"}' }, { [RECEIPT_HEADER]: rcpt1 });
    expect(reformatted.json.code).toBe('RECEIPT_BODY_MISMATCH');

    const path = await send(base, { ...transfer, path: '/v1/refunds?dry_run=false' }, { [RECEIPT_HEADER]: await receiptFor(transfer) });
    expect([path.status, path.json.code]).toEqual([403, 'RECEIPT_PATH_MISMATCH']);
    const query = await send(base, { ...transfer, path: '/v1/transfers?dry_run=true' }, { [RECEIPT_HEADER]: await receiptFor(transfer) });
    expect([query.status, query.json.code]).toEqual([403, 'RECEIPT_PATH_MISMATCH']);

    const method = await send(base, { ...transfer, method: 'PUT' }, { [RECEIPT_HEADER]: await receiptFor(transfer) });
    expect([method.status, method.json.code]).toEqual([403, 'RECEIPT_METHOD_MISMATCH']);
  });

  it('a refused request does not use up the receipt', async () => {
    const rcpt = await receiptFor(transfer);
    expect((await send(base, { ...transfer, body: '{}' }, { [RECEIPT_HEADER]: rcpt })).status).toBe(403);
    expect((await send(base, transfer, { [RECEIPT_HEADER]: rcpt })).status).toBe(200);
  });

  it('refuses a receipt for another actuator or from another issuer', async () => {
    const aud = await send(base, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer, { actuator: 'dns' }) });
    expect([aud.status, aud.json.code]).toEqual([401, 'RECEIPT_AUDIENCE_MISMATCH']);
    const iss = await send(base, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer, { issuer: 'gw-evil' }) });
    expect([iss.status, iss.json.code]).toEqual([401, 'RECEIPT_ISSUER_MISMATCH']);
  });

  it('refuses a bad signature, an unknown key, and a non-JWS', async () => {
    const rcpt = await receiptFor(transfer);
    const [h, p, s] = rcpt.split('.') as [string, string, string];
    const flipped = Buffer.from(s, 'base64url');
    flipped[0]! ^= 0x01;
    const bad = await send(base, transfer, { [RECEIPT_HEADER]: `${h}.${p}.${flipped.toString('base64url')}` });
    expect([bad.status, bad.json.code]).toEqual([401, 'RECEIPT_SIGNATURE_INVALID']);

    // Signed by a key the gateway does not publish, under the published kid: signature check fails.
    const impostor = new TestSigner();
    impostor.keys.get('receipt')!.kid = signer.keys.get('receipt')!.kid;
    const forged = await send(base, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer, {}, {}, impostor) });
    expect([forged.status, forged.json.code]).toEqual([401, 'RECEIPT_SIGNATURE_INVALID']);

    const unknown = await send(base, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer, {}, {}, new TestSigner()) });
    expect([unknown.status, unknown.json.code]).toEqual([401, 'RECEIPT_KEY_UNKNOWN']);

    const junk = await send(base, transfer, { [RECEIPT_HEADER]: 'not-a-receipt' });
    expect([junk.status, junk.json.code]).toEqual([401, 'RECEIPT_MALFORMED']);
  });

  it('refuses an Idempotency-Key that is not the action id', async () => {
    const r = await send(base, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer), [IDEMPOTENCY_KEY_HEADER]: 'act_other' });
    expect([r.status, r.json.code]).toEqual([403, 'RECEIPT_IDEMPOTENCY_KEY_MISMATCH']);
  });

  it('checks the quorum of CRITICAL receipts', async () => {
    const at = Math.floor(Date.now() / 1000) - 30;
    const quorum = { all_of: [{ group: 'treasury', min: 2 }], comparator: 'auditor' };
    const ok = [
      { who: 'ann', device: 'p1', at, group: 'treasury' },
      { who: 'bob', device: 'p2', at, group: 'treasury' },
      { who: 'cy', device: 'p3', at, group: 'auditor' },
    ];
    const good = await send(base, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer, { tier: 'CRITICAL', approvals: ok, quorum }) });
    expect([good.status, good.json.tier]).toEqual([200, 'CRITICAL']);
    const short = await send(base, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer, { tier: 'CRITICAL', approvals: ok.slice(1), quorum }) });
    expect([short.status, short.json.code]).toEqual([403, 'RECEIPT_QUORUM_UNSATISFIED']);
  });

  it('with requireQuorum, refuses CRITICAL receipts without a quorum', async () => {
    const strict = await actuator({ requireQuorum: true });
    const apv = [{ who: 'ann', device: 'p1', at: Math.floor(Date.now() / 1000), group: 'treasury' }];
    const r = await send(strict, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer, { tier: 'CRITICAL', approvals: apv }) });
    expect([r.status, r.json.code]).toEqual([403, 'RECEIPT_QUORUM_MISSING']);
  });

  it('accepts a local JWKS object as well as a URL', async () => {
    const local = await actuator({ jwks: signer.jwks('receipt') as never });
    expect((await send(local, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer) })).status).toBe(200);
  });

  it('fails closed (503) when the JWKS cannot be fetched', async () => {
    const dead = await actuator({ jwks: new URL('http://127.0.0.1:9/.well-known/jwks.json') });
    const r = await send(dead, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer) });
    expect([r.status, r.json.code]).toEqual([503, 'RECEIPT_KEYS_UNAVAILABLE']);
  });

  it('works behind a body parser that captured the raw body, and says so when it did not', async () => {
    const captured = await actuator({}, (app) => app.use(express.json({ verify: captureRawBody })));
    expect((await send(captured, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer) })).status).toBe(200);
    const blind = await actuator({}, (app) => app.use(express.json()));
    const r = await send(blind, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer) });
    expect([r.status, r.json.code]).toEqual([500, 'ACTUATOR_MISCONFIGURED']);
  });

  it('refuses bodies over the limit with 413 and invalid JSON with 400', async () => {
    const small = await actuator({ bodyLimitBytes: 16 });
    const big = await send(small, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer) });
    expect([big.status, big.json.code]).toEqual([413, 'BODY_TOO_LARGE']);
    const broken: Req = { method: 'POST', path: '/x', body: '{"a":' };
    const r = await send(base, broken, { [RECEIPT_HEADER]: await receiptFor(broken) });
    expect([r.status, r.json.code]).toEqual([400, 'BODY_INVALID_JSON']);
    // A body with two readings is refused even under a valid receipt, and the receipt is not used up.
    const twice: Req = { method: 'POST', path: '/x', body: '{"amount":50000,"amount":1}' };
    const receipt = await receiptFor(twice);
    const d = await send(base, twice, { [RECEIPT_HEADER]: receipt });
    expect([d.status, d.json.code]).toEqual([400, 'JSON_DUPLICATE_KEY']);
  });
});

describe('analogFirewall() with the Redis replay cache', () => {
  let redis: Redis;
  const prefix = `af:test:${randomUUID()}:`;

  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('refuses a replay across two actuator instances sharing Redis, and the key expires with the receipt', async () => {
    const a = await actuator({ replayCache: new RedisReplayCache(redis, { prefix }) });
    const b = await actuator({ replayCache: new RedisReplayCache(redis, { prefix }) });
    const jti = randomUUID();
    const rcpt = await receiptFor(transfer, {}, { jti, ttlSec: 30 });
    expect((await send(a, transfer, { [RECEIPT_HEADER]: rcpt })).status).toBe(200);
    const replay = await send(b, transfer, { [RECEIPT_HEADER]: rcpt });
    expect([replay.status, replay.json.code]).toEqual([403, 'RECEIPT_REPLAYED']);
    expect(await redis.exists(prefix + jti)).toBe(1);
    const ttl = await redis.pttl(prefix + jti);
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(36_000); // exp + 5 s tolerance
  });

  it('concurrent use of one receipt: exactly one request wins', async () => {
    const a = await actuator({ replayCache: new RedisReplayCache(redis, { prefix }) });
    const rcpt = await receiptFor(transfer);
    const results = await Promise.all(Array.from({ length: 8 }, () => send(a, transfer, { [RECEIPT_HEADER]: rcpt })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.json.code === 'RECEIPT_REPLAYED')).toHaveLength(7);
  });

  it('fails closed (503) when Redis is unreachable', async () => {
    const down = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    down.on('error', () => {});
    const a = await actuator({ replayCache: new RedisReplayCache(down, { prefix }) });
    const r = await send(a, transfer, { [RECEIPT_HEADER]: await receiptFor(transfer) });
    expect([r.status, r.json.code]).toEqual([503, 'RECEIPT_REPLAY_CACHE_UNAVAILABLE']);
    down.disconnect();
  });
});
