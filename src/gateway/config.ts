import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import proxyaddr from 'proxy-addr';
import { FirewallError } from '../core/errors.ts';
import { DEFAULT_RATE_LIMITS, type RateLimitConfig } from './rate-limits.ts';

export interface GatewayConfig {
  host: string;
  port: number;
  dataDir: string;
  policyFile: string;
  /** True when no policy was named: the example policy and example actuators start too. */
  embeddedDefaults: boolean;
  /** Ports of the example actuators and webhook receiver on embedded defaults (EXAMPLE_*_PORT). */
  examplePorts: { payments: number; infra: number; 'payments-mcp': number; webhook: number };
  publicUrl: string;
  /** TLS_CERT / TLS_KEY (PEM): the gateway serves HTTPS itself (phones need a secure context for passkeys and sensors). */
  tls?: { cert: string; key: string };
  gatewayId: string;
  /** C2SP checkpoint origin line of the transparency log. */
  logOrigin: string;
  bodyLimitBytes: number;
  receiptTtlSec: number;
  upstreamTimeoutMs: number;
  dispatchLeaseMs: number;
  maxDispatchAttempts: number;
  schedulerTickMs: number;
  /**
   * hsm-sim: spawned as a child process on embedded defaults, or reached at HSM_SIM_SOCKET /
   * HSM_SIM_TCP when `external`. pkcs11: PKCS11_LIBRARY, PKCS11_PIN, … (docs/hsm.md).
   */
  signer: { backend: 'hsm-sim'; external: boolean } | { backend: 'pkcs11' };
  rateLimits: RateLimitConfig;
  /** Per-session request signing (docs/api.md §Sessions). */
  sessions: { ttlSec: number; maxPerAgent: number; windowSec: number; nonceStoreMax: number };
  logLevel: string;
  /** MCP entrance: how long a held tools/call waits for its outcome before answering "held". */
  mcpHoldMs: number;
  /** Lifetime of agent access tokens from /oauth/token. */
  agentTokenTtlSec: number;
  /**
   * REDIS_URL: rate limits, replay caches, agent sessions and status changes shared by several
   * replicas (docs/architecture.md §Several replicas); absent, all of it stays in this process.
   * `keyPrefix` (REDIS_KEY_PREFIX) namespaces every key and channel, so deployments can share a server.
   */
  redis?: { url: string; keyPrefix: string };
  /**
   * TRUSTED_PROXIES: the load balancers in front of the gateway (addresses, CIDR ranges, or
   * proxy-addr's names loopback/linklocal/uniquelocal). A request from one of them is attributed to
   * the address it forwarded (X-Forwarded-For, right to left until an untrusted hop), so the
   * authentication lock-out keys on the client, not on the balancer. Empty: the socket's peer.
   */
  trustedProxies: string[];
  /**
   * DATABASE_URL (postgres://…): the PostgreSQL store, which several replicas can share
   * (docs/operations.md §Database and migrations); absent, the embedded SQLite store in DATA_DIR.
   */
  database?: { url: string };
}

type Env = Record<string, string | undefined>;

function bad(name: string, message: string): FirewallError {
  return new FirewallError('CONFIG_INVALID', `environment variable ${name}: ${message}`, { status: 500, detail: { variable: name } });
}

function int(env: Env, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) throw bad(name, `'${raw}' is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw bad(name, `${n} is outside ${min}..${max}`);
  return n;
}

/** The example actuators' and webhook receiver's ports on embedded defaults (`npm start` and `npm run cluster`). */
export function exampleActuatorPorts(env: Env): GatewayConfig['examplePorts'] {
  return {
    payments: int(env, 'EXAMPLE_PAYMENTS_PORT', 9090, 1, 65535),
    infra: int(env, 'EXAMPLE_INFRA_PORT', 9091, 1, 65535),
    'payments-mcp': int(env, 'EXAMPLE_MCP_PORT', 9092, 1, 65535),
    webhook: int(env, 'EXAMPLE_WEBHOOK_PORT', 9999, 1, 65535),
  };
}

/** Reads configuration from the environment; any bad value stops start-up naming the variable. */
export function loadConfig(env: Env, cwd: string, projectRoot: string): GatewayConfig {
  const host = env['HOST'] ?? '127.0.0.1';
  const port = int(env, 'PORT', 8080, 0, 65535);
  const dataDirRaw = env['DATA_DIR'] ?? 'data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);
  const policyRaw = env['POLICY_FILE'];
  const policyFile = policyRaw === undefined || policyRaw === '' ? resolve(projectRoot, 'examples/policy.yaml') : resolve(cwd, policyRaw);
  const tls = loadTls(env, cwd);
  const publicUrl = (env['PUBLIC_URL'] ?? `${tls === undefined ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  try {
    const u = new URL(publicUrl);
    if (u.pathname !== '/' || u.search !== '' || !/^https?:$/.test(u.protocol)) throw new Error('origin only');
  } catch {
    throw bad('PUBLIC_URL', `'${publicUrl}' must be an http(s) origin such as https://gateway.example.com`);
  }
  const backend = env['SIGNER'] ?? 'hsm-sim';
  let signer: GatewayConfig['signer'];
  if (backend === 'hsm-sim') {
    const external = Boolean(env['HSM_SIM_SOCKET'] || env['HSM_SIM_TCP']);
    if (external && !env['HSM_SIM_USER_PIN']) throw bad('HSM_SIM_USER_PIN', 'required when the gateway connects to an external hsm-sim');
    signer = { backend, external };
  } else if (backend === 'pkcs11') {
    for (const n of ['PKCS11_LIBRARY', 'PKCS11_PIN']) if (!env[n]) throw bad(n, 'required when SIGNER=pkcs11');
    signer = { backend };
  } else {
    throw bad('SIGNER', `'${backend}' is not one of hsm-sim, pkcs11`);
  }
  const logLevel = env['LOG_LEVEL'] ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) throw bad('LOG_LEVEL', `'${logLevel}' is not a pino level`);
  return {
    host,
    port,
    dataDir,
    policyFile,
    embeddedDefaults: policyRaw === undefined || policyRaw === '',
    examplePorts: exampleActuatorPorts(env),
    publicUrl,
    ...(tls === undefined ? {} : { tls }),
    gatewayId: env['GATEWAY_ID'] ?? publicUrl,
    logOrigin: env['LOG_ORIGIN'] ?? `${new URL(publicUrl).host}/analog-firewall/log`,
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    receiptTtlSec: int(env, 'RECEIPT_TTL_SEC', 60, 5, 3600),
    upstreamTimeoutMs: int(env, 'UPSTREAM_TIMEOUT_MS', 10_000, 100, 300_000),
    dispatchLeaseMs: int(env, 'DISPATCH_LEASE_MS', 30_000, 1000, 3_600_000),
    maxDispatchAttempts: int(env, 'MAX_DISPATCH_ATTEMPTS', 5, 1, 100),
    schedulerTickMs: int(env, 'SCHEDULER_TICK_MS', 200, 10, 60_000),
    signer,
    rateLimits: {
      agentPerSecond: int(env, 'RATE_AGENT_PER_SEC', DEFAULT_RATE_LIMITS.agentPerSecond, 1, 1_000_000),
      actuatorPerSecond: int(env, 'RATE_ACTUATOR_PER_SEC', DEFAULT_RATE_LIMITS.actuatorPerSecond, 1, 1_000_000),
      tierPerMinute: {
        LOW: int(env, 'RATE_LOW_PER_MIN', DEFAULT_RATE_LIMITS.tierPerMinute.LOW, 1, 100_000_000),
        MEDIUM: int(env, 'RATE_MEDIUM_PER_MIN', DEFAULT_RATE_LIMITS.tierPerMinute.MEDIUM, 1, 1_000_000),
        HIGH: int(env, 'RATE_HIGH_PER_MIN', DEFAULT_RATE_LIMITS.tierPerMinute.HIGH, 1, 1_000_000),
        CRITICAL: int(env, 'RATE_CRITICAL_PER_MIN', DEFAULT_RATE_LIMITS.tierPerMinute.CRITICAL, 1, 1_000_000),
      },
      authFailuresPerMinute: int(env, 'RATE_AUTH_FAILURES_PER_MIN', DEFAULT_RATE_LIMITS.authFailuresPerMinute, 1, 1_000_000),
      authFailureClients: int(env, 'RATE_AUTH_FAILURE_CLIENTS', DEFAULT_RATE_LIMITS.authFailureClients, 100, 10_000_000),
      ceremoniesPerMinute: int(env, 'RATE_CEREMONIES_PER_MIN', DEFAULT_RATE_LIMITS.ceremoniesPerMinute, 1, 1_000_000),
    },
    sessions: {
      ttlSec: int(env, 'SESSION_TTL_SEC', 900, 10, 900),
      maxPerAgent: int(env, 'SESSION_MAX_PER_AGENT', 8, 1, 1000),
      windowSec: int(env, 'SIGNATURE_WINDOW_SEC', 30, 1, 300),
      nonceStoreMax: int(env, 'NONCE_STORE_MAX', 500_000, 1000, 10_000_000),
    },
    logLevel,
    mcpHoldMs: int(env, 'MCP_HOLD_SEC', 25, 0, 300) * 1000,
    agentTokenTtlSec: int(env, 'AGENT_TOKEN_TTL_SEC', 300, 60, 900),
    trustedProxies: loadTrustedProxies(env),
    ...loadRedis(env),
    ...loadDatabase(env),
  };
}

/** Comma-separated; each entry checked now, so a typo stops start-up rather than trusting nobody or everybody. */
function loadTrustedProxies(env: Env): string[] {
  const raw = env['TRUSTED_PROXIES'];
  if (raw === undefined || raw.trim() === '') return [];
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  try {
    proxyaddr.compile(list);
  } catch (e) {
    throw bad('TRUSTED_PROXIES', `${(e as Error).message}; expected addresses or CIDR ranges separated by commas`);
  }
  return list;
}

/** redis:// or rediss:// (TLS) with a host; the key prefix a short run of safe characters. */
function loadRedis(env: Env): { redis?: { url: string; keyPrefix: string } } {
  const url = env['REDIS_URL'];
  const prefix = env['REDIS_KEY_PREFIX'];
  if (url === undefined || url === '') {
    if (prefix !== undefined && prefix !== '') throw bad('REDIS_KEY_PREFIX', 'only means something with REDIS_URL');
    return {};
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // The value itself is not echoed: a URL may carry a password.
    throw bad('REDIS_URL', 'is not a URL (expected redis://[user:password@]host[:port][/db] or rediss://…)');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad('REDIS_URL', `scheme '${u.protocol.slice(0, 20)}' is not redis: or rediss:`);
  if (u.hostname === '') throw bad('REDIS_URL', 'names no host');
  if (!/^(\/(\d{1,2})?)?$/.test(u.pathname)) throw bad('REDIS_URL', 'the path must be empty or a database number, e.g. /0');
  if (u.search !== '' || u.hash !== '') throw bad('REDIS_URL', 'takes no query or fragment');
  const keyPrefix = prefix === undefined || prefix === '' ? 'af:' : prefix;
  if (!/^[A-Za-z0-9:._-]{1,64}$/.test(keyPrefix)) throw bad('REDIS_KEY_PREFIX', 'must be 1–64 characters of A–Z a–z 0–9 : . _ -');
  return { redis: { url, keyPrefix } };
}

/** postgres:// or postgresql:// naming a host and a database; the value itself is never echoed (it may carry a password). */
function loadDatabase(env: Env): { database?: { url: string } } {
  const url = env['DATABASE_URL'];
  if (url === undefined || url === '') return {};
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('DATABASE_URL', 'is not a URL (expected postgres://[user[:password]@]host[:port]/database)');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw bad('DATABASE_URL', `scheme '${u.protocol.slice(0, 20)}' is not postgres: or postgresql: (without DATABASE_URL the gateway uses SQLite in DATA_DIR)`);
  if (u.hostname === '') throw bad('DATABASE_URL', 'names no host');
  if (!/^\/[^/]+$/.test(u.pathname)) throw bad('DATABASE_URL', 'names no database (expected …/database)');
  return { database: { url } };
}

/** Both or neither; each a readable PEM file (read once here, so a bad path stops start-up naming it). */
function loadTls(env: Env, cwd: string): { cert: string; key: string } | undefined {
  const certFile = env['TLS_CERT'];
  const keyFile = env['TLS_KEY'];
  if (!certFile && !keyFile) return undefined;
  if (!certFile) throw bad('TLS_CERT', 'required with TLS_KEY');
  if (!keyFile) throw bad('TLS_KEY', 'required with TLS_CERT');
  const read = (name: string, file: string, marker: string): string => {
    let pem: string;
    try {
      pem = readFileSync(isAbsolute(file) ? file : resolve(cwd, file), 'utf8');
    } catch (e) {
      throw bad(name, `cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (!pem.includes(marker)) throw bad(name, `'${file}' is not a PEM ${marker.includes('CERTIFICATE') ? 'certificate' : 'private key'}`);
    return pem;
  };
  return { cert: read('TLS_CERT', certFile, '-----BEGIN CERTIFICATE-----'), key: read('TLS_KEY', keyFile, 'PRIVATE KEY-----') };
}
