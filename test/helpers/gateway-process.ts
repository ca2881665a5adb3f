import { spawn, type ChildProcess } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, waitFor } from './harness.ts';

/** The gateway as a real process (`node src/cli/main.ts start`), for crash and restart tests. */
export interface GatewayProcess {
  child: ChildProcess;
  output: () => string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function startGatewayProcess(env: Record<string, string>, url: string): Promise<GatewayProcess> {
  let out = '';
  const child = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'start'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`gateway exited during start-up:\n${out}`);
      const r = await fetch(`${url}/readyz`).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    },
    30_000,
    100,
  ).catch(async (e: unknown) => {
    // Never leave a gateway that did not become ready (and its hsm-sim child) running behind a failed test.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    throw e;
  });
  return {
    child,
    output: () => out,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Runs the CLI once and returns its exit code and output. */
export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Registers an agent (owner bob) with the CLI, its public key written into `dir`; throws with the CLI's output if that fails. */
export async function registerAgent(dir: string, env: Record<string, string>, id: string, publicKey: KeyObject): Promise<void> {
  const pub = join(dir, `${id}.pub.jwk`);
  writeFileSync(pub, JSON.stringify(publicKey.export({ format: 'jwk' })));
  const reg = await runCli(['principal', 'register', '--id', id, '--roles', 'agent', '--public-key', pub, '--owner', 'bob'], env);
  if (reg.code !== 0) throw new Error(`principal register ${id} exited ${reg.code}:\n${reg.out}`);
}

/** Runs `start` expecting it to fail; returns its exit code and everything it printed. */
export function failedStart(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'start'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // A start that hangs instead of exiting is a failure too; do not leave it (and its hsm-sim) behind.
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}
