import type { Logger } from 'pino';
import type { SignatureService } from './service.ts';

/**
 * Runs the retention purge (SignatureService.purgeInactive) every `retentionEveryMs` while the
 * gateway runs, and once at start. Each run erases a bounded batch; what is left waits for the
 * next run. The time that counts is the service's injected clock, not this timer's.
 */
export class RetentionSchedule {
  readonly #service: SignatureService;
  readonly #log: Pick<Logger, 'info' | 'error'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(service: SignatureService, log: Pick<Logger, 'info' | 'error'>) {
    this.#service = service;
    this.#log = log;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.tick(), this.#service.config.retentionEveryMs);
    this.#timer.unref();
    void this.tick();
  }

  /** Stops the timer and lets a run in progress commit before the store closes. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One run, returning how many people it erased; a call while one runs waits for that one. */
  tick(): Promise<number> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<number> {
    try {
      const erased = await this.#service.purgeInactive();
      // Counts only: which people were erased is in the log, not in log lines.
      if (erased.length > 0) this.#log.info({ erased: erased.length, retentionDays: this.#service.config.retentionDays }, 'retention schedule erased inactive people');
      return erased.length;
    } catch (e) {
      this.#log.error({ err: (e as Error).message }, 'retention purge failed; will retry at the next run');
      return 0;
    }
  }
}
