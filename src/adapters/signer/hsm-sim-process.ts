/**
 * Runs hsm-sim as a child process for the gateway's embedded-defaults start, and initialises its
 * token on first run (SO PIN, then user PIN). Secrets come from the options, else the environment
 * (HSM_SIM_MASTER_SECRET, HSM_SIM_SO_PIN, HSM_SIM_USER_PIN), else, on a brand-new data directory
 * only, they are generated into <dataDir>/embedded-secrets.json (mode 0600) and stderr says so.
 * That file sits next to the sealed store, so it is for development, never for production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { FirewallError } from '../../core/errors.ts';
import { HsmSimConnection, type ClientTls, type Endpoint } from '../../../hsm-sim/client/connection.ts';

export interface StartHsmSimOptions {
  dataDir: string;
  /** Unix socket path; default <dataDir>/hsm.sock. Ignored when `tcp` is set. */
  socketPath?: string;
  /** Listen on TCP instead (port 0 picks a free port); off loopback only with TLS (HSM_SIM_TLS_* in `env`). */
  tcp?: { host: string; port: number };
  /** When the device serves TLS: this process's client credentials, used to initialise the token and put on `endpoint`. */
  clientTls?: ClientTls;
  masterSecret?: string;
  soPin?: string;
  userPin?: string;
  /** Token label set at initialisation. Default "analog-firewall". */
  tokenLabel?: string;
  /** hsm-sim log level. Default HSM_SIM_LOG_LEVEL or "info". */
  logLevel?: string;
  /** Extra environment for the child (e.g. HSM_SIM_MAX_PIN_FAILURES). */
  env?: Record<string, string>;
  /** Where the child's log lines go. Default: this process's stderr. */
  onLog?: (line: string) => void;
  /** Default 20000 ms (the first start makes an RSA-3072 device key). */
  readyTimeoutMs?: number;
}

export interface HsmSimProcess {
  /** Unix socket path, or "" when listening on TCP (see `endpoint`). */
  socketPath: string;
  endpoint: Endpoint;
  userPin: string;
  deviceSerial: string;
  /** Device state after start-up: "active", or "zeroized" after a detected tamper. */
  state: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after 5 s. Resolves when the process has exited. */
  stop(): Promise<void>;
}

interface EmbeddedSecrets {
  masterSecret: string;
  soPin: string;
  userPin: string;
}

const MAIN = resolve(import.meta.dirname, '../../../hsm-sim/main.ts');

const GENERATORS: Record<keyof EmbeddedSecrets, () => string> = {
  masterSecret: () => randomBytes(32).toString('base64url'),
  soPin: () => randomBytes(12).toString('base64url'),
  userPin: () => randomBytes(12).toString('base64url'),
};

function resolveSecrets(opts: StartHsmSimOptions): EmbeddedSecrets {
  const env = process.env;
  const given: Partial<EmbeddedSecrets> = {};
  const pick = (k: keyof EmbeddedSecrets, v: string | undefined) => {
    if (v !== undefined && v !== '') given[k] = v;
  };
  pick('masterSecret', opts.masterSecret ?? env.HSM_SIM_MASTER_SECRET);
  pick('soPin', opts.soPin ?? env.HSM_SIM_SO_PIN);
  pick('userPin', opts.userPin ?? env.HSM_SIM_USER_PIN);
  const file = join(opts.dataDir, 'embedded-secrets.json');
  const stored: Partial<EmbeddedSecrets> = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<EmbeddedSecrets>) : {};
  const names = Object.keys(GENERATORS) as (keyof EmbeddedSecrets)[];
  const missing = names.filter((k) => given[k] === undefined && typeof stored[k] !== 'string');
  if (missing.length > 0) {
    // Generating secrets for a device that already has some would lock us out of it.
    if (existsSync(join(opts.dataDir, 'store.json'))) {
      throw new FirewallError(
        'HSM_SIM_SECRETS_MISSING',
        `hsm-sim in ${opts.dataDir} is already initialised but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not given; set HSM_SIM_MASTER_SECRET, HSM_SIM_SO_PIN and HSM_SIM_USER_PIN`,
      );
    }
    // Only what nobody supplied is generated and written; supplied secrets never go to disk here.
    for (const k of missing) stored[k] = GENERATORS[k]();
    writeFileSync(file, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
    process.stderr.write(
      `hsm-sim: generated ${missing.join(', ')} into ${file} (mode 0600) for embedded defaults; ` +
        'this is for development only: in production pass HSM_SIM_MASTER_SECRET, HSM_SIM_SO_PIN and HSM_SIM_USER_PIN\n',
    );
  }
  return { masterSecret: given.masterSecret ?? stored.masterSecret!, soPin: given.soPin ?? stored.soPin!, userPin: given.userPin ?? stored.userPin! };
}

interface ReadyLine {
  event: 'ready';
  transport: 'unix' | 'tcp';
  socketPath?: string;
  host?: string;
  port?: number;
  state: string;
  deviceSerial: string;
}

function waitReady(child: ChildProcess, timeoutMs: number, stderrTail: string[]): Promise<ReadyLine> {
  return new Promise<ReadyLine>((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new FirewallError('SIGNER_UNAVAILABLE', `hsm-sim did not become ready within ${timeoutMs} ms`, { status: 503 }));
    }, timeoutMs);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(new FirewallError('SIGNER_UNAVAILABLE', `hsm-sim exited before it was ready (${signal ?? `code ${code}`}): ${stderrTail.join(' | ')}`, { status: 503 }));
    };
    child.once('exit', onExit);
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as ReadyLine;
        if (msg.event !== 'ready') return;
        clearTimeout(timer);
        child.off('exit', onExit);
        lines.close();
        resolvePromise(msg);
      } catch {
        /* not the ready line */
      }
    });
  });
}

/**
 * First run: the SO initialises the token and sets the user PIN, then logs out. Does nothing to a
 * token that is already initialised with a user PIN. Returns the device state.
 */
export async function initialiseToken(endpoint: Endpoint, secrets: Pick<EmbeddedSecrets, 'soPin' | 'userPin'>, label: string): Promise<string> {
  const conn = new HsmSimConnection({ endpoint });
  try {
    let status = await conn.request<{ state: string; token: { userPinInitialized: boolean } | null }>('status');
    if (status.state === 'uninitialized') {
      await conn.request('initToken', { soPin: secrets.soPin, label });
      status = await conn.request('status');
    }
    if (status.state === 'active' && status.token?.userPinInitialized !== true) {
      await conn.request('login', { role: 'so', pin: secrets.soPin });
      await conn.request('initPin', { pin: secrets.userPin });
      await conn.request('logout');
    }
    return status.state;
  } finally {
    await conn.close();
  }
}

export async function startHsmSim(opts: StartHsmSimOptions): Promise<HsmSimProcess> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secrets = resolveSecrets({ ...opts, dataDir });
  // --exit-with-parent: the device dies with us even when we are SIGKILLed (it watches its stdin).
  const args = [MAIN, '--data-dir', dataDir, '--exit-with-parent'];
  if (opts.tcp !== undefined) args.push('--tcp', `${opts.tcp.host}:${opts.tcp.port}`);
  else args.push('--socket', resolve(opts.socketPath ?? join(dataDir, 'hsm.sock')));

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // A device left by a previous run of ours may still be shutting down: give it time to let go.
    HSM_SIM_LOCK_WAIT_MS: '5000',
    ...opts.env,
    HSM_SIM_MASTER_SECRET: secrets.masterSecret,
    HSM_SIM_LOG_LEVEL: opts.logLevel ?? process.env.HSM_SIM_LOG_LEVEL ?? 'info',
  };
  // The PINs stay in this process; the device learns them only through initToken/initPin.
  delete env.HSM_SIM_SO_PIN;
  delete env.HSM_SIM_USER_PIN;
  delete env.HSM_SIM_MASTER_SECRET_FILE;
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.on('error', () => {}); // EPIPE once the child has gone
  const stderrTail: string[] = [];
  const onLog = opts.onLog ?? ((line: string) => process.stderr.write(line + '\n'));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 5) stderrTail.shift();
    onLog(line);
  });

  const ready = await waitReady(child, opts.readyTimeoutMs ?? 20_000, stderrTail);
  const endpoint: Endpoint =
    ready.transport === 'unix' ? { socketPath: ready.socketPath! } : { host: ready.host!, port: ready.port!, ...(opts.clientTls === undefined ? {} : { tls: opts.clientTls }) };
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  let state = ready.state;
  try {
    if (state !== 'zeroized') state = await initialiseToken(endpoint, secrets, opts.tokenLabel ?? 'analog-firewall');
  } catch (e) {
    await stop();
    throw e;
  }
  return { socketPath: ready.socketPath ?? '', endpoint, userPin: secrets.userPin, deviceSerial: ready.deviceSerial, state, process: child, stop };
}
