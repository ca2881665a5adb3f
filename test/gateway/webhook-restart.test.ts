import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleActuator, type ExampleActuator } from '../../examples/actuators.ts';
import { mintAssertion } from '../helpers/assertion.ts';
import { freePort } from '../helpers/free-port.ts';
import { registerAgent, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts';
import { examplePolicyText, waitFor } from '../helpers/harness.ts';

/**
 * Webhooks are queued in memory. A gateway killed while a delivery waits to be retried loses it;
 * the action it announced still waits (cooling, here), and the people who could veto it were
 * never told. The restarted gateway announces again what still waits on people.
 */
let dir: string;
let url: string;
let env: Record<string, string>;
let hookPort: number;
let payments: ExampleActuator;
let infra: ExampleActuator;
let gw: GatewayProcess | undefined;
let receiver: Server | undefined;
const agent = generateKeyPairSync('ed25519');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'af-hook-restart-'));
  const port = await freePort();
  hookPort = await freePort();
  url = `http://127.0.0.1:${port}`;
  payments = await startExampleActuator({ name: 'payments', gatewayUrl: url, issuer: url });
  infra = await startExampleActuator({ name: 'infra', gatewayUrl: url, issuer: url });
  const policyFile = join(dir, 'policy.yaml');
  // Cooling long enough to outlast the restart: the action still waits when the gateway is back.
  writeFileSync(policyFile, examplePolicyText({ payments: payments.url, infra: infra.url }, (y) => y.replace(/cooling: 1s/g, 'cooling: 10m').replace('http://127.0.0.1:9999/hook', `http://127.0.0.1:${hookPort}/hook`)));
  env = { PORT: String(port), DATA_DIR: join(dir, 'data'), POLICY_FILE: policyFile, SCHEDULER_TICK_MS: '50' };
  gw = await startGatewayProcess(env, url);
  await registerAgent(dir, env, 'hook-agent', agent.publicKey);
});
afterAll(async () => {
  await gw?.kill('SIGKILL');
  receiver?.close();
  await payments.close();
  await infra.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(method: string, path: string, key: string, body?: unknown): Promise<Response> {
  const token = await mintAssertion(agent.privateKey, { id: 'hook-agent', aud: url, method, path });
  return fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('webhooks across a restart', () => {
  it('killed while the announcement of a cooling action waits to be retried: the restarted gateway announces it again, under the same message id', async () => {
    // The receiver is down: the first delivery is refused, and the retry waits seconds in memory.
    const res = await send('POST', '/proxy/payments/transfers', 'hook-cooling', { payee: 'DE02', amount: 100, currency: 'EUR' });
    expect(res.status).toBe(202);
    const a = (await res.json()) as { id: string; status: string };
    expect(a.status).toBe('cooling');
    // A LOW action beside it: never announced, before or after.
    expect((await send('GET', '/proxy/payments/balances/acc-1', 'hook-low')).status).toBe(200);
    await gw!.kill('SIGKILL');

    const deliveries: { id: string; type: string; data: { id: string; status: string } }[] = [];
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const msg = JSON.parse(body) as { type: string; data: { id: string; status: string } };
        deliveries.push({ id: String(req.headers['webhook-id']), type: msg.type, data: msg.data });
        res.writeHead(204).end();
      });
    });
    receiver.listen(hookPort, '127.0.0.1');
    await once(receiver, 'listening');

    gw = await startGatewayProcess(env, url);
    const got = await waitFor(() => deliveries.find((d) => d.id === `msg_${a.id}_cooling`), 15_000);
    expect(got).toMatchObject({ type: 'action.cooling', data: { id: a.id, status: 'cooling' } });
    // The first delivery never arrived; this one did, once, and nothing else was announced.
    expect(deliveries.map((d) => d.id)).toEqual([`msg_${a.id}_cooling`]);
    expect(gw.output()).not.toMatch(/"level":(50|60)/);
  }, 60_000);
});
