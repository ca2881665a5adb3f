import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../clients/actuator/index.ts';
import {
  asymmetricWebhookSignature,
  generateWebhookSecret,
  symmetricWebhookSignature,
  webhookPublicKey,
} from '../../src/adapters/notify/webhook-signature.ts';
import { WebhookSender, type DeliveryOutcome } from '../../src/adapters/notify/webhook-sender.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import { listen } from './helpers/http.ts';
import { TestSigner } from './helpers/test-signer.ts';

const signer = new TestSigner();
const secret = generateWebhookSecret(new Uint8Array(32).fill(7));
const now = Date.UTC(2026, 0, 1, 12);
const ts = now / 1000;
const body = '{"type":"action.status","data":{"id":"act_1","status":"executed"}}';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isFirewallError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('Standard Webhooks signatures', () => {
  it('matches the reference v1 test vector of the standard-webhooks libraries', () => {
    expect(symmetricWebhookSignature('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('v1 (HMAC): verifies, and refuses a tampered body, wrong secret, stale or future timestamp', () => {
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': symmetricWebhookSignature(secret, 'msg_1', ts, body) };
    expect(verifyWebhook(headers, body, { secret, now })).toEqual({ id: 'msg_1', timestamp: ts, scheme: 'v1' });
    expect(verifyWebhook(headers, Buffer.from(body), { secret, now }).id).toBe('msg_1');
    expect(code(() => verifyWebhook(headers, body.replace('executed', 'vetoed'), { secret, now }))).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(code(() => verifyWebhook(headers, body, { secret: generateWebhookSecret(new Uint8Array(32).fill(8)), now }))).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(code(() => verifyWebhook({ ...headers, 'webhook-id': 'msg_2' }, body, { secret, now }))).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(code(() => verifyWebhook(headers, body, { secret, now: now + 301_000 }))).toBe('WEBHOOK_TIMESTAMP_STALE');
    expect(code(() => verifyWebhook(headers, body, { secret, now: now - 301_000 }))).toBe('WEBHOOK_TIMESTAMP_FUTURE');
    expect(verifyWebhook(headers, body, { secret, now: now + 900_000, toleranceSec: 1000 }).id).toBe('msg_1');
  });

  it('v1a (Ed25519 through the Signer): verifies with whpk_, JWK or KeyObject; refuses tampering and staleness', async () => {
    const sig = await asymmetricWebhookSignature(signer, 'msg_a', ts, body);
    expect(sig).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    const publicKey = webhookPublicKey(await signer.publicKey('webhook'));
    expect(publicKey).toMatch(/^whpk_/);
    const headers = new Headers({ 'webhook-id': 'msg_a', 'webhook-timestamp': String(ts), 'webhook-signature': sig });
    expect(verifyWebhook(headers, body, { publicKey, now })).toEqual({ id: 'msg_a', timestamp: ts, scheme: 'v1a' });
    expect(verifyWebhook(headers, body, { publicKey: signer.jwks('webhook').keys[0] as never, now }).scheme).toBe('v1a');
    expect(code(() => verifyWebhook(headers, `${body} `, { publicKey, now }))).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(code(() => verifyWebhook(headers, body, { publicKey, now: now + 600_000 }))).toBe('WEBHOOK_TIMESTAMP_STALE');
    // A v1a-only header gives a secret-holder nothing to check.
    expect(code(() => verifyWebhook(headers, body, { secret, now }))).toBe('WEBHOOK_SIGNATURE_INVALID');
  });

  it('accepts any matching entry of a space-separated list (key rotation), refuses malformed headers', () => {
    const good = symmetricWebhookSignature(secret, 'msg_1', ts, body);
    const headers = { 'Webhook-Id': 'msg_1', 'Webhook-Timestamp': String(ts), 'Webhook-Signature': `v1,AAAA v1a,BBBB ${good}` };
    expect(verifyWebhook(headers, body, { secret, now }).id).toBe('msg_1');
    expect(code(() => verifyWebhook({ 'webhook-id': 'msg_1', 'webhook-signature': good }, body, { secret, now }))).toBe('WEBHOOK_HEADERS_MISSING');
    expect(code(() => verifyWebhook({ ...headers, 'Webhook-Timestamp': '12.5' }, body, { secret, now }))).toBe('WEBHOOK_HEADERS_INVALID');
    expect(code(() => verifyWebhook({ ...headers, 'Webhook-Id': 'a.b' }, body, { secret, now }))).toBe('WEBHOOK_HEADERS_INVALID');
    expect(code(() => verifyWebhook(headers, body, { now }))).toBe('WEBHOOK_KEY_INVALID');
  });

  it('v1a needs an Ed25519 webhook key', async () => {
    const es = new TestSigner({ webhook: 'ES256' });
    await expect(asymmetricWebhookSignature(es, 'msg_1', ts, body)).rejects.toMatchObject({ code: 'WEBHOOK_SIGNING_FAILED' });
  });
});

describe('WebhookSender', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  /** A receiver that answers each attempt from `script` (last entry repeats) and records what it got. */
  async function receiver(script: Array<{ status: number; retryAfter?: string; delayMs?: number }>) {
    const got: Array<{ headers: Record<string, string>; body: string; at: number }> = [];
    const app = express();
    app.post('/hook', express.raw({ type: () => true }), async (req, res) => {
      got.push({ headers: req.headers as Record<string, string>, body: (req.body as Buffer).toString('utf8'), at: Date.now() });
      const step = script[Math.min(got.length - 1, script.length - 1)]!;
      if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
      if (step.retryAfter !== undefined) res.setHeader('Retry-After', step.retryAfter);
      res.status(step.status).end();
    });
    const srv = await listen(app);
    closers.push(srv.close);
    return { url: `${srv.url}/hook`, got };
  }

  it('retries with backoff until delivered; same id, fresh timestamp, both signatures verify each time', async () => {
    const rx = await receiver([{ status: 500 }, { status: 429, retryAfter: '0' }, { status: 204 }]);
    const outcomes: DeliveryOutcome[] = [];
    const sender = new WebhookSender({ signer, baseDelayMs: 20, maxDelayMs: 200, onOutcome: (o) => outcomes.push(o) });
    const publicKey = webhookPublicKey(await signer.publicKey('webhook'));
    const h = sender.send({ url: rx.url, secret, asymmetric: true }, { type: 'action.status', data: { id: 'act_1', status: 'executed' } });
    const outcome = await h.done;
    expect(outcome).toEqual({ id: h.id, url: rx.url, delivered: true, attempts: 3, status: 204 });
    expect(outcomes).toEqual([outcome]);
    expect(rx.got).toHaveLength(3);
    for (const g of rx.got) {
      expect(g.headers['webhook-id']).toBe(h.id);
      expect(g.headers['content-type']).toBe('application/json');
      expect(verifyWebhook(g.headers, g.body, { secret }).scheme).toBe('v1');
      expect(verifyWebhook(g.headers, g.body, { publicKey }).scheme).toBe('v1a');
      expect(JSON.parse(g.body)).toMatchObject({ type: 'action.status', data: { id: 'act_1', status: 'executed' } });
    }
    expect(rx.got[2]!.at - rx.got[0]!.at).toBeGreaterThanOrEqual(10);
  });

  it('never blocks the caller: send() returns before the receiver answers', async () => {
    const rx = await receiver([{ status: 200, delayMs: 300 }]);
    const sender = new WebhookSender({ signer });
    const h = sender.send({ url: rx.url }, { type: 't', data: 1 });
    // Shown by order, not by a stopwatch: send() has returned, and the delivery is still pending.
    let settled = false;
    void h.done.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    expect(sender.pending).toBe(1);
    expect((await h.done).delivered).toBe(true);
    expect(sender.pending).toBe(0);
  });

  it('stops at 410 Gone, gives up after maxAttempts, reports unreachable endpoints', async () => {
    const gone = await receiver([{ status: 410 }]);
    const sender = new WebhookSender({ signer, baseDelayMs: 5, maxAttempts: 3 });
    expect(await sender.send({ url: gone.url }, { type: 't', data: 1 }).done).toMatchObject({ delivered: false, attempts: 1, failure: 'gone', status: 410 });
    const failing = await receiver([{ status: 503 }]);
    expect(await sender.send({ url: failing.url }, { type: 't', data: 1 }).done).toMatchObject({ delivered: false, attempts: 3, failure: 'exhausted', status: 503 });
    expect(failing.got).toHaveLength(3);
    const unreachable = await sender.send({ url: 'http://127.0.0.1:9/hook' }, { type: 't', data: 1 }).done;
    expect(unreachable).toMatchObject({ delivered: false, attempts: 3, failure: 'exhausted' });
    expect(unreachable.lastError).toMatch(/^request failed/);
  });

  it('is bounded: drops beyond maxPending; close() cancels waiting retries', async () => {
    const slow = await receiver([{ status: 500 }]);
    const sender = new WebhookSender({ signer, baseDelayMs: 60_000, maxPending: 2 });
    const a = sender.send({ url: slow.url }, { type: 't', data: 1 });
    const b = sender.send({ url: slow.url }, { type: 't', data: 2 });
    const c = sender.send({ url: slow.url }, { type: 't', data: 3 });
    expect(await c.done).toMatchObject({ delivered: false, attempts: 0, failure: 'dropped' });
    await new Promise((r) => setTimeout(r, 100)); // both first attempts failed; now waiting 30-60 s to retry
    const t0 = performance.now();
    await sender.close();
    // The retries were 30-60 s away: returning well before that means they were cancelled, not awaited.
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(await a.done).toMatchObject({ delivered: false, failure: 'closed', attempts: 1 });
    expect(await b.done).toMatchObject({ delivered: false, failure: 'closed' });
    expect(await sender.send({ url: slow.url }, { type: 't', data: 4 }).done).toMatchObject({ failure: 'closed' });
  });

  it('reports misconfigured endpoints instead of throwing', async () => {
    const sender = new WebhookSender({});
    expect(await sender.send({ url: 'http://127.0.0.1:9/x' }, { type: 't', data: 1 }).done).toMatchObject({ failure: 'invalid_endpoint' });
    expect(await sender.send({ url: 'ftp://x/y', secret }, { type: 't', data: 1 }).done).toMatchObject({ failure: 'invalid_endpoint' });
    expect(await sender.send({ url: 'http://x/y', secret: 'whsec_short' }, { type: 't', data: 1 }).done).toMatchObject({ failure: 'invalid_endpoint' });
    expect(await sender.send({ url: 'http://x/y', secret }, { id: 'msg.1', type: 't', data: 1 }).done).toMatchObject({ failure: 'invalid_message' });
    expect(await sender.send({ url: 'http://x/y', secret }, { type: 't', data: 1n }).done).toMatchObject({ failure: 'invalid_message' });
  });
});
