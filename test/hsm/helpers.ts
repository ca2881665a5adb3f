/**
 * Test helpers: real hsm-sim processes in their own temp directories, raw protocol clients, and a
 * cleanup list every test drains (processes first, then directories).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HsmSimConnection, type Endpoint } from '../../hsm-sim/client/connection.ts';
import { FrameDecoder, encodeFrame, parseFrameBody } from '../../hsm-sim/protocol/frame.ts';
import { startHsmSim, type HsmSimProcess, type StartHsmSimOptions } from '../../src/adapters/signer/hsm-sim-process.ts';

export const MASTER_SECRET = 'test-master-secret-0123456789abcdef-0123456789';
export const SO_PIN = 'so-pin-7391';
export const USER_PIN = 'user-pin-2846';

export class Cleanup {
  #fns: (() => Promise<void> | void)[] = [];
  add(fn: () => Promise<void> | void): void {
    this.#fns.push(fn);
  }
  async run(): Promise<void> {
    const fns = this.#fns.reverse();
    this.#fns = [];
    for (const fn of fns) {
      try {
        await fn();
      } catch {
        /* keep cleaning */
      }
    }
  }
}

export async function tempDir(cleanup: Cleanup, prefix = 'hsm-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface Device extends HsmSimProcess {
  logs: string[];
  dataDir: string;
}

export async function startDevice(cleanup: Cleanup, dataDir: string, extra: Partial<StartHsmSimOptions> = {}): Promise<Device> {
  const logs: string[] = [];
  const dev = await startHsmSim({
    dataDir,
    masterSecret: MASTER_SECRET,
    soPin: SO_PIN,
    userPin: USER_PIN,
    logLevel: 'debug',
    onLog: (l) => logs.push(l),
    ...extra,
  });
  cleanup.add(() => dev.stop());
  return Object.assign(dev, { logs, dataDir });
}

export function connect(cleanup: Cleanup, endpoint: Endpoint): HsmSimConnection {
  const c = new HsmSimConnection({ endpoint, requestTimeoutMs: 20_000 });
  cleanup.add(() => c.close());
  return c;
}

export async function loggedIn(cleanup: Cleanup, endpoint: Endpoint, role: 'so' | 'user'): Promise<HsmSimConnection> {
  const c = connect(cleanup, endpoint);
  await c.request('login', { role, pin: role === 'so' ? SO_PIN : USER_PIN });
  return c;
}

/** Expect a promise to reject with a FirewallError of `code`; returns the error. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<Error & { code: string; detail?: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { code: string };
    if (err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

/** A raw socket for sending arbitrary bytes and reading decoded answer frames. */
export class RawClient {
  readonly socket: Socket;
  #decoder = new FrameDecoder(64 * 1024 * 1024);
  #frames: Record<string, unknown>[] = [];
  #waiting: ((f: Record<string, unknown>) => void)[] = [];
  closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const ev of this.#decoder.push(chunk)) {
        if (ev.kind !== 'frame') continue;
        const f = parseFrameBody(ev.body);
        const w = this.#waiting.shift();
        if (w !== undefined) w(f);
        else this.#frames.push(f);
      }
    });
    this.closed = new Promise((r) => socket.once('close', () => r()));
  }

  static async open(cleanup: Cleanup, endpoint: Endpoint): Promise<RawClient> {
    const socket = 'socketPath' in endpoint ? createConnection(endpoint.socketPath) : createConnection(endpoint);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    cleanup.add(() => void socket.destroy());
    return new RawClient(socket);
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  send(message: unknown): void {
    this.socket.write(encodeFrame(message));
  }

  next(timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const ready = this.#frames.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no frame within timeout')), timeoutMs);
      this.#waiting.push((f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
  }
}

export function frameOf(body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(body.length);
  return Buffer.concat([h, body]);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(opts.input);
    }
  });
}

export function waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (predicate()) resolve();
      else if (Date.now() - start > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}
