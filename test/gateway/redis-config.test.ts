/**
 * REDIS_URL at start-up (issue 16 item 3): a bad value stops `start` with one line naming the
 * variable (and never echoing a password); a good URL whose server is not there yet starts the
 * gateway not ready, and it becomes ready once the server is up — real `start` processes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isFirewallError } from '../../src/core/errors.ts';
import { loadConfig } from '../../src/gateway/config.ts';
import { examplePortsEnv } from '../helpers/example-ports.ts';
import { freePort } from '../helpers/free-port.ts';
import { failedStart } from '../helpers/gateway-process.ts';
import { ROOT, waitFor } from '../helpers/harness.ts';
import { deleteKeys, startOwnRedis, uniquePrefix } from '../helpers/redis-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'af-redis-config-'));
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

function configError(env: Record<string, string>): { variable: unknown; message: string } {
  try {
    loadConfig({ DATA_DIR: dir, ...env }, dir, ROOT);
  } catch (e) {
    if (isFirewallError(e, 'CONFIG_INVALID')) return { variable: e.detail?.['variable'], message: e.message };
    throw e;
  }
  throw new Error('accepted');
}

describe('REDIS_URL and REDIS_KEY_PREFIX', () => {
  it.each([
    ['not a url', 'REDIS_URL'],
    ['http://127.0.0.1:6379', 'REDIS_URL'],
    ['redis://', 'REDIS_URL'],
    ['redis://127.0.0.1:6379/db', 'REDIS_URL'],
    ['redis://127.0.0.1:6379/0?x=1', 'REDIS_URL'],
  ])('%s is refused naming %s', (url, variable) => {
    expect(configError({ REDIS_URL: url }).variable).toBe(variable);
  });

  it('a bad key prefix, or a prefix without a URL, names REDIS_KEY_PREFIX', () => {
    expect(configError({ REDIS_URL: 'redis://127.0.0.1', REDIS_KEY_PREFIX: 'has space' }).variable).toBe('REDIS_KEY_PREFIX');
    expect(configError({ REDIS_KEY_PREFIX: 'af:' }).variable).toBe('REDIS_KEY_PREFIX');
  });

  it('good values are taken as given; none means no Redis', () => {
    const c = loadConfig({ DATA_DIR: dir, REDIS_URL: 'rediss://user:pw@redis.internal:6380/2', REDIS_KEY_PREFIX: 'bank-a:' }, dir, ROOT);
    expect(c.redis).toEqual({ url: 'rediss://user:pw@redis.internal:6380/2', keyPrefix: 'bank-a:' });
    expect(loadConfig({ DATA_DIR: dir, REDIS_URL: 'redis://127.0.0.1' }, dir, ROOT).redis?.keyPrefix).toBe('af:');
    expect(loadConfig({ DATA_DIR: dir }, dir, ROOT).redis).toBeUndefined();
  });

  it('`start` with a bad REDIS_URL exits non-zero with one line naming it, without the password', async () => {
    const out = await failedStart({ DATA_DIR: join(dir, 'bad'), PORT: '0', REDIS_URL: 'http://user:s3cret@127.0.0.1:6379' });
    expect(out.code).not.toBe(0);
    expect(out.out).toMatch(/^error CONFIG_INVALID: environment variable REDIS_URL: /m);
    expect(out.out).not.toContain('s3cret');
  });

  it('a server that is not up yet: the gateway starts not ready, refuses authentication, and becomes ready when it is', async () => {
    const port = await freePort();
    const gwPort = await freePort();
    const prefix = uniquePrefix('config');
    const env = {
      PORT: String(gwPort),
      DATA_DIR: join(dir, 'late'),
      ...(await examplePortsEnv()),
      POLICY_FILE: '',
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_KEY_PREFIX: prefix,
    };
    const url = `http://127.0.0.1:${gwPort}`;
    // Spawned here rather than through startGatewayProcess, which waits for ready: this one is not
    // ready until the test starts Redis, once it has seen the gateway up and not ready.
    let out = '';
    const child = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'start'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    cleanup.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    });
    const notReady = await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`gateway exited during start-up:\n${out}`);
      const r = await fetch(`${url}/readyz`).catch(() => undefined);
      return r?.status === 503 ? ((await r.json()) as { checks: Record<string, { ok: boolean }> }) : undefined;
    }, 30_000); // as startGatewayProcess allows a start-up
    expect(notReady.checks['redis']?.ok).toBe(false);
    const refused = await fetch(`${url}/v1/actions/act_x`, { headers: { authorization: 'Bearer guess' } });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ code: 'AUTH_LIMITER_UNAVAILABLE' });
    const redis = await startOwnRedis({ port });
    cleanup.push(() => redis.close());
    cleanup.push(() => deleteKeys(redis.url, prefix));
    await waitFor(async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined), 30_000);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await fetch(`${url}/v1/actions/act_x`, { headers: { authorization: 'Bearer guess' } })).status).toBe(401);
  });
});
