/**
 * Issue 13 item 10: two gateways on one machine. Real `start` processes on embedded defaults (their
 * own hsm-sim and example actuators): the second one runs beside the first once its ports are
 * moved by environment variables, and any port already taken stops start-up with one line naming
 * the variable to change and a non-zero exit code.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAssertion } from '../helpers/assertion.ts';
import { EXAMPLE_PORT_VARIABLES, examplePortsEnv } from '../helpers/example-ports.ts';
import { freePort } from '../helpers/free-port.ts';
import { failedStart, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts';
import { ROOT } from '../helpers/harness.ts';

let dir: string;
const running: GatewayProcess[] = [];
let first: Record<string, string>;

async function embeddedEnv(name: string): Promise<Record<string, string>> {
  return {
    PORT: String(await freePort()),
    DATA_DIR: join(dir, name),
    ...(await examplePortsEnv()),
    POLICY_FILE: '',
  };
}

/** The problem line of a failed start: hsm-sim's own start-up lines (JSON) aside. */
const errorLines = (out: string) => out.split('\n').filter((l) => l !== '' && !l.startsWith('{') && !l.startsWith('hsm-sim: generated'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'af-two-gateways-'));
  first = await embeddedEnv('a');
  running.push(await startGatewayProcess(first, `http://127.0.0.1:${first['PORT']}`));
});
afterAll(async () => {
  for (const g of running) await g.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('two gateways on one machine (real processes)', () => {
  it('a second gateway with its own PORT, DATA_DIR and example ports runs beside the first and serves the tour', async () => {
    const env = await embeddedEnv('b');
    const url = `http://127.0.0.1:${env['PORT']}`;
    running.push(await startGatewayProcess(env, url));
    const key = createPrivateKey({ key: JSON.parse(readFileSync(join(env['DATA_DIR']!, 'demo-agent.jwk'), 'utf8')) as import('node:crypto').JsonWebKey, format: 'jwk' });
    const path = '/proxy/payments/balances/acc-1';
    const token = await mintAssertion(key, { id: 'demo-agent', aud: url, method: 'GET', path });
    const res = await fetch(url + path, { headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'two-1' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ account: 'acc-1', currency: 'EUR' });
    // Its actuator is on the port it was given, and wants a receipt like any.
    expect((await fetch(`http://127.0.0.1:${env['EXAMPLE_PAYMENTS_PORT']}/balances/acc-1`)).status).toBe(401);
    // Its webhook receiver too, and it takes only what the gateway signed.
    const hook = await fetch(`http://127.0.0.1:${env['EXAMPLE_WEBHOOK_PORT']}/hook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"action.cooling"}' });
    expect(hook.status).toBe(400);
    expect(await hook.json()).toMatchObject({ code: 'WEBHOOK_HEADERS_MISSING' });
  });

  it('the invitation command it prints, run in another shell, reaches this gateway: its store and its port', async () => {
    const url = `http://127.0.0.1:${first['PORT']}`;
    const hint = /invite a person: (.+)\)$/m.exec(running[0]!.output())?.[1];
    expect(hint, running[0]!.output()).toMatch(/ npm run cli -- person invite alice$/);
    // A fresh shell: none of the variables the gateway was started with, only what the line says.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['PORT', 'HOST', 'DATA_DIR', 'PUBLIC_URL'].includes(k)));
    const printed = await new Promise<string>((resolve, reject) =>
      execFile('bash', ['-c', hint!], { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) => (err === null ? resolve(stdout) : reject(new Error(`${hint}: ${err.message}\n${stderr}`)))),
    );
    const link = new RegExp(`^http://localhost:${first['PORT']}/app/enrol#([A-Za-z0-9_-]+)$`, 'm').exec(printed);
    expect(link, printed).not.toBeNull();
    const res = await fetch(`${url}/app/api/invitation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: `http://localhost:${first['PORT']}` },
      body: JSON.stringify({ token: link![1] }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ person: 'alice' });
  });

  for (const variable of [...EXAMPLE_PORT_VARIABLES, 'PORT'] as const) {
    it(`a port already in use (${variable}) stops start-up with one line naming ${variable}, exit code non-zero`, async () => {
      const env = { ...(await embeddedEnv(`taken-${variable}`)), [variable]: first[variable]! };
      const { code, out } = await failedStart(env);
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      const lines = errorLines(out);
      expect(lines, out).toEqual([`error PORT_IN_USE: port ${first[variable]} is already in use (another gateway or program listens there): set ${variable} to a free port`]);
      expect(out).not.toMatch(/\n\s+at /); // no stack trace
    });
  }
});
