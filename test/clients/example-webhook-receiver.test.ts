import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleWebhookReceiver, type ExampleWebhookReceiver } from '../../examples/webhook-receiver.ts';
import { asymmetricWebhookSignature } from '../../src/adapters/notify/webhook-signature.ts';
import { freePort } from '../helpers/free-port.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { MemorySigner } from '../helpers/memory-signer.ts';

/**
 * The receiver `npm start` runs for the example policy's webhook (examples/webhook-receiver.ts),
 * against a real gateway: it takes what the gateway signs, once per message id, and refuses the rest.
 */

let h: Harness;
let receiver: ExampleWebhookReceiver;
let hook: string;

beforeAll(async () => {
  const port = await freePort();
  hook = `http://127.0.0.1:${port}/hook`;
  h = await startHarness({ editPolicy: (y) => y.replace('http://127.0.0.1:9999/hook', hook) });
  receiver = await startExampleWebhookReceiver({ port, gatewayUrl: h.url });
});
afterAll(async () => {
  await receiver?.close();
  await h?.close();
});

const post = (body: string, headers: Record<string, string>) => fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('the example webhook receiver', () => {
  it("takes the gateway's announcement of a cooling action, its signature checked against the published key", async () => {
    const res = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'p1', amount: 90, currency: 'EUR' }, headers: { 'idempotency-key': 'wr-1' } });
    const { id } = (await res.json()) as { id: string };
    const n = await waitFor(() => receiver.received.find((x) => x.action === id));
    expect(n).toEqual({ id: `msg_${id}_cooling`, type: 'action.cooling', action: id });
  });

  it('refuses a delivery signed with another key, one without signature headers, and a body that is not JSON', async () => {
    const before = receiver.received.length;
    const body = JSON.stringify({ type: 'action.cooling', timestamp: new Date().toISOString(), data: { id: 'act_forged' } });
    const ts = Math.floor(Date.now() / 1000);
    const forged = await post(body, { 'webhook-id': 'msg_forged', 'webhook-timestamp': String(ts), 'webhook-signature': await asymmetricWebhookSignature(new MemorySigner(), 'msg_forged', ts, body) });
    expect(forged.status).toBe(401);
    // The key was fetched for the first delivery; a forgery does not make the receiver ask the gateway again.
    expect(receiver.keyFetches).toBe(1);
    expect(forged.headers.get('content-type')).toBe('application/problem+json');
    expect(await forged.json()).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID', status: 401 });

    const bare = await post(body, {});
    expect(bare.status).toBe(400);
    expect(await bare.json()).toMatchObject({ code: 'WEBHOOK_HEADERS_MISSING' });

    const notJson = await post('{"type":', { 'webhook-id': 'msg_x', 'webhook-timestamp': String(ts), 'webhook-signature': 'v1a,AAAA' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ code: 'WEBHOOK_PAYLOAD_INVALID' });
    const elsewhere = await fetch(hook.replace('/hook', '/other'));
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    expect(receiver.received.length).toBe(before);
  });

  it("names the action a challenge is for, not the challenge's own id", async () => {
    const body = JSON.stringify({ type: 'signature.challenge_issued', timestamp: new Date().toISOString(), data: { id: 'chl_1', actionId: 'act_of_chl_1' } });
    const ts = Math.floor(Date.now() / 1000);
    const res = await post(body, { 'webhook-id': 'msg_chl_1', 'webhook-timestamp': String(ts), 'webhook-signature': await asymmetricWebhookSignature(h.signer, 'msg_chl_1', ts, body) });
    expect(res.status).toBe(204);
    expect(receiver.received.find((n) => n.id === 'msg_chl_1')).toEqual({ id: 'msg_chl_1', type: 'signature.challenge_issued', action: 'act_of_chl_1' });
  });

  it('takes a message id once: a retry, or the announcement made again after a restart, is answered and not taken twice', async () => {
    const body = JSON.stringify({ type: 'action.awaiting_signature', timestamp: new Date().toISOString(), data: { id: 'act_twice' } });
    const deliver = async () => {
      const ts = Math.floor(Date.now() / 1000);
      return post(body, { 'webhook-id': 'msg_act_twice_awaiting_signature', 'webhook-timestamp': String(ts), 'webhook-signature': await asymmetricWebhookSignature(h.signer, 'msg_act_twice_awaiting_signature', ts, body) });
    };
    expect((await deliver()).status).toBe(204);
    expect((await deliver()).status).toBe(204);
    expect(receiver.received.filter((x) => x.action === 'act_twice')).toEqual([{ id: 'msg_act_twice_awaiting_signature', type: 'action.awaiting_signature', action: 'act_twice' }]);
  });
});
