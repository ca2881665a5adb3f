import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from './project-root.ts';

/**
 * One gateway replica as a child process (`node src/cli/main.ts start`), restarted a second after it
 * dies unless the cluster is stopping: a SIGKILLed replica comes back, as under a process manager,
 * and recovers whatever it held from the shared store.
 */
export class SupervisedReplica {
  readonly name: string;
  readonly port: number;
  #env: NodeJS.ProcessEnv;
  #log: (line: string) => void;
  #child: ChildProcess | undefined;
  #stopping = false;
  restarts = 0;

  constructor(o: { name: string; port: number; env: NodeJS.ProcessEnv; log: (line: string) => void }) {
    this.name = o.name;
    this.port = o.port;
    this.#env = o.env;
    this.#log = o.log;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): void {
    // Its stdin is a pipe it watches (--exit-with-parent): if this supervisor is killed outright, the replica stops too.
    const child = spawn(process.execPath, ['--max-semi-space-size=12', join(PROJECT_ROOT, 'src/cli/main.ts'), 'start', '--exit-with-parent'], { env: this.#env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => {}); // EPIPE once the replica has gone
    this.#child = child;
    for (const s of [child.stdout!, child.stderr!]) createInterface({ input: s }).on('line', (l) => this.#log(`[${this.name}] ${l}`));
    child.once('exit', (code, signal) => {
      if (this.#stopping) return;
      this.#log(`[${this.name}] exited (${signal ?? `code ${code}`}); restarting in 1 s`);
      this.restarts++;
      setTimeout(() => {
        if (!this.#stopping) this.start();
      }, 1000).unref();
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Polls `url` until it answers 200, or throws after `timeoutMs`. */
export async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await r.body?.cancel();
      if (r.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
