/**
 * hsm-sim: a simulated hardware security module as its own process (`npm run hsm-sim`).
 * On readiness it prints one JSON line on stdout: {"event":"ready", "transport", "socketPath"|"host"+"port", "pid", "state", "deviceSerial"}.
 * Signals: SIGTERM/SIGINT shut down cleanly; SIGUSR2 stands for the case being opened (tamper).
 * With --exit-with-parent it also shuts down when stdin closes (embedded mode: the parent died).
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { systemClock } from '../src/core/clock.ts';
import { isFirewallError } from '../src/core/errors.ts';
import { USAGE, loadConfig, type DeviceConfig } from './config.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { createDeviceLog } from './log.ts';
import { startServer } from './server/server.ts';
import { stallProbe } from './stall.ts';
import { devicePaths } from './store/paths.ts';
import { Token } from './token/token.ts';

const EX_CONFIG = 78;

function fail(message: string, code: number): never {
  process.stderr.write(`hsm-sim: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let config: DeviceConfig | 'help';
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (e) {
    fail((e as Error).message, EX_CONFIG);
  }
  if (config === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  // The secret is in memory now; keep it out of any child's environment.
  delete process.env.HSM_SIM_MASTER_SECRET;

  // Installed before anything else: SIGUSR2's default action would kill the process, which is not
  // a tamper response. A signal during start-up is acted on as soon as the token is open.
  let token: Token | undefined;
  let tamperPending = false;
  const caseOpened = (t: Token) => t.tamper('case-opened', 'SIGUSR2: the enclosure was opened', 'device');
  process.on('SIGUSR2', () => {
    if (token === undefined) tamperPending = true;
    else caseOpened(token);
  });

  const log = createDeviceLog(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(config.dataDir, 0o700);
  const paths = devicePaths(config.dataDir);
  let unlock: () => void;
  try {
    unlock = await lockDataDir(paths.lock, config.lockWaitMs);
  } catch (e) {
    fail((e as Error).message, EX_CONFIG);
  }

  let opened: Token;
  try {
    opened = Token.open({ paths, masterSecret: config.masterSecret, clock: systemClock, log, maxPinFailures: config.maxPinFailures, probe: stallProbe(config.stallAt) });
  } catch (e) {
    unlock();
    if (isFirewallError(e, 'MASTER_SECRET_MISMATCH')) fail(e.message, EX_CONFIG);
    throw e;
  }
  config.masterSecret.fill(0);
  token = opened;
  if (tamperPending) caseOpened(opened);

  const server = await startServer({ token: opened, log, listen: config.listen, maxFrameBytes: config.maxFrameBytes }).catch((e: unknown) => {
    opened.close();
    unlock();
    fail((e as Error).message, EX_CONFIG);
  });

  let stopping = false;
  const shutdown = (signal: string, graceMs?: number): void => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'shutdown', signal }, 'shutting down');
    void server.close(graceMs).then(() => {
      opened.close();
      unlock();
      process.exit(0);
    });
  };
  // SIGHUP re-reads the TLS allow list: how one gateway's certificate is withdrawn without a restart.
  process.on('SIGHUP', () => server.reloadAllowList());
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (config.exitWithParent) {
    // The parent holds our stdin open; the kernel closes it when the parent dies, however it dies.
    // Nobody is left to talk to, so no grace period.
    process.stdin.on('data', () => {});
    process.stdin.once('close', () => shutdown('parent-exit', 0));
    process.stdin.once('end', () => shutdown('parent-exit', 0));
  }
  process.on('uncaughtException', (e) => {
    log.fatal({ event: 'crash', err: e.message }, 'uncaught exception');
    unlock();
    process.exit(1);
  });

  const a = server.address;
  const ready = a.kind === 'unix' ? { transport: 'unix', socketPath: a.path } : { transport: 'tcp', host: a.host, port: a.port, tls: a.tls };
  process.stdout.write(JSON.stringify({ event: 'ready', ...ready, pid: process.pid, state: opened.state, deviceSerial: opened.deviceSerial }) + '\n');
  log.info({ event: 'ready', ...ready, state: opened.state, deviceSerial: opened.deviceSerial }, 'hsm-sim ready');
}

await main();
