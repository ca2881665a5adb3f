/**
 * startHsmSim: the embedded-defaults start. First run generates secrets into the data directory
 * (0600) and says so; later runs reuse them; an initialised device without secrets is refused.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHsmSimSigner } from '../../src/adapters/signer/hsm-sim-signer.ts';
import { startHsmSim } from '../../src/adapters/signer/hsm-sim-process.ts';
import { Cleanup, tempDir, waitFor } from '../hsm/helpers.ts';

const cleanup = new Cleanup();
afterEach(async () => {
  vi.restoreAllMocks();
  await cleanup.run();
});

const SECRET_ENV = ['HSM_SIM_MASTER_SECRET', 'HSM_SIM_SO_PIN', 'HSM_SIM_USER_PIN'] as const;

describe('startHsmSim', () => {
  it('generates embedded secrets once (mode 0600, announced on stderr) and reuses them', async () => {
    for (const k of SECRET_ENV) {
      const old = process.env[k];
      delete process.env[k];
      cleanup.add(() => {
        if (old !== undefined) process.env[k] = old;
      });
    }
    const dir = await tempDir(cleanup);
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      stderr.push(String(chunk));
      return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    });

    const dev = await startHsmSim({ dataDir: dir, onLog: () => {} });
    cleanup.add(() => dev.stop());
    const file = join(dir, 'embedded-secrets.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const secrets = JSON.parse(await readFile(file, 'utf8'));
    expect(secrets.userPin).toBe(dev.userPin);
    expect(Buffer.from(secrets.masterSecret, 'base64url').length).toBe(32);
    expect(stderr.join('')).toMatch(/generated masterSecret, soPin, userPin into .*embedded-secrets\.json \(mode 0600\)/);
    expect(stderr.join('')).not.toContain(secrets.userPin);
    expect(dev.state).toBe('active');
    const signer = createHsmSimSigner({ socketPath: dev.socketPath, userPin: dev.userPin });
    const [first] = await signer.ensureKeys();
    await signer.close();
    await dev.stop();

    stderr.length = 0;
    const again = await startHsmSim({ dataDir: dir, onLog: () => {} });
    cleanup.add(() => again.stop());
    expect(stderr.join('')).not.toMatch(/generated/);
    expect(again.userPin).toBe(dev.userPin);
    const s2 = createHsmSimSigner({ socketPath: again.socketPath, userPin: again.userPin });
    cleanup.add(() => s2.close());
    expect((await s2.publicKey('receipt')).kid).toBe(first!.kid);
  });

  it('generates only what is not supplied, and never writes a supplied secret', async () => {
    const dir = await tempDir(cleanup);
    const saved = SECRET_ENV.map((k) => [k, process.env[k]] as const);
    for (const k of SECRET_ENV) delete process.env[k];
    try {
      const dev = await startHsmSim({ dataDir: dir, masterSecret: 'supplied-master-secret-0123456789abcdef', onLog: () => {} });
      cleanup.add(() => dev.stop());
      const stored = JSON.parse(await readFile(join(dir, 'embedded-secrets.json'), 'utf8'));
      expect(Object.keys(stored).sort()).toEqual(['soPin', 'userPin']);
      expect(stored.userPin).toBe(dev.userPin);
    } finally {
      for (const [k, v] of saved) if (v !== undefined) process.env[k] = v;
    }
  });

  it('refuses an initialised device when no secrets are given or stored', async () => {
    const dir = await tempDir(cleanup);
    const dev = await startHsmSim({ dataDir: dir, masterSecret: 'k'.repeat(40), soPin: 'so-pin-0001', userPin: 'user-pin-0001', onLog: () => {} });
    await dev.stop();
    const saved = SECRET_ENV.map((k) => [k, process.env[k]] as const);
    for (const k of SECRET_ENV) delete process.env[k];
    try {
      await expect(startHsmSim({ dataDir: dir, onLog: () => {} })).rejects.toMatchObject({ code: 'HSM_SIM_SECRETS_MISSING' });
    } finally {
      for (const [k, v] of saved) if (v !== undefined) process.env[k] = v;
    }
  });

  it('the device dies with its parent, even a SIGKILLed one, and a new parent can start it again', async () => {
    const dir = await tempDir(cleanup);
    // A parent process that starts the device and reports its pid, then idles until killed.
    const parentScript = `
      import { startHsmSim } from ${JSON.stringify(join(import.meta.dirname, '../../src/adapters/signer/hsm-sim-process.ts'))};
      const dev = await startHsmSim({ dataDir: ${JSON.stringify(dir)}, masterSecret: 'k'.repeat(40), soPin: 'so-pin-0001', userPin: 'user-pin-0001', onLog: () => {} });
      process.stdout.write(String(dev.process.pid) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanup.add(() => void parent.kill('SIGKILL'));
    const [line] = (await once(createInterface({ input: parent.stdout! }), 'line')) as [string];
    const childPid = Number(line);
    const alive = () => {
      try {
        process.kill(childPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    cleanup.add(() => {
      if (alive()) process.kill(childPid, 'SIGKILL');
    });
    parent.kill('SIGKILL');
    await waitFor(() => !alive(), 5000, 'the orphaned device to exit');
    const again = await startHsmSim({ dataDir: dir, masterSecret: 'k'.repeat(40), soPin: 'so-pin-0001', userPin: 'user-pin-0001', onLog: () => {} });
    cleanup.add(() => again.stop());
    expect(again.state).toBe('active');
  });

  it('stop() terminates the process; a second stop() is harmless', async () => {
    const dev = await startHsmSim({ dataDir: await tempDir(cleanup), masterSecret: 'k'.repeat(40), soPin: 'so-pin-0001', userPin: 'user-pin-0001', onLog: () => {} });
    await dev.stop();
    expect(dev.process.exitCode).toBe(0);
    await dev.stop();
  });
});
