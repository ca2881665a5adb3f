/**
 * Supervises the embedded hsm-sim child (issue 13 item 6). When the child dies without being
 * asked to (SIGKILL, a crash), it is started again on the same data directory and socket with
 * exponential backoff: the new device runs its power-on checks and reopens the sealed store, and
 * the signer's connection reconnects and logs in again by itself on its next request (the socket
 * path does not change). Until then every signing call fails with SIGNER_UNAVAILABLE, /readyz is
 * false and the scheduler dispatches nothing (docs/hsm.md §Supervision).
 *
 * Tamper is not a crash: a device that reports a tamper event, or that comes back zeroized, is
 * left as it is and never restarted by us. The gateway stays up and not ready (503, /readyz names
 * DEVICE_ZEROIZED) with one error line saying why; recovery is re-provisioning.
 */
import type { Logger } from 'pino';
import type { Endpoint } from '../../../hsm-sim/client/connection.ts';
import { startHsmSim, type HsmSimProcess, type StartHsmSimOptions } from './hsm-sim-process.ts';

export interface SupervisorBackoff {
  /** First restart delay. Default 200 ms. */
  initialMs: number;
  /** Longest delay between attempts. Default 30 000 ms. */
  maxMs: number;
  /** A child that ran at least this long resets the backoff. Default 60 000 ms. */
  stableMs: number;
}

export type SupervisedState = 'running' | 'restarting' | 'zeroized' | 'stopped';

export const DEFAULT_BACKOFF: SupervisorBackoff = { initialMs: 200, maxMs: 30_000, stableMs: 60_000 };

/** Delay before restart attempt `n` (0-based) of a run of consecutive failures. */
export function restartDelay(n: number, b: SupervisorBackoff): number {
  return Math.min(b.maxMs, b.initialMs * 2 ** Math.min(n, 30));
}

export class HsmSimSupervisor {
  readonly #opts: StartHsmSimOptions;
  readonly #log: Logger;
  readonly #backoff: SupervisorBackoff;
  #child: HsmSimProcess;
  #state: SupervisedState = 'running';
  #failures = 0;
  #startedAt = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #restarts = 0;

  private constructor(first: HsmSimProcess, opts: StartHsmSimOptions, log: Logger, backoff: SupervisorBackoff) {
    this.#child = first;
    this.#opts = opts;
    this.#log = log;
    this.#backoff = backoff;
    this.#watch(first);
  }

  /** Starts the device (failures at start-up are the caller's: they stop the gateway) and watches it. */
  static async start(opts: StartHsmSimOptions, log: Logger, backoff: SupervisorBackoff = DEFAULT_BACKOFF): Promise<HsmSimSupervisor> {
    let sup: HsmSimSupervisor | undefined;
    const onLog = opts.onLog ?? ((line: string) => process.stderr.write(line + '\n'));
    // The device's own log lines pass through; its tamper event is also the gateway's fatal line.
    const watched: StartHsmSimOptions = { ...opts, onLog: (line) => {
      onLog(line);
      if (sup !== undefined) sup.#onDeviceLine(line);
    } };
    const first = await startHsmSim(watched);
    // Same socket on every restart, so the signer's endpoint stays valid.
    if (first.socketPath !== '') watched.socketPath = first.socketPath;
    sup = new HsmSimSupervisor(first, watched, log, backoff);
    if (first.state === 'zeroized') sup.#zeroized('the device is zeroized (a tamper event was detected before this start)');
    return sup;
  }

  get endpoint(): Endpoint {
    return this.#child.endpoint;
  }

  get userPin(): string {
    return this.#child.userPin;
  }

  get state(): SupervisedState {
    return this.#state;
  }

  /** Restarts so far (for logs and tests). */
  get restarts(): number {
    return this.#restarts;
  }

  /** The current child's pid (tests SIGKILL it). */
  get pid(): number | undefined {
    return this.#child.process.pid;
  }

  async stop(): Promise<void> {
    this.#state = 'stopped';
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#child.stop();
  }

  #watch(child: HsmSimProcess): void {
    this.#startedAt = Date.now();
    child.process.once('exit', (code, signal) => {
      if (this.#state !== 'running' || child !== this.#child) return;
      if (Date.now() - this.#startedAt >= this.#backoff.stableMs) this.#failures = 0;
      this.#state = 'restarting';
      this.#schedule(`hsm-sim exited unexpectedly (${signal ?? `exit code ${code}`})`);
    });
  }

  #schedule(why: string): void {
    const delayMs = restartDelay(this.#failures++, this.#backoff);
    this.#log.error({ event: 'hsm-sim.down', delayMs, attempt: this.#failures }, `${why}: signing is unavailable and nothing executes; restarting it in ${delayMs} ms`);
    this.#timer = setTimeout(() => void this.#restart(), delayMs);
  }

  async #restart(): Promise<void> {
    if (this.#state !== 'restarting') return;
    let child: HsmSimProcess;
    try {
      child = await startHsmSim(this.#opts);
    } catch (e) {
      if (this.#state === 'restarting') this.#schedule(`hsm-sim did not start again (${(e as Error).message})`);
      return;
    }
    if (this.#state !== 'restarting') {
      await child.stop(); // stopped meanwhile
      return;
    }
    this.#child = child;
    this.#restarts++;
    if (child.state === 'zeroized') {
      this.#state = 'running'; // a live device that answers DEVICE_ZEROIZED: /readyz says so
      this.#zeroized('the device came back zeroized (its power-on checks found tamper)');
      return;
    }
    this.#state = 'running';
    this.#watch(child);
    this.#log.warn({ event: 'hsm-sim.restarted', restarts: this.#restarts, deviceSerial: child.deviceSerial }, 'hsm-sim restarted: sealed store reopened, the signer reconnects');
  }

  #onDeviceLine(line: string): void {
    if (!line.includes('tamper')) return;
    let event: unknown;
    try {
      event = (JSON.parse(line) as { event?: unknown }).event;
    } catch {
      return;
    }
    if (event === 'tamper') this.#zeroized('the device reported a tamper event and zeroized its keys');
  }

  #zeroized(why: string): void {
    if (this.#state === 'zeroized' || this.#state === 'stopped') return;
    this.#state = 'zeroized';
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#log.fatal(
      { event: 'hsm-sim.zeroized' },
      `${why}: this is fatal and not restarted; the gateway stays up but not ready (503, /readyz DEVICE_ZEROIZED) and executes nothing; recovery is re-provisioning (docs/hsm.md §Tamper response)`,
    );
  }
}
