/**
 * Issue 16 item 3, challenge nonces sealed by the HSM and stored: real gateway processes on one
 * store and one hsm-sim over TCP, behind a switch that plays the load balancer.
 * - A signature session started on A (A issued the challenge, sealed its nonce) finished through B:
 *   B opens the nonce with the HSM; the action executes once; the used challenge is refused on A.
 * - The database never holds the nonce in clear while the challenge is open.
 * - A witness ceremony started on A (options issued) is completed through B.
 * - A gateway killed (SIGKILL) with a challenge open, then restarted: the challenge stays open,
 *   the device answers it after the restart, the action executes exactly once.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleActuator, type ExampleActuator } from '../../examples/actuators.ts';
import { PersonClient, type ChallengeView } from '../../clients/device/gateway-client.ts';
import { runLiveSession } from '../../clients/device/live-session.ts';
import { getAssertion } from '../../clients/device/authenticator/software-authenticator.ts';
import { mintAssertion } from '../helpers/assertion.ts';
import { freePort } from '../helpers/free-port.ts';
import { runCli, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts';
import { examplePolicyText, waitFor } from '../helpers/harness.ts';
import { startTcpSwitch, type TcpSwitch } from '../helpers/tcp-switch.ts';
import { Cleanup, USER_PIN, startDevice, tempDir, type Device } from '../hsm/helpers.ts';
import { RawSession, STEADY_SEEDS, SUSTAINED, honestSession, type TestPerson } from '../signature/helpers.ts';

const cleanup = new Cleanup();
let dir: string;
let device: Device;
let lb: TcpSwitch;
let payments: ExampleActuator;
const ports = { a: 0, b: 0 };
const env: Record<'a' | 'b', Record<string, string>> = { a: {}, b: {} };
const gw: Partial<Record<'a' | 'b', GatewayProcess>> = {};
const agent = generateKeyPairSync('ed25519');
let pam: TestPerson;
/** walt can use no modality (witness path); wendy is a comparator who witnesses. */
let walt: TestPerson;
let wendy: TestPerson;

async function start(name: 'a' | 'b'): Promise<void> {
  gw[name] = await startGatewayProcess(env[name], `http://127.0.0.1:${ports[name]}`);
}

async function register(id: string, roles: string, key: import('node:crypto').KeyObject, owner?: string): Promise<void> {
  const pub = join(dir, `${id}.pub.jwk`);
  writeFileSync(pub, JSON.stringify(key.export({ format: 'jwk' })));
  const r = await runCli(['principal', 'register', '--id', id, '--roles', roles, '--public-key', pub, ...(owner === undefined ? [] : ['--owner', owner])], env.a);
  expect(r.code, r.out).toBe(0);
}

async function agentFetch(method: string, path: string, body?: unknown, key?: string): Promise<Response> {
  const token = await mintAssertion(agent.privateKey, { id: 'seal-agent', aud: lb.url, method, path });
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(key === undefined ? {} : { 'idempotency-key': key }) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(lb.url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

async function highTransfer(key: string): Promise<{ id: string; status: string }> {
  const res = await agentFetch('POST', '/proxy/payments/transfers', { payee: 'DE89370400440532013000', amount: 5000, currency: 'EUR' }, key);
  expect(res.status).toBe(202);
  const a = (await res.json()) as { id: string; status: string };
  expect(a.status).toBe('awaiting_signature');
  return a;
}

const statusOf = async (id: string) => ((await (await agentFetch('GET', `/v1/actions/${id}`)).json()) as { status: string }).status;
const challengeFor = (actionId: string) => waitFor(async () => (await pam.client.challenges()).find((c) => c.actionId === actionId), 10_000);
const executions = (id: string) => payments.executions.filter((e) => e.key === id);

/** The database's bytes (main file and write-ahead log) as they are now. */
function databaseBytes(): Buffer {
  const base = join(env.a['DATA_DIR']!, 'gateway.db');
  return Buffer.concat([base, `${base}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

function challengeRow(id: string): { state: string; nonce_sealed: string | null } {
  const db = new DatabaseSync(join(env.a['DATA_DIR']!, 'gateway.db'), { readOnly: true });
  try {
    return db.prepare('SELECT state, nonce_sealed FROM sig_challenges WHERE id = ?').get(id) as { state: string; nonce_sealed: string | null };
  } finally {
    db.close();
  }
}

const deviceOps = (op: string) => readFileSync(join(device.dataDir, 'audit.jsonl'), 'utf8').split('\n').filter((l) => l.includes(`"op":"${op}"`) && l.includes('"outcome":"ok"')).length;

/** Why the gateway refused the last signature, as its log says (the device is only told "signature refused"). */
function lastRefusal(): string {
  const db = new DatabaseSync(join(env.a['DATA_DIR']!, 'gateway.db'), { readOnly: true });
  try {
    const row = db.prepare("SELECT body FROM tlog_entries WHERE type = 'signature.refused' ORDER BY idx DESC LIMIT 1").get() as { body: string } | undefined;
    if (row === undefined) return 'no signature.refused entry in the log';
    const e = JSON.parse(row.body) as { code?: string; reasons?: string[] };
    return JSON.stringify({ code: e.code, reasons: e.reasons }).slice(0, 3000);
  } finally {
    db.close();
  }
}

async function signAndExecute(c: ChallengeView, actionId: string, seed: string): Promise<Buffer> {
  const r = await runLiveSession(honestSession(pam, c, seed));
  expect(r.result, `${JSON.stringify(r.messages.at(-1))}; the gateway's log: ${r.result?.['outcome'] === 'accepted' ? '' : lastRefusal()}`).toMatchObject({ outcome: 'accepted' });
  await waitFor(async () => ((await statusOf(actionId)) === 'executed' ? true : undefined), 20_000);
  expect(executions(actionId)).toHaveLength(1);
  return Buffer.from(r.messages.find((m) => m.type === 'sign')!['nonce'] as string, 'base64url');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'af-sealed-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  const devicePort = await freePort();
  device = await startDevice(cleanup, await tempDir(cleanup), { tcp: { host: '127.0.0.1', port: devicePort } });
  ports.a = await freePort();
  ports.b = await freePort();
  lb = await startTcpSwitch(ports.a);
  cleanup.add(() => lb.close());
  payments = await startExampleActuator({ name: 'payments', gatewayUrl: lb.url, issuer: lb.url });
  cleanup.add(() => payments.close());
  const infra = await startExampleActuator({ name: 'infra', gatewayUrl: lb.url, issuer: lb.url });
  cleanup.add(() => infra.close());
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, examplePolicyText({ payments: payments.url, infra: infra.url }, (y) => y.replace(/sustained: 30s/g, `sustained: ${SUSTAINED}`)));
  // One store (DATA_DIR), one HSM, one public address (the switch); each replica its own port.
  const common = { DATA_DIR: join(dir, 'data'), POLICY_FILE: policyFile, PUBLIC_URL: lb.url, HSM_SIM_TCP: `127.0.0.1:${devicePort}`, HSM_SIM_USER_PIN: USER_PIN, SCHEDULER_TICK_MS: '50' };
  // info: the test waits for the restarted gateway's 'signature challenges recovered' line.
  env.a = { ...common, PORT: String(ports.a), LOG_LEVEL: 'info' };
  env.b = { ...common, PORT: String(ports.b) };
  await start('a');
  await start('b');
  cleanup.add(async () => {
    await gw.a?.kill('SIGKILL');
    await gw.b?.kill('SIGKILL');
  });
  await register('seal-agent', 'agent', agent.publicKey, 'bob');
  const person = generateKeyPairSync('ed25519');
  await register('pam', 'authorizer', person.publicKey);
  const client = await PersonClient.create({ gateway: lb.url, person: 'pam', privateKey: person.privateKey });
  await client.declare(['motion']);
  pam = { id: 'pam', key: person.privateKey, client, credential: (await client.enrol({ kind: 'phone' })).stored };
  for (const [id, roles] of [['walt', 'authorizer'], ['wendy', 'comparator']] as const) {
    const k = generateKeyPairSync('ed25519');
    await register(id, roles, k.publicKey);
    const c = await PersonClient.create({ gateway: lb.url, person: id, privateKey: k.privateKey });
    await c.declare([]);
    const p: TestPerson = { id, key: k.privateKey, client: c, ...(id === 'wendy' ? { credential: (await c.enrol({ kind: 'phone' })).stored } : {}) };
    if (id === 'walt') walt = p;
    else wendy = p;
  }
}, 120_000);
afterAll(() => cleanup.run());

describe('challenge nonces sealed by the HSM, across replicas and restarts (real processes)', () => {
  it('a signature session started on A is finished through B; the nonce never sits in the database in clear; the used challenge is refused on A', async () => {
    lb.to(ports.a);
    const a = await highTransfer('sealed-a-to-b');
    const c = await challengeFor(a.id);
    // A issued it: the row holds the sealed nonce; the bytes of the database as they are now are kept.
    expect(challengeRow(c.id)).toMatchObject({ state: 'issued', nonce_sealed: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/) });
    const whileOpen = databaseBytes();
    const opened = deviceOps('decrypt');

    lb.to(ports.b);
    const nonce = await signAndExecute(c, a.id, STEADY_SEEDS.pam[0]);
    // B did not hold the nonce: it asked the HSM to open it.
    expect(deviceOps('decrypt')).toBeGreaterThan(opened);
    // Neither the raw nonce nor any text form of it was in the database while the challenge was open.
    expect(nonce).toHaveLength(32);
    for (const form of [nonce, Buffer.from(nonce.toString('base64url')), Buffer.from(nonce.toString('base64')), Buffer.from(nonce.toString('hex'))]) expect(whileOpen.includes(form)).toBe(false);
    expect(challengeRow(c.id)).toEqual({ state: 'succeeded', nonce_sealed: null });

    // Single use across replicas: the same challenge answered again on A is refused, nothing runs again.
    lb.to(ports.a);
    const again = await RawSession.open(pam, c.id);
    again.hello(pam, c);
    expect(await again.closed).toBe(4409);
    expect(executions(a.id)).toHaveLength(1);
  }, 90_000);

  it('a witness ceremony started on A is completed through B (the ceremony is in the store, not in A)', async () => {
    lb.to(ports.a);
    const a = await highTransfer('sealed-witness');
    const c = await waitFor(async () => (await walt.client.challenges()).find((x) => x.actionId === a.id), 10_000);
    expect(c.mode).toBe('witness');
    const opt = await wendy.client.ok<{ options: { challenge: string } }>('POST', `/v1/challenges/${c.id}/witness/options`, { credentialId: wendy.credential!.id });
    lb.to(ports.b);
    const done = await wendy.client.request<{ accepted?: boolean; code?: string }>('POST', `/v1/challenges/${c.id}/witness`, { credential: getAssertion(wendy.credential!, { challenge: opt.options.challenge, origin: lb.url }) });
    expect([done.status, done.json]).toMatchObject([200, { accepted: true }]);
    await waitFor(async () => ((await statusOf(a.id)) === 'executed' ? true : undefined), 20_000);
    expect(executions(a.id)).toHaveLength(1);
    // Single use on every replica: A, which started the ceremony, refuses it now.
    lb.to(ports.a);
    const again = await wendy.client.request<{ code: string }>('POST', `/v1/challenges/${c.id}/witness`, { credential: getAssertion(wendy.credential!, { challenge: opt.options.challenge, origin: lb.url }) });
    expect([again.status, again.json.code]).toEqual([409, 'CHALLENGE_USED']);
    expect(executions(a.id)).toHaveLength(1);
  }, 90_000);

  it('a gateway killed with a challenge open: after the restart the same challenge is answered and the action executes exactly once', async () => {
    await gw.b!.kill('SIGTERM');
    lb.to(ports.a);
    const a = await highTransfer('sealed-restart');
    const c = await challengeFor(a.id);
    await gw.a!.kill('SIGKILL');
    await start('a');
    lb.to(ports.a);
    // The restarted gateway recovered its challenges: this one is still open, and no other was issued in its place.
    await waitFor(() => (gw.a!.output().includes('signature challenges recovered') ? true : undefined), 10_000);
    expect(challengeRow(c.id).state).toBe('issued');
    expect((await pam.client.challenges()).filter((x) => x.actionId === a.id).map((x) => x.id)).toEqual([c.id]);
    expect(executions(a.id)).toHaveLength(0);
    await signAndExecute(c, a.id, STEADY_SEEDS.pam[1]);
    await new Promise((r) => setTimeout(r, 500));
    expect(executions(a.id)).toHaveLength(1);
  }, 90_000);
});
