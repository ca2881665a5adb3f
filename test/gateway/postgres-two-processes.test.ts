/**
 * Issue 16 item 2: two real gateway processes (`start`) on one PostgreSQL database (a fresh one for
 * this run), sharing one hsm-sim over mutual TLS. They start at the same time on the empty
 * database (each migration applied once), both schedulers see every cooling action and every
 * ending signature window come due, and each is executed (or expired) exactly once; the log both
 * wrote is accepted by the offline verifier.
 */
import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../clients/regulator/verify-bundle.ts';
import type { ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import { PgStore } from '../../src/adapters/store/postgres/pg-store.ts';
import { MIGRATIONS } from '../../src/adapters/store/postgres/migrations/index.ts';
import { LogAppender } from '../../src/gateway/log/appender.ts';
import { registerPrincipal } from '../../src/gateway/register-principal.ts';
import { mintAssertion } from '../helpers/assertion.ts';
import { makeDevPki, type DevPki } from '../helpers/dev-pki.ts';
import { freePort } from '../helpers/free-port.ts';
import { runCli, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts';
import { examplePolicyText, waitFor } from '../helpers/harness.ts';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { Cleanup, startDevice, tempDir, USER_PIN, type Device } from '../hsm/helpers.ts';

const cleanup = new Cleanup();
let db: TestDatabase;
let pki: DevPki;
let device: Device;
let store: PgStore;
const seen: { path: string; receipt: string }[] = [];
const gateways: { url: string; gw: GatewayProcess }[] = [];
/** Both gateways answer to one PUBLIC_URL, as behind a load balancer. */
let publicUrl: string;
let agent: KeyObject;
let regulator: KeyObject;

async function as(url: string, id: string, key: KeyObject, method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<Response> {
  const token = await mintAssertion(key, { id, aud: publicUrl, method, path });
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** The whole log, exported through `url` with a regulator token, as the offline verifier sees it (the device root taken from the verifier key's chain; pinned out of band in real life). */
async function exportAndVerify(url: string): Promise<{ bundle: ExportBundle; report: Awaited<ReturnType<typeof verifyBundle>> }> {
  const issued = await as(url, 'rita', regulator, 'POST', '/v1/regulator/tokens', { scopes: ['log:read', 'log:export'] });
  expect(issued.status).toBe(201);
  const token = ((await issued.json()) as { access_token: string }).access_token;
  const exported = await fetch(`${url}/v1/regulator/export`, { headers: { authorization: `Bearer ${token}` } });
  expect(exported.status).toBe(200);
  const bundle = (await exported.json()) as ExportBundle;
  const key = (await (await fetch(`${url}/log/v1/verifier-key`)).json()) as { x5c: string[] };
  const root = new X509Certificate(Buffer.from(key.x5c[key.x5c.length - 1]!, 'base64')).toString();
  return { bundle, report: await verifyBundle(bundle, { rootPem: root }) };
}

beforeAll(async () => {
  db = await freshDatabase();
  cleanup.add(() => db.drop());
  const dir = await tempDir(cleanup, 'af-pg-two-');
  pki = makeDevPki(join(dir, 'pki'), ['gateway-a', 'gateway-b']);
  device = await startDevice(cleanup, await tempDir(cleanup), { tcp: { host: '127.0.0.1', port: 0 }, env: pki.deviceEnv(), clientTls: pki.client('gateway-a') });
  const upstream = createServer((req, res) => {
    seen.push({ path: req.url ?? '', receipt: String(req.headers['analog-firewall-receipt'] ?? '') });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  const upstreamPort = await freePort();
  await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));
  cleanup.add(() => new Promise<void>((r) => upstream.close(() => r())));
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, examplePolicyText({ payments: `http://127.0.0.1:${upstreamPort}/p`, infra: `http://127.0.0.1:${upstreamPort}/i` }));
  const ports = [await freePort(), await freePort()];
  publicUrl = `http://127.0.0.1:${ports[0]}`;
  const { port } = device.endpoint as { port: number };
  const envOf = (i: number, client: string) => ({
    PORT: String(ports[i]),
    PUBLIC_URL: publicUrl,
    DATA_DIR: join(dir, `data-${i}`),
    POLICY_FILE: policyFile,
    DATABASE_URL: db.url,
    SCHEDULER_TICK_MS: '50',
    HSM_SIM_TCP: `127.0.0.1:${port}`,
    HSM_SIM_USER_PIN: USER_PIN,
    HSM_SIM_TLS_CA: pki.file('ca.pem'),
    HSM_SIM_TLS_CLIENT_CERT: pki.file(`${client}.pem`),
    HSM_SIM_TLS_CLIENT_KEY: pki.file(`${client}.key`),
  });
  // Both start at once on the empty database.
  const started = await Promise.all([startGatewayProcess(envOf(0, 'gateway-a'), `http://127.0.0.1:${ports[0]}`), startGatewayProcess(envOf(1, 'gateway-b'), `http://127.0.0.1:${ports[1]}`)]);
  started.forEach((gw, i) => {
    gateways.push({ url: `http://127.0.0.1:${ports[i]}`, gw });
    cleanup.add(() => gw.kill('SIGTERM'));
  });
  store = await PgStore.open({ url: db.url, audit: new LogAppender() });
  cleanup.add(() => store.close());
  const a = generateKeyPairSync('ed25519');
  const r = generateKeyPairSync('ed25519');
  agent = a.privateKey;
  regulator = r.privateKey;
  // The agent through the CLI, as an operator does while the gateways run (DATABASE_URL names the store).
  const jwkFile = join(dir, 'agent-pg.jwk');
  writeFileSync(jwkFile, JSON.stringify(a.publicKey.export({ format: 'jwk' })));
  const cli = await runCli(['principal', 'register', '--id', 'agent-pg', '--roles', 'agent', '--public-key', jwkFile, '--owner', 'olga'], { DATABASE_URL: db.url, DATA_DIR: join(dir, 'cli-data') });
  if (cli.code !== 0) throw new Error(cli.out);
  await registerPrincipal(store, { id: 'rita', roles: ['regulator'], publicJwk: r.publicKey.export({ format: 'jwk' }) }, Date.now());
}, 120_000);
afterAll(() => cleanup.run());

describe('two gateway processes on one PostgreSQL database', () => {
  it('both started on the empty database; each migration was applied once', async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      expect((await c.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => Number(r['version']))).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await c.end();
    }
  });

  it('cooling actions accepted by either are executed exactly once, and the log they wrote verifies', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await as(gateways[i % 2]!.url, 'agent-pg', agent, 'POST', '/proxy/payments/transfers', { payee: `DE0${i}`, amount: 40 + i, currency: 'EUR' }, `two-proc-${i}`);
      expect(res.status, await res.clone().text()).toBe(202);
      expect(await res.json()).toMatchObject({ status: 'cooling', tier: 'MEDIUM' });
      ids.push(res.headers.get('analog-firewall-action')!);
    }
    for (const id of ids) await waitFor(async () => ((await store.getAction(id))?.status === 'executed' ? true : undefined), 20_000, 100);
    await new Promise((r) => setTimeout(r, 500)); // a late second dispatch would show here
    const transfers = seen.filter((s) => s.path === '/p/transfers');
    expect(transfers).toHaveLength(6);
    expect(new Set(transfers.map((t) => t.receipt)).size).toBe(6);

    const { bundle, report } = await exportAndVerify(gateways[0]!.url);
    const executed = bundle.entries.map((e) => JSON.parse(e.entry) as { type: string; actionId?: string }).filter((e) => e.type === 'action.executed');
    expect(executed.map((e) => e.actionId).sort()).toEqual([...ids].sort());
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('a signature window running out is expired once, though both schedulers see it due', async () => {
    // An agent of another owner: 5,000 EUR in agent-pg's owner window would make its later transfers HIGH.
    const k = generateKeyPairSync('ed25519');
    await registerPrincipal(store, { id: 'agent-exp', roles: ['agent'], publicJwk: k.publicKey.export({ format: 'jwk' }), owner: 'oscar' }, Date.now());
    const res = await as(gateways[0]!.url, 'agent-exp', k.privateKey, 'POST', '/proxy/payments/transfers', { payee: 'DE77', amount: 5000, currency: 'EUR' }, 'two-proc-expire');
    expect(res.status).toBe(202);
    const id = res.headers.get('analog-firewall-action')!;
    expect((await store.getAction(id))?.status).toBe('awaiting_signature');
    // Its 15-minute window ends now rather than in 15 minutes.
    await store.tx(async (tx) => tx.updateAction(id, ['awaiting_signature'], { dueAt: Date.now() - 1 }));
    await waitFor(async () => ((await store.getAction(id))?.status === 'expired' ? true : undefined), 20_000, 100);
    await new Promise((r) => setTimeout(r, 500)); // a second expiry would be logged by now
    expect(await store.log.query({ type: 'action.expired', actionId: id, terms: [], limit: 10 })).toHaveLength(1);
    expect(await store.log.query({ type: 'action.executed', actionId: id, terms: [], limit: 10 })).toHaveLength(0);
  });

  it('SIGKILL of the gateway that accepted cooling actions: the other executes each exactly once, and the log still verifies', async () => {
    const before = seen.filter((t) => t.path === '/p/transfers').length;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await as(gateways[0]!.url, 'agent-pg', agent, 'POST', '/proxy/payments/transfers', { payee: `DE1${i}`, amount: 30 + i, currency: 'EUR' }, `two-proc-kill-${i}`);
      expect(res.status).toBe(202);
      ids.push(res.headers.get('analog-firewall-action')!);
    }
    await gateways[0]!.gw.kill('SIGKILL');
    for (const id of ids) await waitFor(async () => ((await store.getAction(id))?.status === 'executed' ? true : undefined), 20_000, 100);
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.filter((t) => t.path === '/p/transfers').length - before).toBe(3);
    const { report } = await exportAndVerify(gateways[1]!.url);
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
