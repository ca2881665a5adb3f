/**
 * Issue 13 item 6: the embedded hsm-sim child is supervised. A real gateway process (`start`) runs
 * its own hsm-sim; the test SIGKILLs that child and watches the gateway go not ready, restart the
 * device, become ready again, and execute the action it held exactly once.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleActuator, type ExampleActuator } from '../../examples/actuators.ts';
import { mintAssertion } from '../helpers/assertion.ts';
import { freePort } from '../helpers/free-port.ts';
import { registerAgent, runCli, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts';
import { examplePolicyText, waitFor } from '../helpers/harness.ts';

let dir: string;
let url: string;
let env: Record<string, string>;
let payments: ExampleActuator;
let infra: ExampleActuator;
let gw: GatewayProcess | undefined;
const agent = generateKeyPairSync('ed25519');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'af-hsm-supervision-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  payments = await startExampleActuator({ name: 'payments', gatewayUrl: url, issuer: url });
  infra = await startExampleActuator({ name: 'infra', gatewayUrl: url, issuer: url });
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, examplePolicyText({ payments: payments.url, infra: infra.url }, (y) => y.replace(/cooling: 1s/g, 'cooling: 2s')));
  // No HSM_SIM_SOCKET: the gateway starts hsm-sim as its own child.
  env = { PORT: String(port), DATA_DIR: join(dir, 'data'), POLICY_FILE: policyFile, SCHEDULER_TICK_MS: '50', LOG_LEVEL: 'info' };
  gw = await startGatewayProcess(env, url);
  await registerAgent(dir, env, 'sup-agent', agent.publicKey);
});
afterAll(async () => {
  await gw?.kill('SIGTERM');
  await payments.close();
  await infra.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Live hsm-sim processes on a data directory, from /proc. */
function devicesOn(dataDir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const args = cmd.split('\0');
    if (args.some((a) => a.endsWith('hsm-sim/main.ts')) && args[args.indexOf('--data-dir') + 1] === dataDir) out.push(Number(p));
  }
  return out;
}

const devicePid = () => Number(readFileSync(join(dir, 'data', 'hsm-sim', 'lock'), 'utf8').trim());
const readyStatus = async () => (await fetch(`${url}/readyz`)).status;

async function call(method: string, path: string, key: string, body?: unknown): Promise<Response> {
  const token = await mintAssertion(agent.privateKey, { id: 'sup-agent', aud: url, method, path: path.split('?')[0]! });
  return fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('hsm-sim supervision (real gateway process, real child)', () => {
  it('SIGKILLed child: not ready, restarted, ready again; the held action runs exactly once', async () => {
    expect(await readyStatus()).toBe(200);
    const res = await call('POST', '/proxy/payments/transfers', 'sup-1', { payee: 'DE02', amount: 100, currency: 'EUR' });
    expect(res.status).toBe(202);
    const a = (await res.json()) as { id: string; status: string };
    expect(a.status).toBe('cooling');

    const first = devicePid();
    process.kill(first, 'SIGKILL');
    // Polled fast: the restart comes after a 200 ms backoff plus the device's own start.
    await waitFor(async () => ((await readyStatus()) === 503 ? true : undefined), 10_000, 10);
    await waitFor(async () => ((await readyStatus()) === 200 ? true : undefined), 30_000);
    expect(devicePid()).not.toBe(first);
    expect(gw!.output()).toContain('hsm-sim exited unexpectedly (SIGKILL)');
    // Logged once the new device's start-up has finished, which can be just after it answers.
    await waitFor(() => (gw!.output().includes('"event":"hsm-sim.restarted"') ? true : undefined));

    await waitFor(async () => {
      const s = await call('GET', `/v1/actions/${a.id}`, 'unused');
      return ((await s.json()) as { status: string }).status === 'executed' ? true : undefined;
    }, 20_000);
    expect(payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
    // And signing works again for new actions: a LOW read gets its receipt and passes.
    expect((await call('GET', '/proxy/payments/balances/acc-1', 'sup-2')).status).toBe(200);
  });

  it('a tamper event is fatal: the gateway says so, stays not ready and executes nothing', async () => {
    const res = await call('POST', '/proxy/payments/transfers', 'sup-3', { payee: 'DE02', amount: 120, currency: 'EUR' });
    const a = (await res.json()) as { id: string; status: string };
    expect(a.status).toBe('cooling');
    const pid = devicePid();
    process.kill(pid, 'SIGUSR2'); // the case opened: the device zeroizes itself
    await waitFor(() => (gw!.output().includes('"event":"hsm-sim.zeroized"') ? true : undefined), 15_000);
    await waitFor(async () => ((await readyStatus()) === 503 ? true : undefined), 10_000);
    const body = (await (await fetch(`${url}/readyz`)).json()) as { checks: Record<string, { reason?: string }> };
    expect(body.checks['signer']?.reason).toMatch(/^DEVICE_ZEROIZED/);
    await new Promise((r) => setTimeout(r, 2500)); // the cooling ends while the device is zeroized
    expect(payments.executions.find((e) => e.key === a.id)).toBeUndefined();
    expect(await readyStatus()).toBe(503);
    expect(devicePid()).toBe(pid); // not restarted
    expect(gw!.child.exitCode).toBeNull(); // stays up, not ready: operators can read /readyz and the log
  });

  it('a gateway started on a zeroized device refuses to start, says why, and leaves no device behind', async () => {
    await gw!.kill('SIGTERM');
    gw = undefined;
    const { code, out } = await runCli(['start'], { ...env, LOG_LEVEL: 'info' });
    expect(code).not.toBe(0);
    expect(out).toContain('"event":"hsm-sim.zeroized"');
    expect(out).toMatch(/error DEVICE_ZEROIZED/);
    expect(devicesOn(join(dir, 'data', 'hsm-sim'))).toEqual([]); // the child it started has gone too
  });
});
