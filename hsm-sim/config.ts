/**
 * Configuration from command-line flags and environment (flags win). The master secret comes from
 * the environment or a file only, never from argv, where `ps` would show it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FirewallError } from '../src/core/errors.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './protocol/frame.ts';
import type { Listen } from './server/server.ts';
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
  HSM_SIM_TCP                 HOST:PORT on loopback instead of the Unix socket (port 0 = any)
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
