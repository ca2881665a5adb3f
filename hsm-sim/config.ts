/**
 * Configuration from command-line flags and environment (flags win). The master secret comes from
 * the environment or a file only, never from argv, where `ps` would show it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FirewallError } from '../src/core/errors.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './protocol/frame.ts';
import { isLoopback } from './loopback.ts';
import type { Listen } from './server/server.ts';
import { loadAllowList, loadTlsMaterial, type TlsServerFiles } from './server/tls.ts';
import { MIN_MASTER_SECRET_BYTES } from './store/sealing.ts';
import { DEFAULT_MAX_PIN_FAILURES } from './token/pin.ts';

export interface DeviceConfig {
  dataDir: string;
  listen: Listen;
  masterSecret: Buffer;
  maxFrameBytes: number;
  maxPinFailures: number;
  logLevel: string;
  /** Exit when stdin closes: the parent that spawned the device has gone (embedded mode). */
  exitWithParent: boolean;
  /** How long to wait for a previous device still holding the data directory. */
  lockWaitMs: number;
  /** Test-only crash injection: "<commit reason prefix>:<stage>" (docs/hsm.md). */
  stallAt: string | undefined;
}

export const USAGE = `usage: node hsm-sim/main.ts [--data-dir DIR] [--socket PATH | --tcp HOST:PORT] [--max-frame-bytes N] [--exit-with-parent]

  --exit-with-parent          shut down when stdin closes (the spawning process has died)

environment:
  HSM_SIM_DATA_DIR            data directory (default ./data/hsm-sim), created with mode 0700
  HSM_SIM_MASTER_SECRET       master secret, at least ${MIN_MASTER_SECRET_BYTES} bytes (required unless _FILE is set)
  HSM_SIM_MASTER_SECRET_FILE  file holding the master secret (trailing newline ignored)
  HSM_SIM_SOCKET              Unix socket path (default <data dir>/hsm.sock)
  HSM_SIM_TCP                 HOST:PORT instead of the Unix socket (port 0 = any); without TLS, loopback only
  HSM_SIM_TLS_CERT            PEM server certificate (chain): serve TCP with TLS 1.3 and client certificates
  HSM_SIM_TLS_KEY             PEM private key of that certificate
  HSM_SIM_TLS_CLIENT_CA       PEM CA that client certificates must chain to
  HSM_SIM_TLS_ALLOWED_CLIENTS_FILE  allowed clients, one per line: sha256:<fingerprint> or cn:<name> (SIGHUP re-reads)
  HSM_SIM_TLS_ALLOWED_CLIENTS same, inline, comma-separated
  HSM_SIM_MAX_FRAME_BYTES     largest accepted frame (default ${DEFAULT_MAX_FRAME_BYTES})
  HSM_SIM_MAX_PIN_FAILURES    wrong PINs before a role locks (default ${DEFAULT_MAX_PIN_FAILURES})
  HSM_SIM_LOG_LEVEL           pino level (default info)
  HSM_SIM_LOCK_WAIT_MS        wait this long for a previous device to release the data directory (default 0)
`;

function configError(message: string): FirewallError {
  return new FirewallError('HSM_SIM_CONFIG_INVALID', message);
}

function positiveInt(name: string, raw: string, max: number): number {
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > max) throw configError(`${name} must be an integer in 1..${max}, got "${raw}"`);
  return n;
}

function parseTcp(raw: string): Listen {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):([0-9]{1,5})$/.exec(raw);
  if (m === null) throw configError(`TCP address must be HOST:PORT, got "${raw}"`);
  const port = Number(m[2]);
  if (port > 65535) throw configError(`TCP port out of range: ${port}`);
  return { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

const TLS_VARIABLES = ['HSM_SIM_TLS_CERT', 'HSM_SIM_TLS_KEY', 'HSM_SIM_TLS_CLIENT_CA'] as const;

/** TLS is all or nothing: a device that half-configures it must not fall back to plain TCP. */
function tlsFiles(env: NodeJS.ProcessEnv): TlsServerFiles | undefined {
  const set = (name: string) => env[name] !== undefined && env[name] !== '';
  const allowFile = env.HSM_SIM_TLS_ALLOWED_CLIENTS_FILE;
  const allowInline = env.HSM_SIM_TLS_ALLOWED_CLIENTS;
  const any = TLS_VARIABLES.some(set) || set('HSM_SIM_TLS_ALLOWED_CLIENTS_FILE') || set('HSM_SIM_TLS_ALLOWED_CLIENTS');
  if (!any) return undefined;
  const missing = TLS_VARIABLES.find((n) => !set(n));
  if (missing !== undefined) throw configError(`${missing} is not set: TLS needs HSM_SIM_TLS_CERT, HSM_SIM_TLS_KEY and HSM_SIM_TLS_CLIENT_CA together`);
  if (set('HSM_SIM_TLS_ALLOWED_CLIENTS_FILE') && set('HSM_SIM_TLS_ALLOWED_CLIENTS')) throw configError('HSM_SIM_TLS_ALLOWED_CLIENTS_FILE and HSM_SIM_TLS_ALLOWED_CLIENTS are both set: give one');
  let allowedClients: TlsServerFiles['allowedClients'];
  if (allowFile !== undefined && allowFile !== '') allowedClients = { file: resolve(allowFile) };
  else if (allowInline !== undefined && allowInline !== '') allowedClients = { inline: allowInline };
  else throw configError('HSM_SIM_TLS_ALLOWED_CLIENTS_FILE is not set: with TLS, every client certificate must be allowed by fingerprint or CN');
  const files = { certFile: resolve(env.HSM_SIM_TLS_CERT!), keyFile: resolve(env.HSM_SIM_TLS_KEY!), clientCaFile: resolve(env.HSM_SIM_TLS_CLIENT_CA!), allowedClients };
  // Read once here so that a bad file stops start-up before the device is opened (or manufactured).
  loadTlsMaterial(files);
  loadAllowList(allowedClients);
  return files;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): DeviceConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      socket: { type: 'string' },
      tcp: { type: 'string' },
      'max-frame-bytes': { type: 'string' },
      'exit-with-parent': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const dataDir = resolve(values['data-dir'] ?? env.HSM_SIM_DATA_DIR ?? 'data/hsm-sim');

  let secret: Buffer | undefined;
  if (env.HSM_SIM_MASTER_SECRET !== undefined && env.HSM_SIM_MASTER_SECRET !== '') secret = Buffer.from(env.HSM_SIM_MASTER_SECRET, 'utf8');
  else if (env.HSM_SIM_MASTER_SECRET_FILE !== undefined && env.HSM_SIM_MASTER_SECRET_FILE !== '') {
    try {
      secret = Buffer.from(readFileSync(env.HSM_SIM_MASTER_SECRET_FILE, 'utf8').replace(/\r?\n$/, ''), 'utf8');
    } catch (e) {
      throw configError(`cannot read HSM_SIM_MASTER_SECRET_FILE: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  if (secret === undefined) throw configError('no master secret: set HSM_SIM_MASTER_SECRET or HSM_SIM_MASTER_SECRET_FILE');
  if (secret.length < MIN_MASTER_SECRET_BYTES) throw configError(`the master secret must be at least ${MIN_MASTER_SECRET_BYTES} bytes (it is ${secret.length})`);

  const tcp = values.tcp ?? env.HSM_SIM_TCP;
  const socket = values.socket ?? env.HSM_SIM_SOCKET;
  if (tcp !== undefined && tcp !== '' && values.socket !== undefined) throw configError('give either --socket or --tcp, not both');
  const listen: Listen = tcp !== undefined && tcp !== '' ? parseTcp(tcp) : { kind: 'unix', path: resolve(socket ?? `${dataDir}/hsm.sock`) };
  const tls = tlsFiles(env);
  if (listen.kind === 'unix' && tls !== undefined) throw configError('HSM_SIM_TLS_CERT is set but the device listens on a Unix socket: TLS needs HSM_SIM_TCP (or --tcp)');
  if (listen.kind === 'tcp') {
    if (tls !== undefined) listen.tls = tls;
    else if (!isLoopback(listen.host)) throw configError(`HSM_SIM_TCP: ${listen.host} is not a loopback address; plain TCP is refused there, set HSM_SIM_TLS_CERT, HSM_SIM_TLS_KEY, HSM_SIM_TLS_CLIENT_CA and HSM_SIM_TLS_ALLOWED_CLIENTS_FILE`);
  }

  const frame = values['max-frame-bytes'] ?? env.HSM_SIM_MAX_FRAME_BYTES;
  const failures = env.HSM_SIM_MAX_PIN_FAILURES;
  const lockWait = env.HSM_SIM_LOCK_WAIT_MS;
  return {
    dataDir,
    listen,
    masterSecret: secret,
    maxFrameBytes: frame === undefined ? DEFAULT_MAX_FRAME_BYTES : positiveInt('max frame bytes', frame, 64 * 1024 * 1024),
    maxPinFailures: failures === undefined ? DEFAULT_MAX_PIN_FAILURES : positiveInt('HSM_SIM_MAX_PIN_FAILURES', failures, 100),
    logLevel: env.HSM_SIM_LOG_LEVEL ?? 'info',
    exitWithParent: values['exit-with-parent'] === true,
    lockWaitMs: lockWait === undefined || lockWait === '0' ? 0 : positiveInt('HSM_SIM_LOCK_WAIT_MS', lockWait, 60_000),
    stallAt: env.HSM_SIM_TEST_STALL_AT === '' ? undefined : env.HSM_SIM_TEST_STALL_AT,
  };
}
