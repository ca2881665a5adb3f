import { Worker } from 'node:worker_threads';

/**
 * Keeps the WAL short from a worker thread (wal-checkpoint-worker.ts). Should the worker fail,
 * `onLost` runs and the store turns SQLite's own automatic checkpoints back on: slower, never
 * unbounded.
 */
export class WalCheckpointer {
  readonly #worker: Worker;
  #stopped = false;

  constructor(opts: { path: string; intervalMs?: number; onLost: (cause: unknown) => void }) {
    this.#worker = new Worker(new URL('./wal-checkpoint-worker.ts', import.meta.url), {
      workerData: { path: opts.path, intervalMs: opts.intervalMs ?? 50 },
    });
    this.#worker.unref();
    const lost = (cause: unknown) => {
      if (!this.#stopped) opts.onLost(cause);
      this.#stopped = true;
    };
    this.#worker.on('error', lost);
    this.#worker.on('exit', (code) => lost(new Error(`checkpoint worker exited (${code})`)));
    this.#worker.on('message', (m: { type: string; code?: string }) => {
      if (m.type === 'error') lost(new Error(`checkpoint failed (${m.code})`));
    });
  }

  /** Closes the worker's connection before the store closes its own. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => void this.#worker.terminate().then(() => resolve()), 2000);
      this.#worker.on('message', (m: { type: string }) => {
        if (m.type === 'stopped') {
          clearTimeout(t);
          void this.#worker.terminate().then(() => resolve());
        }
      });
      this.#worker.postMessage({ type: 'stop' });
    });
  }
}
