import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../clients/agent/index.ts';
import { verifyWebhook } from '../../clients/actuator/index.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';

let h: Harness;
let receiver: Server;
const deliveries: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  h = await startHarness({ editPolicy: (y) => y.replace('http://127.0.0.1:9999/hook', hook) });
});
afterAll(async () => {
  await h.close();
  receiver.close();
});

describe('human notification', () => {
  it('a cooling action is announced by a Standard Webhook signed with the HSM webhook key', async () => {
    const res = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'p1', amount: 90, currency: 'EUR' }, headers: { 'idempotency-key': 'n1' } });
    const a = (await res.json()) as { id: string };
    const d = await waitFor(() => deliveries.find((x) => x.body.includes(a.id) && x.body.includes('"action.cooling"')));
    const jwks = (await (await fetch(`${h.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    const key = jwks.keys.find((k) => k['af:purpose'] === 'webhook')!;
    const verified = verifyWebhook(d.headers, d.body, { publicKey: key as JsonWebKey });
    expect(verified.scheme).toBe('v1a');
    expect(() => verifyWebhook(d.headers, d.body.replace('p1', 'p2'), { publicKey: key as JsonWebKey })).toThrow();
    expect(JSON.parse(d.body)).toMatchObject({ type: 'action.cooling', data: { id: a.id, status: 'cooling', tier: 'MEDIUM' } });
  });

  it('LOW actions are not announced', async () => {
    const r = await h.as('agent', 'GET', '/proxy/payments/balances/acc-2', { headers: { 'idempotency-key': 'n-low' } });
    const id = r.headers.get('analog-firewall-action')!;
    await new Promise((res) => setTimeout(res, 200));
    expect(deliveries.some((x) => x.body.includes(id))).toBe(false);
  });

  it('the agent SDK follows an action to its outcome over SSE and over long-poll', async () => {
    const client = new AgentClient({ baseUrl: h.url, agentId: 'agent-1', privateKey: h.agentKey });
    const s = await client.submit(
      { actuator: 'payments', operation: 'transfer', target: 'p9', amount: 75, currency: 'EUR', reversibility: 'partially_reversible' },
      { idempotencyKey: 'sdk-1' },
    );
    expect(s.action.status).toBe('cooling');
    const viaSse = await client.waitForOutcome(s.action.id, { timeoutMs: 10_000, mode: 'sse' });
    expect(viaSse.status).toBe('executed');
    const again = await client.waitForOutcome(s.action.id, { timeoutMs: 10_000, mode: 'poll' });
    expect(again.status).toBe('executed');
  });

  it('the all-actions stream is for humans only, and carries every change', async () => {
    expect((await h.as('agent', 'GET', '/v1/events')).status).toBe(403);
    const ac = new AbortController();
    const stream = await h.as('alice', 'GET', '/v1/events', { signal: ac.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body!.getReader();
    const r = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'p5', amount: 20, currency: 'EUR' }, headers: { 'idempotency-key': 'n-stream' } });
    const id = ((await r.json()) as { id: string }).id;
    let text = '';
    while (!text.includes(id)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ac.abort();
    expect(text).toContain('event: status');
    expect(text).toContain(id);
  });
});
