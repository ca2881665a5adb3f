/**
 * What the LOW-tier benchmarks share: an upstream, a bare express proxy in front of it, and a real
 * gateway process (`src/cli/main.ts start`) whose one policy rule makes `GET /balances/:account` LOW,
 * with a registered agent and an open session. bench/gateway.ts measures time and CPU on it;
 * bench/low-tier-instructions.ts counts instructions under callgrind.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { signWithSession } from '../clients/agent/session-signature.ts';
import { freePort } from '../test/helpers/free-port.ts';

export const ROOT = resolve(import.meta.dirname, '..');
/** The proxied LOW read every run sends (and the bare proxy's equivalent). */
export const LOW_PATH = '/proxy/bench/balances/acc-1';
export const BARE_PATH = '/balances/acc-1';

export interface BenchSetupOptions {
  /** A command the gateway and the bare proxy run under (e.g. valgrind); their node flags follow it. */
  wrap?: string[];
  /** Node flags for the gateway only (profiling, tracing). */
  gatewayNodeFlags?: string[];
  /** How long start-up may take (a wrapped process starts far slower). */
  readyTimeoutMs?: number;
  /** Extra environment for the gateway and its CLI (e.g. DATABASE_URL for the PostgreSQL store). */
  env?: Record<string, string>;
}

export interface BenchSetup {
  dir: string;
  upstreamUrl: string;
  bareUrl: string;
  bare: ChildProcess;
  gwUrl: string;
  gw: ChildProcess;
  /** A one-use Ed25519 client assertion for GET LOW_PATH, minted synchronously. */
  assertion: (method?: string, path?: string) => string;
  /** The headers of one session-signed GET LOW_PATH (a fresh Idempotency-Key and nonce each call). */
  sessionHeaders: () => Record<string, string>;
  /** Opens another session (a session lives at most 15 minutes) and returns its signer. */
  openSession: () => Promise<() => Record<string, string>>;
  /** The gateway's environment (its CLI commands need the same DATA_DIR and DATABASE_URL). */
  env: NodeJS.ProcessEnv;
  /** Stops the gateway (SIGTERM) and waits for it to exit; its data stays. */
  stopGateway: () => Promise<void>;
  /** Starts the gateway again on the same data; resolves with the ms from spawn to /readyz answering 200. */
  startGateway: () => Promise<number>;
  close: () => Promise<void>;
}

/** An agent's credentials against one gateway URL (a single gateway or a balancer in front of several). */
export function agentClient(gwUrl: string, key: KeyObject, id = 'bench'): Pick<BenchSetup, 'assertion' | 'openSession'> {
  const assertion = (method = 'GET', path = LOW_PATH) => mintAssertion(key, id, gwUrl, method, path);
  // The default credential: a session opened with one assertion, then an RFC 9421 HMAC per request.
  const openSession = async (): Promise<() => Record<string, string>> => {
    const opened = await fetch(`${gwUrl}/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${assertion('POST', '/v1/sessions')}` } });
    if (opened.status !== 201) throw new Error(`opening a session failed: ${opened.status} ${await opened.text()}`);
    const session = (await opened.json()) as { sessionId: string; key: string };
    const sessionKey = Buffer.from(session.key, 'base64url');
    return () => {
      const idempotencyKey = randomUUID();
      const s = signWithSession({ method: 'GET', url: gwUrl + LOW_PATH, body: undefined, idempotencyKey, sessionId: session.sessionId, key: sessionKey, created: Math.floor(Date.now() / 1000) });
      return { 'idempotency-key': idempotencyKey, ...s.headers };
    };
  };
  return { assertion, openSession };
}

/** Registers agent `id` (owner bench-owner) with `src/cli/main.ts principal register` under `env`; returns its private key. */
export async function registerAgent(env: NodeJS.ProcessEnv, dir: string, id = 'bench'): Promise<KeyObject> {
  const agent = generateKeyPairSync('ed25519');
  const pub = join(dir, `${id}.jwk`);
  writeFileSync(pub, JSON.stringify(agent.publicKey.export({ format: 'jwk' })));
  await new Promise<void>((ok, fail) => {
    const c = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'principal', 'register', '--id', id, '--roles', 'agent', '--owner', 'bench-owner', '--public-key', pub], { env, stdio: 'ignore' });
    c.on('exit', (code) => (code === 0 ? ok() : fail(new Error('register failed'))));
  });
  return agent.privateKey;
}

/** The LOW-tier policy every benchmark gateway runs: `GET /balances/:account` on actuator `bench` is LOW. */
export function benchPolicy(upstreamUrl: string): string {
  return `version: 1\nname: bench\nactuators:\n  bench:\n    upstream: ${upstreamUrl}\n    proxy:\n      - { method: GET, path: "/balances/:account", operation: get_balance, target: params.account, reversibility: fully_reversible }\nrules:\n  - id: reads\n    match: { actuator: bench, operation: get_balance }\n    tier: LOW\n`;
}

function b64url(v: object | Buffer): string {
  return (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');
}

function mintAssertion(key: KeyObject, id: string, aud: string, method: string, path: string): string {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64url({ alg: 'EdDSA', typ: 'JWT' })}.${b64url({ iss: id, sub: id, aud, iat: now, exp: now + 60, jti: randomUUID(), htm: method, htu: aud + path })}`;
  return `${input}.${b64url(sign(null, Buffer.from(input), key))}`;
}

function spawnNode(wrap: string[], nodeFlags: string[], args: string[], env: NodeJS.ProcessEnv, quiet: boolean): ChildProcess {
  const [cmd, ...pre] = wrap.length > 0 ? [...wrap, process.execPath] : [process.execPath];
  return spawn(cmd!, [...pre, ...nodeFlags, ...args], { env, stdio: quiet ? 'ignore' : ['ignore', 'inherit', 'inherit'] });
}

async function waitUp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited during start-up`);
    const r = await fetch(url).catch(() => undefined);
    if (r !== undefined && r.status < 500) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

export async function startBenchSetup(o: BenchSetupOptions = {}): Promise<BenchSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'af-bench-'));
  const children: ChildProcess[] = [];
  let gw: ChildProcess | undefined;
  const close = async () => {
    gw?.kill('SIGTERM');
    for (const c of children.reverse()) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const wrap = o.wrap ?? [];
    const readyMs = o.readyTimeoutMs ?? 30_000;
    const upPort = await freePort();
    const upstream = fork(join(ROOT, 'bench/upstream.ts'), [String(upPort)], { stdio: 'ignore' });
    children.push(upstream);
    const upstreamUrl = `http://127.0.0.1:${upPort}`;
    await waitUp(upstreamUrl, upstream, readyMs);
    const barePort = await freePort();
    const bare = spawnNode(wrap, [], [join(ROOT, 'bench/bare-proxy.ts'), String(barePort), upstreamUrl], process.env, true);
    children.push(bare);
    const bareUrl = `http://127.0.0.1:${barePort}`;

    const gwPort = await freePort();
    const gwUrl = `http://127.0.0.1:${gwPort}`;
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, benchPolicy(upstreamUrl));
    const env = {
      ...process.env,
      PORT: String(gwPort),
      DATA_DIR: join(dir, 'data'),
      POLICY_FILE: policyFile,
      LOG_LEVEL: 'warn',
      RATE_AGENT_PER_SEC: '1000000',
      RATE_ACTUATOR_PER_SEC: '1000000',
      RATE_LOW_PER_MIN: '100000000',
      ...o.env,
    };
    const startGateway = async (): Promise<number> => {
      const t0 = performance.now();
      const child = spawnNode(wrap, ['--max-semi-space-size=12', ...(o.gatewayNodeFlags ?? [])], [join(ROOT, 'src/cli/main.ts'), 'start'], env, !process.env['BENCH_GATEWAY_STDOUT']);
      gw = child;
      // Polled every 10 ms: /readyz answers 503 while the store, HSM or policy is not ready.
      const until = Date.now() + readyMs;
      while (Date.now() < until) {
        if (child.exitCode !== null) throw new Error('the gateway exited during start-up');
        const r = await fetch(`${gwUrl}/readyz`).catch(() => undefined);
        if (r?.status === 200) return performance.now() - t0;
        await new Promise((res) => setTimeout(res, 10));
      }
      throw new Error(`gateway not ready after ${readyMs} ms`);
    };
    const stopGateway = async (): Promise<void> => {
      const child = gw;
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await gone;
    };
    await startGateway();
    await waitUp(bareUrl + BARE_PATH, bare, readyMs);

    const { assertion, openSession } = agentClient(gwUrl, await registerAgent(env, dir));
    const sessionHeaders = await openSession();
    return {
      dir,
      upstreamUrl,
      bareUrl,
      bare,
      gwUrl,
      get gw() {
        return gw!;
      },
      assertion,
      sessionHeaders,
      openSession,
      env,
      stopGateway,
      startGateway,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
