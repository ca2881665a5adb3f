import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';
import { waitFor } from './harness.ts';

/** The machine's shared Redis (scripts/test-prereqs.sh starts it): never stopped by a test. */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/** A key prefix no other test run uses. */
export function uniquePrefix(name: string): string {
  return `af-test:${name}:${randomUUID()}:`;
}

/**
 * Says the shared replay caches under `prefix` have remembered every id since `since` (ms), as on
 * a deployment whose Redis has been up for a while; a brand-new prefix would otherwise refuse, in
 * its first second, assertions whose whole-second `iat` began before it (REPLAY_CACHE_RESTARTED).
 */
export async function seedEpoch(url: string, prefix: string, since: number): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    await r.set(`${prefix}epoch`, String(since));
  } finally {
    r.disconnect();
  }
}

/** Deletes every key under `prefix` (SCAN, never KEYS on a shared server). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/**
 * A redis-server of this test's own, on a free loopback port, that the test may stop and start
 * again (fault tests; the shared one at 6379 is never stopped). Nothing is persisted: a restart
 * comes back empty, as a server without persistence does.
 */
export interface OwnRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startOwnRedis(o: { port?: number } = {}): Promise<OwnRedis> {
  const port = o.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'af-redis-'));
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    child = c;
    await waitFor(async () => {
      if (c.exitCode !== null) throw new Error(`redis-server exited with ${c.exitCode}`);
      const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => {});
      try {
        await r.connect();
        return (await r.ping()) === 'PONG' ? true : undefined;
      } catch {
        return undefined;
      } finally {
        r.disconnect();
      }
    }, 10_000);
  };
  const stop = async () => {
    const c = child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL'); // a crash, not a shutdown: clients see their connections reset
    await exited;
    child = undefined;
  };
  await start();
  return {
    url,
    port,
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
