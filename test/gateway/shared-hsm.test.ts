/**
 * Issue 16 item 5: several gateways share one hsm-sim over mutual TLS. Real device process, real
 * openssl-made certificates (scripts/hsm-sim-dev-pki.sh), two gateways on loopback.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchingSigner } from '../../src/adapters/signer/batching-signer.ts';
import { HsmSimSigner, hsmSimSignerOptionsFromEnv } from '../../src/adapters/signer/hsm-sim-signer.ts';
import { RECEIPT_HEADER } from '../../src/core/receipt/receipt.ts';
import { makeDevPki, withoutClient, type DevPki } from '../helpers/dev-pki.ts';
import { freePort } from '../helpers/free-port.ts';
import { runCli, startGatewayProcess } from '../helpers/gateway-process.ts';
import { ROOT, examplePolicyText, startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { Cleanup, MASTER_SECRET, USER_PIN, rejectsWith, startDevice, tempDir, type Device } from '../hsm/helpers.ts';

const cleanup = new Cleanup();
let pki: DevPki;
let device: Device;
let upstream: { url: string; seen: { path: string; receipt: string }[] };
const gateways: Record<string, { h: Harness; signer: HsmSimSigner }> = {};

/** The environment a gateway reads to reach the shared device (README variables table). */
function gatewayEnv(client: string, overrides: Record<string, string> = {}): Record<string, string> {
  const { port } = device.endpoint as { port: number };
  return {
    HSM_SIM_TCP: `127.0.0.1:${port}`,
    HSM_SIM_USER_PIN: USER_PIN,
    HSM_SIM_TLS_CA: pki.file('ca.pem'),
    HSM_SIM_TLS_CLIENT_CERT: pki.file(`${client}.pem`),
    HSM_SIM_TLS_CLIENT_KEY: pki.file(`${client}.key`),
    ...overrides,
  };
}

/** Each gateway's payments upstream is `<capture>/<name>`: one place records what each executed. */
async function startCapture(): Promise<Server> {
  const seen: { path: string; receipt: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', receipt: String(req.headers[RECEIPT_HEADER.toLowerCase()] ?? '') });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"balance":1}');
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  upstream = { url: `http://127.0.0.1:${port}`, seen };
  return server;
}

function signerFor(client: string): HsmSimSigner {
  const signer = new HsmSimSigner({ ...hsmSimSignerOptionsFromEnv(gatewayEnv(client)), requestTimeoutMs: 20_000 });
  cleanup.add(() => signer.close());
  return signer;
}

async function startGateway(name: string, signer: HsmSimSigner): Promise<{ h: Harness; signer: HsmSimSigner }> {
  const h = await startHarness({ signer: new BatchingSigner(signer), editPolicy: (y) => y.replace(/upstream: http:\/\/127\.0\.0\.1:\d+/, `upstream: ${upstream.url}/${name}`) });
  cleanup.add(() => h.close());
  return { h, signer };
}

const executedBy = (name: string) => upstream.seen.filter((s) => s.path.startsWith(`/${name}/`));
const read = (h: Harness, key: string) => h.as('agent', 'GET', '/proxy/payments/balances/acc-1', { headers: { 'idempotency-key': key } });

beforeAll(async () => {
  pki = makeDevPki(await tempDir(cleanup, 'af-pki-'), ['gateway-a', 'gateway-b', 'gateway-c']);
  const allow = pki.file('allowed-clients.txt');
  writeFileSync(allow, withoutClient(readFileSync(allow, 'utf8'), 'gateway-c'));
  const capture = await startCapture();
  cleanup.add(() => new Promise<void>((r) => capture.close(() => r())));
  device = await startDevice(cleanup, await tempDir(cleanup), { tcp: { host: '127.0.0.1', port: 0 }, env: pki.deviceEnv(), clientTls: pki.client('gateway-a') });
  const [a, b] = [signerFor('gateway-a'), signerFor('gateway-b')];
  // Both create the keys at once (as two replicas starting together): both end up with the same keys.
  await Promise.all([a.ensureKeys(), b.ensureKeys()]);
  gateways.a = await startGateway('a', a);
  gateways.b = await startGateway('b', b);
}, 90_000);
afterAll(() => cleanup.run());

describe('two gateways, one hsm-sim over mutual TLS', () => {
  it('both sign with the same keys: each receipt verifies against the other gateway’s JWKS', async () => {
    const jwksA = (await (await fetch(`${gateways.a!.h.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const jwksB = (await (await fetch(`${gateways.b!.h.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    expect(jwksA.keys.map((k) => k.kid)).toEqual(jwksB.keys.map((k) => k.kid));
    expect(jwksA.keys.length).toBeGreaterThan(0);

    // Concurrent sessions: both gateways sign at the same time through their own TLS sessions.
    const results = await Promise.all([...Array(8).keys()].flatMap((i) => [read(gateways.a!.h, `a-${i}`), read(gateways.b!.h, `b-${i}`)]));
    expect(results.map((r) => r.status)).toEqual(Array(16).fill(200));
    expect(executedBy('a')).toHaveLength(8);
    expect(executedBy('b')).toHaveLength(8);

    const receiptA = executedBy('a')[0]!.receipt;
    const receiptB = executedBy('b')[0]!.receipt;
    expect(receiptA).not.toBe('');
    await expect(compactVerify(receiptA, createLocalJWKSet(jwksB))).resolves.toBeDefined();
    await expect(compactVerify(receiptB, createLocalJWKSet(jwksA))).resolves.toBeDefined();
    // Each gateway had its own session on the device, authenticated by its own certificate.
    for (const cn of ['gateway-a', 'gateway-b']) expect(device.logs.some((l) => l.includes('"event":"session-open"') && l.includes(`"client":"${cn}"`))).toBe(true);
  });

  it('a gateway whose certificate is not on the allow list does not start, and executes nothing', async () => {
    const signer = signerFor('gateway-c');
    const e = await rejectsWith(signer.ensureKeys(), 'SIGNER_UNAVAILABLE');
    expect(e.detail?.reason).toBe('CLIENT_NOT_AUTHORIZED');
    // The gateway signs its first checkpoint before it listens: without the device it never serves.
    const started = await rejectsWith(startGateway('c', signer), 'SIGNER_UNAVAILABLE');
    expect(started.detail?.reason).toBe('CLIENT_NOT_AUTHORIZED');
    expect(executedBy('c')).toHaveLength(0);
  });

  it('withdrawing gateway B (allow list + SIGHUP) stops B at once; A carries on', async () => {
    const before = executedBy('b').length;
    const allow = pki.file('allowed-clients.txt');
    const original = readFileSync(allow, 'utf8');
    writeFileSync(allow, withoutClient(original, 'gateway-b'));
    const reloads = device.logs.filter((l) => l.includes('"event":"allow-list-reloaded"')).length;
    device.process.kill('SIGHUP');
    await waitFor(() => (device.logs.filter((l) => l.includes('"event":"allow-list-reloaded"')).length > reloads ? true : undefined));
    await waitFor(async () => ((await fetch(`${gateways.b!.h.url}/readyz`)).status === 503 ? true : undefined));
    const refused = await read(gateways.b!.h, 'b-after');
    expect(refused.status).toBe(503);
    expect(executedBy('b')).toHaveLength(before);
    expect((await read(gateways.a!.h, 'a-after')).status).toBe(200);
    writeFileSync(allow, original);
    device.process.kill('SIGHUP');
    await waitFor(async () => ((await fetch(`${gateways.b!.h.url}/readyz`)).status === 200 ? true : undefined), 20_000);
  });
});

describe('the gateway process reads HSM_SIM_TCP and HSM_SIM_TLS_*', () => {
  const processEnv = async (client: string, overrides: Record<string, string> = {}) => {
    const dir = await tempDir(cleanup, 'af-shared-gw-');
    const port = await freePort();
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, examplePolicyText({ payments: `${upstream.url}/p`, infra: `${upstream.url}/i` }));
    return { url: `http://127.0.0.1:${port}`, env: { PORT: String(port), DATA_DIR: join(dir, 'data'), POLICY_FILE: policyFile, ...gatewayEnv(client, overrides) } };
  };

  it('starts and is ready with its client certificate', async () => {
    const { url, env } = await processEnv('gateway-a');
    const gw = await startGatewayProcess(env, url);
    cleanup.add(() => gw.kill('SIGTERM'));
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const shared = (await (await fetch(`${gateways.a!.h.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    expect(jwks.keys.map((k) => k.kid)).toEqual(shared.keys.map((k) => k.kid));
  });

  it('a standalone device as documented: `hsm-sim init` over mTLS, then a gateway process signs through it', async () => {
    const dataDir = await tempDir(cleanup, 'af-standalone-hsm-');
    const port = await freePort();
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(ROOT, 'hsm-sim/main.ts'), '--data-dir', dataDir], {
      env: { PATH: process.env.PATH ?? '', HSM_SIM_MASTER_SECRET: MASTER_SECRET, HSM_SIM_TCP: `127.0.0.1:${port}`, ...pki.deviceEnv() },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    cleanup.add(async () => {
      child.kill('SIGTERM');
      await exited;
    });
    let ready = '';
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => ((ready += d.toString()).includes('"event":"ready"') ? resolve() : undefined)));
    expect(JSON.parse(ready.trim().split('\n')[0]!)).toMatchObject({ transport: 'tcp', tls: true, state: 'uninitialized' });
    const at = { HSM_SIM_TCP: `127.0.0.1:${port}` };
    const init = await runCli(['hsm-sim', 'init'], { ...gatewayEnv('gateway-b', at), HSM_SIM_SO_PIN: 'standalone-so-pin' });
    expect(init.code, init.out).toBe(0);
    const { url, env } = await processEnv('gateway-b', at);
    const gw = await startGatewayProcess(env, url);
    cleanup.add(() => gw.kill('SIGTERM'));
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    expect(jwks.keys.length).toBeGreaterThan(0);
  });

  it('refuses to start when it does not trust the device certificate', async () => {
    const other = makeDevPki(await tempDir(cleanup, 'af-pki-other-'), ['x']);
    const { env } = await processEnv('gateway-a', { HSM_SIM_TLS_CA: other.file('ca.pem') });
    const r = await runCli(['start'], env);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('SELF_SIGNED_CERT_IN_CHAIN');
  });

  it('refuses plain TCP to a non-loopback device, naming the variable', async () => {
    const { env } = await processEnv('gateway-a', { HSM_SIM_TCP: '192.0.2.10:5696', HSM_SIM_TLS_CA: '', HSM_SIM_TLS_CLIENT_CERT: '', HSM_SIM_TLS_CLIENT_KEY: '' });
    const r = await runCli(['start'], env);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('HSM_SIM_TLS_CA is not set: 192.0.2.10 is not a loopback address');
  });
});
