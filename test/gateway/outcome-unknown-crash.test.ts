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

/**
 * SIGKILL in the unknown window: the actuator carried the action out but answers after the
 * gateway stopped waiting, so the action is durably `outcome_unknown` with a resend due; the
 * gateway dies before (or while) resending. After a restart the resend goes out under the same
 * Idempotency-Key, the actuator recognises it, and the action is executed exactly once.
 */
let dir: string;
let url: string;
let env: Record<string, string>;
let payments: ExampleActuator;
let infra: ExampleActuator;
let gw: GatewayProcess | undefined;
const agent = generateKeyPairSync('ed25519');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'af-unknown-crash-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  payments = await startExampleActuator({ name: 'payments', gatewayUrl: url, issuer: url });
  // Executes at once, answers 1.5 s later: three times the gateway's patience.
  infra = await startExampleActuator({ name: 'infra', gatewayUrl: url, issuer: url, responseDelayMs: 1500 });
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, examplePolicyText({ payments: payments.url, infra: infra.url }));
  env = { PORT: String(port), DATA_DIR: join(dir, 'data'), POLICY_FILE: policyFile, SCHEDULER_TICK_MS: '50', UPSTREAM_TIMEOUT_MS: '500' };
  gw = await startGatewayProcess(env, url);
  await registerAgent(dir, env, 'crash-agent', agent.publicKey);
});
afterAll(async () => {
  await gw?.kill('SIGKILL');
  await payments.close();
  await infra.close();
  rmSync(dir, { recursive: true, force: true });
});

async function as(method: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const token = await mintAssertion(agent.privateKey, { id: 'crash-agent', aud: url, method, path });
  return fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, ...headers } });
}

describe('crash in the unknown window (SIGKILL)', () => {
  it('an action left outcome_unknown by a killed gateway is resent after restart and executed exactly once', async () => {
    const res = await as('GET', '/proxy/infra/status', { 'idempotency-key': 'unknown-crash' });
    expect(res.status).toBe(202);
    const a = (await res.json()) as { id: string; status: string; resendAt?: string };
    expect(a.status).toBe('outcome_unknown');
    expect(a.resendAt).toBeDefined();
    await gw!.kill('SIGKILL');
    expect(infra.executions.filter((e) => e.key === a.id)).toHaveLength(1);
    gw = await startGatewayProcess(env, url);
    const final = await waitFor(async () => {
      const v = (await (await as('GET', `/v1/actions/${a.id}`)).json()) as { status: string; result?: { status: number } };
      return v.status === 'executed' ? v : undefined;
    }, 20_000);
    expect(final.result?.status).toBe(200);
    expect(infra.executions.filter((e) => e.key === a.id)).toHaveLength(1);
    expect(infra.duplicates).toBeGreaterThan(0);
  });
});
