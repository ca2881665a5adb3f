import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import type { Signer } from '../../src/core/signer.ts';
import type { TransparencyLog } from '../../src/gateway/log/transparency-log.ts';
import type { Store } from '../../src/gateway/ports/store.ts';
import { pino } from 'pino';
import { loadPolicyFile } from '../../src/adapters/policy-file.ts';
import { assembleGateway, type AssembledGateway } from '../../src/main/assemble.ts';
import type { Gateway } from '../../src/main/build-gateway.ts';
import type { SignatureCapability } from '../../src/main/signature-capability.ts';
import type { PolicyGovernance } from '../../src/gateway/policy-governance.ts';
import { loadConfig } from '../../src/gateway/config.ts';
import { registerPrincipal } from '../../src/gateway/register-principal.ts';
import { startExampleActuator, type ExampleActuator } from '../../examples/actuators.ts';
import { startExampleMcpServer, type ExampleMcpServer } from '../../examples/mcp-payments.ts';
import { freePort } from './free-port.ts';
import { freshDatabase } from './postgres.ts';
import { MemorySigner } from './memory-signer.ts';
import { MemorySealer } from './memory-sealer.ts';
import type { Sealer } from '../../src/core/sealer.ts';
import { mintAssertion } from './assertion.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

/** The example policy's modality roles (two primaries captured together), as written there. */
export const EXAMPLE_ROLES = ', roles: { primary: [motion, typing, gaze, voice], min_primary: 2, one_primary: [supporting, longer, witness] }';

/**
 * The example policy with its upstreams pointed at this test's actuators. Its modality roles are
 * left out unless `keepRoles` (tests of other things sign with one modality, as any one accepted
 * modality suffices without roles); test/signature/roles.test.ts keeps them.
 */
export function examplePolicyText(urls: { payments: string; infra: string; paymentsMcp?: string }, edit?: (yaml: string) => string, o: { keepRoles?: boolean } = {}): string {
  const raw = readFileSync(join(ROOT, 'examples/policy.yaml'), 'utf8');
  if (!raw.includes(EXAMPLE_ROLES)) throw new Error('examples/policy.yaml no longer carries EXAMPLE_ROLES: update the test harness');
  let text = (o.keepRoles ? raw : raw.replace(EXAMPLE_ROLES, ''))
    .replace('http://127.0.0.1:9090', urls.payments)
    .replace('http://127.0.0.1:9091', urls.infra)
    .replace('http://127.0.0.1:9092/mcp', urls.paymentsMcp ?? 'http://127.0.0.1:9/mcp')
    .replace(/cooling: 5s/g, 'cooling: 1s');
  if (edit) text = edit(text);
  return text;
}

export interface Harness {
  gw: Gateway;
  log: TransparencyLog;
  store: Store;
  /** Where this gateway listens (requests go here). */
  url: string;
  /** PUBLIC_URL: what assertions are bound to; a replica's is the first gateway's `url`, as behind a load balancer. */
  publicUrl: string;
  dir: string;
  payments: ExampleActuator;
  infra: ExampleActuator;
  /** The example payments MCP server (policy `mcp_servers.payments-mcp`). */
  paymentsMcp: ExampleMcpServer;
  agentKey: KeyObject;
  humanKey: KeyObject;
  signer: Signer;
  /** Seals challenge nonces (a MemorySealer unless the test gives one); a replica shares the first one's. */
  sealer: Sealer;
  /** Biological signatures (people, devices, challenges, the session WebSocket). */
  signatures: SignatureCapability;
  /** Policy governance: versions, proposals, the swappable active policy. */
  governance: PolicyGovernance;
  /** The approver app (sessions, invitations, Web Push). */
  approver: AssembledGateway['approver'];
  /** fetch as a principal, with a fresh assertion. */
  as(who: 'agent' | 'alice' | { id: string; key: KeyObject }, method: string, path: string, init?: { body?: unknown; headers?: Record<string, string>; raw?: string; signal?: AbortSignal; redirect?: 'follow' | 'manual' | 'error' }): Promise<Response>;
  /** Registers another agent and returns it in the form `as()` takes. */
  addAgent(id: string, owner?: string, organisation?: string): Promise<{ id: string; key: KeyObject }>;
  /** Registers a principal of other roles (admin, regulator, …) and returns it in the form `as()` takes. */
  addPrincipal(id: string, roles: string[]): Promise<{ id: string; key: KeyObject }>;
  close(): Promise<void>;
}

/**
 * A gateway on loopback with the example actuators and policy. `replicaOf`: a second replica of an
 * existing harness, in this process: its own HTTP server, status bus, limits and caches (and its
 * own Redis connections with REDIS_URL in `env`), on the first one's store, log, signer, policy,
 * actuators and principals, with the first one's address as PUBLIC_URL. Close it before the first.
 * `ownStore`: the replica opens its own store and log from its configuration instead (a second
 * gateway on the same PostgreSQL database, DATABASE_URL in `env`), as another process would.
 */
export async function startHarness(o: { signer?: Signer; sealer?: Sealer; clock?: Clock; env?: Record<string, string>; editPolicy?: (y: string) => string; actuatorPrefix?: string; keepRoles?: boolean; replicaOf?: Harness; ownStore?: boolean } = {}): Promise<Harness> {
  const first = o.replicaOf;
  const dir = first?.dir ?? mkdtempSync(join(tmpdir(), 'af-gw-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const prefix = o.actuatorPrefix === undefined ? {} : { prefix: o.actuatorPrefix };
  const payments = first?.payments ?? (await startExampleActuator({ name: 'payments', gatewayUrl: url, issuer: url, ...prefix }));
  const infra = first?.infra ?? (await startExampleActuator({ name: 'infra', gatewayUrl: url, issuer: url, ...prefix }));
  const paymentsMcp = first?.paymentsMcp ?? (await startExampleMcpServer({ gatewayUrl: url, issuer: url }));
  const policyFile = join(dir, 'policy.yaml');
  if (first === undefined) writeFileSync(policyFile, examplePolicyText({ payments: payments.url, infra: infra.url, paymentsMcp: paymentsMcp.url }, o.editPolicy, { keepRoles: o.keepRoles ?? false }));
  const replicaEnv: Record<string, string> = first === undefined ? {} : { PUBLIC_URL: first.publicUrl };
  // TEST_STORE=postgres runs any harness test on a fresh PostgreSQL database (dropped on close).
  const database = first === undefined && process.env['TEST_STORE'] === 'postgres' && o.env?.['DATABASE_URL'] === undefined ? await freshDatabase() : undefined;
  if (database !== undefined) replicaEnv.DATABASE_URL = database.url;
  const config = loadConfig({ PORT: String(port), DATA_DIR: dir, POLICY_FILE: policyFile, SCHEDULER_TICK_MS: '50', LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent', ...replicaEnv, ...(o.env ?? {}) }, dir, ROOT);
  const policyDoc = await loadPolicyFile(policyFile);
  const signer = first?.signer ?? o.signer ?? new MemorySigner();
  // A replica may bring its own client of the same HSM (its own session on the device).
  const sealer = o.sealer ?? first?.sealer ?? new MemorySealer();
  const clock = o.clock ?? systemClock;
  const { gw, store, tlog: log, governance, signatures, approver } = await assembleGateway({
    config,
    signer,
    sealer,
    policyFile: policyDoc,
    clock,
    env: o.env ?? {},
    log: pino({ level: config.logLevel }),
    ...(first === undefined || o.ownStore === true ? {} : { storage: { store: first.store, tlog: first.log } }),
  });
  // A replica serves the first gateway's principals (one store), with the same keys.
  const agentKey = first === undefined ? generateKeyPairSync('ed25519').privateKey : first.agentKey;
  const humanKey = first === undefined ? generateKeyPairSync('ed25519').privateKey : first.humanKey;
  if (first === undefined) {
    await registerPrincipal(store, { id: 'agent-1', roles: ['agent'], publicJwk: createPublicKey(agentKey).export({ format: 'jwk' }), owner: 'bob' }, clock.now());
    await registerPrincipal(store, { id: 'alice', roles: ['authorizer'], publicJwk: createPublicKey(humanKey).export({ format: 'jwk' }) }, clock.now());
  }
  await gw.listen();
  const publicUrl = config.publicUrl;
  const as: Harness['as'] = async (who, method, path, init = {}) => {
    const { id, key } = who === 'agent' ? { id: 'agent-1', key: agentKey } : who === 'alice' ? { id: 'alice', key: humanKey } : who;
    const token = await mintAssertion(key, { id, aud: publicUrl, method, path: path.split('?')[0]! });
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(init.headers ?? {}) };
    let body: string | undefined = init.raw;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    return fetch(url + path, { method, headers, ...(body === undefined ? {} : { body }), ...(init.signal ? { signal: init.signal } : {}), ...(init.redirect ? { redirect: init.redirect } : {}) });
  };
  return {
    gw,
    log,
    store,
    url,
    publicUrl,
    dir,
    payments,
    infra,
    paymentsMcp,
    agentKey,
    humanKey,
    signer,
    sealer,
    signatures,
    governance,
    approver,
    as,
    async addAgent(id, owner, organisation) {
      const k = generateKeyPairSync('ed25519');
      await registerPrincipal(
        store,
        { id, roles: ['agent'], publicJwk: k.publicKey.export({ format: 'jwk' }), ...(owner ? { owner } : {}), ...(organisation ? { organisation } : {}) },
        clock.now(),
      );
      return { id, key: k.privateKey };
    },
    async addPrincipal(id, roles) {
      const k = generateKeyPairSync('ed25519');
      await registerPrincipal(store, { id, roles, publicJwk: k.publicKey.export({ format: 'jwk' }) }, clock.now());
      return { id, key: k.privateKey };
    },
    async close() {
      await gw.close();
      if (first !== undefined) return; // the rest is the first gateway's
      await payments.close();
      await infra.close();
      await paymentsMcp.close();
      rmSync(dir, { recursive: true, force: true });
      await database?.drop();
    },
  };
}

export async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
