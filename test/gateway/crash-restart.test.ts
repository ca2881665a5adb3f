import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleActuator, type ExampleActuator } from '../../examples/actuators.ts';
import { mintAssertion } from '../helpers/assertion.ts';
import { freePort } from '../helpers/free-port.ts';
import { registerAgent, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts';
import { examplePolicyText, waitFor } from '../helpers/harness.ts';

let dir: string;
let url: string;
let env: Record<string, string>;
let payments: ExampleActuator;
let infra: ExampleActuator;
let gw: GatewayProcess | undefined;
const agent = generateKeyPairSync('ed25519');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'af-crash-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  payments = await startExampleActuator({ name: 'payments', gatewayUrl: url, issuer: url, responseDelayMs: 1500 });
  infra = await startExampleActuator({ name: 'infra', gatewayUrl: url, issuer: url });
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, examplePolicyText({ payments: payments.url, infra: infra.url }, (y) => y.replace(/cooling: 1s/g, 'cooling: 3s')));
  env = { PORT: String(port), DATA_DIR: join(dir, 'data'), POLICY_FILE: policyFile, SCHEDULER_TICK_MS: '50', DISPATCH_LEASE_MS: '4000' };
  gw = await startGatewayProcess(env, url);
  await registerAgent(dir, env, 'crash-agent', agent.publicKey);
});
afterAll(async () => {
  await gw?.kill('SIGKILL');
  await payments.close();
  await infra.close();
  rmSync(dir, { recursive: true, force: true });
});

async function submitTransfer(key: string, amount: number): Promise<{ id: string; status: string }> {
  const token = await mintAssertion(agent.privateKey, { id: 'crash-agent', aud: url, method: 'POST', path: '/proxy/payments/transfers' });
  const res = await fetch(`${url}/proxy/payments/transfers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ payee: 'DE02', amount, currency: 'EUR' }),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as { id: string; status: string };
}

async function viewOf(id: string): Promise<{ status: string; notBefore?: string }> {
  const token = await mintAssertion(agent.privateKey, { id: 'crash-agent', aud: url, method: 'GET', path: `/v1/actions/${id}` });
  const res = await fetch(`${url}/v1/actions/${id}`, { headers: { authorization: `Bearer ${token}` } });
  return (await res.json()) as { status: string; notBefore?: string };
}

async function statusOf(id: string): Promise<string> {
  return (await viewOf(id)).status;
}

describe('crash safety (SIGKILL)', () => {
  it('killed during cooling: the action survives and executes exactly once after restart', async () => {
    const a = await submitTransfer('crash-cooling', 100);
    expect(a.status).toBe('cooling');
    await gw!.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 3500)); // cooling would have ended while the gateway was down
    expect(payments.executions.filter((e) => e.key === a.id)).toHaveLength(0);
    gw = await startGatewayProcess(env, url);
    await waitFor(() => payments.executions.find((e) => e.key === a.id), 15_000);
    await waitFor(async () => ((await statusOf(a.id)) === 'executed' ? true : undefined), 15_000);
    expect(payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
  });

  it('down for longer than what was left of a cooling period: the cooling clock stopped while no gateway ran, so the action still cools for what was left after restart, then executes once', async () => {
    const a = await submitTransfer('crash-outage', 105);
    expect(a.status).toBe('cooling');
    const due = Date.parse((await viewOf(a.id)).notBefore!);
    // A second of the 3 s period passes with the gateway up (it marks the store alive each second).
    await new Promise((r) => setTimeout(r, 1000));
    await gw!.kill('SIGKILL');
    // Down for 6 s: the period would have ended 2 s in (a silence of 5 s or more is an outage).
    await new Promise((r) => setTimeout(r, 6000));
    gw = await startGatewayProcess(env, url);
    const restartedAt = Date.now();
    const after = await viewOf(a.id);
    expect(after.status).toBe('cooling');
    expect(payments.executions.filter((e) => e.key === a.id)).toHaveLength(0);
    // What was left at the kill (about 2 s, and up to a beat more), counted again from the restart:
    // moved later by the whole outage, which began at the kill or at most a beat before it.
    const moved = Date.parse(after.notBefore!);
    expect(moved - due).toBeGreaterThanOrEqual(6000);
    expect(moved).toBeGreaterThan(restartedAt);
    // Not released before its new time, then released once.
    await new Promise((r) => setTimeout(r, Math.max(0, moved - 300 - Date.now())));
    expect(payments.executions.filter((e) => e.key === a.id)).toHaveLength(0);
    await waitFor(async () => ((await statusOf(a.id)) === 'executed' ? true : undefined), 15_000);
    expect(payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
  });

  it('killed while the upstream call is in flight: resent with the same idempotency key, executed once', async () => {
    const a = await submitTransfer('crash-inflight', 110);
    // The actuator carries out the effect, then answers 1.5 s later; kill the gateway in between.
    await waitFor(() => payments.executions.find((e) => e.key === a.id), 15_000);
    await gw!.kill('SIGKILL');
    const dupBefore = payments.duplicates;
    gw = await startGatewayProcess(env, url);
    await waitFor(async () => ((await statusOf(a.id)) === 'executed' ? true : undefined), 20_000);
    expect(payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
    expect(payments.duplicates).toBeGreaterThan(dupBefore); // the resend was recognised, not executed
  });
});
