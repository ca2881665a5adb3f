/**
 * `npm run cluster` on embedded defaults (no POLICY_FILE) beside another gateway's example
 * actuators: it takes the EXAMPLE_*_PORT variables as `npm start` does, starts its example
 * actuators and webhook receiver there and gives its replicas the example policy with those
 * upstreams and that webhook; a port already taken stops it with one line naming the variable that moves it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAssertion } from '../helpers/assertion.ts';
import { examplePortsEnv } from '../helpers/example-ports.ts';
import { freePort } from '../helpers/free-port.ts';
import { ROOT, waitFor } from '../helpers/harness.ts';
import { PG_ADMIN_URL } from '../helpers/postgres.ts';
import { deleteKeys, seedEpoch, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.ts';

const database = `af_cluster_emb_${process.pid}_${randomBytes(4).toString('hex')}`;
const prefix = uniquePrefix('cluster-embedded');
let dir: string;
const children: ChildProcess[] = [];

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A one-replica cluster on embedded defaults; its output as it comes. */
async function cluster(name: string, ports: Record<string, string>): Promise<{ child: ChildProcess; output: () => string; env: Record<string, string> }> {
  const dbUrl = new URL(PG_ADMIN_URL);
  dbUrl.pathname = `/${database}`;
  const env: Record<string, string> = {
    PORT: String(await freePort()),
    CLUSTER_REPLICA_PORTS: String(await freePort()),
    CLUSTER_HSM_PORT: String(await freePort()),
    DATA_DIR: join(dir, name),
    POLICY_FILE: '',
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    ...ports,
  };
  let out = '';
  const child = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'cluster', '--replicas', '1'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, env };
}

const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'af-cluster-embedded-'));
  // As on a deployment whose Redis has been up a while: an assertion made in the cluster's first
  // second is not refused as made before the replay cache began (REPLAY_CACHE_RESTARTED).
  await seedEpoch(SHARED_REDIS_URL, prefix, Date.now() - 60_000);
});
afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await exited(c);
  }
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  await deleteKeys(SHARED_REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('npm run cluster on embedded defaults, example actuators on ports of its own', () => {
  it('starts them where EXAMPLE_*_PORT says: the tour’s LOW read through the balancer reaches them, a MEDIUM transfer’s announcement reaches the receiver', async () => {
    const ports = await examplePortsEnv();
    const c = await cluster('moved', ports);
    await waitFor(() => {
      if (c.child.exitCode !== null) throw new Error(`cluster exited during start-up:\n${c.output()}`);
      return /Analog Firewall cluster: .*/.test(c.output()) || undefined;
    }, 120_000, 200);
    // Each is on the port it was given, and wants a receipt like any actuator.
    expect((await fetch(`http://127.0.0.1:${ports.EXAMPLE_PAYMENTS_PORT}/balances/acc-1`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${ports.EXAMPLE_INFRA_PORT}/`)).status).toBe(401);
    const url = `http://127.0.0.1:${c.env['PORT']}`;
    const key = createPrivateKey({ key: JSON.parse(readFileSync(join(c.env['DATA_DIR']!, 'demo-agent.jwk'), 'utf8')) as JsonWebKey, format: 'jwk' });
    const path = '/proxy/payments/balances/acc-1';
    const res = await fetch(url + path, { headers: { authorization: `Bearer ${await mintAssertion(key, { id: 'demo-agent', aud: url, method: 'GET', path })}`, 'idempotency-key': 'cluster-moved-1' } });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ account: 'acc-1', currency: 'EUR' });
    // MEDIUM: announced by webhook to the example policy's hook, moved to EXAMPLE_WEBHOOK_PORT.
    const body = JSON.stringify({ payee: 'DE89370400440532013000', amount: 250, currency: 'EUR' });
    const transfer = '/proxy/payments/transfers';
    const medium = await fetch(url + transfer, {
      method: 'POST',
      headers: { authorization: `Bearer ${await mintAssertion(key, { id: 'demo-agent', aud: url, method: 'POST', path: transfer })}`, 'idempotency-key': 'cluster-moved-2', 'content-type': 'application/json' },
      body,
    });
    expect(medium.status, await medium.clone().text()).toBe(202);
    const { id } = (await medium.json()) as { id: string };
    await waitFor(() => c.output().includes(`[webhook] action.cooling ${id} (msg_${id}_cooling)`) || undefined, 20_000, 100);
    expect(c.output()).not.toContain('webhook not delivered');
    c.child.kill('SIGTERM');
    await exited(c.child);
  }, 150_000);

  it('a port already taken stops it with one line naming the variable that moves it', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    try {
      const port = String((taken.address() as { port: number }).port);
      const c = await cluster('taken', { ...(await examplePortsEnv()), EXAMPLE_PAYMENTS_PORT: port });
      await exited(c.child);
      expect(c.child.exitCode, c.output()).not.toBe(0);
      expect(c.output()).toContain(`port ${port} is already in use (another gateway or program listens there): set EXAMPLE_PAYMENTS_PORT to a free port`);
      expect(c.output()).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  }, 90_000);
});
