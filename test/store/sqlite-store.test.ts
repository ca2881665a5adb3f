import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isFirewallError } from '../../src/core/errors.ts';
import { SqliteStore, type SqliteStoreOptions } from '../../src/adapters/store/sqlite-store.ts';
import { WalCheckpointer } from '../../src/adapters/store/wal-checkpointer.ts';
import { LogAppender } from '../../src/gateway/log/appender.ts';
import { openTransparencyLog } from '../../src/gateway/log/open-log.ts';
import type { TransparencyLog } from '../../src/gateway/log/transparency-log.ts';
import { systemClock } from '../../src/core/clock.ts';
import { MemorySigner } from '../helpers/memory-signer.ts';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(async () => {
  while (stores.length) await stores.pop()!.close().catch(() => {});
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function open(opts: Partial<SqliteStoreOptions> = {}): { store: SqliteStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'af-store-'));
  dirs.push(dir);
  const path = join(dir, 'gateway.db');
  const store = new SqliteStore({ path, audit: new LogAppender(), ...opts });
  stores.push(store);
  return { store, path };
}

/** A WAL sync the test releases by hand, recording when it was asked for. */
function gatedSync() {
  const waiting: { release: () => void; fail: (e: Error) => void }[] = [];
  return {
    calls: () => waiting.length,
    syncWal: () => new Promise<void>((release, fail) => waiting.push({ release, fail })),
    releaseAll: () => waiting.splice(0).forEach((w) => w.release()),
    failNext: (e: Error) => waiting.shift()!.fail(e),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

async function principal(store: SqliteStore, id: string) {
  return store.tx(async () => {
    store.db.prepare('INSERT INTO principals (id, doc) VALUES (?, ?)').run(id, JSON.stringify({ id }));
    return id;
  });
}

describe('SqliteStore durability', () => {
  it('releases a durable transaction only after the WAL sync that covers it, a non-durable one at commit', async () => {
    const gate = gatedSync();
    const { store } = open({ syncWal: gate.syncWal });
    let durableDone = false;
    let lightDone = false;
    const durable = principal(store, 'a').then(() => (durableDone = true));
    const light = store.tx(async () => 'x', { durable: false }).then(() => (lightDone = true));
    await tick();
    expect(lightDone).toBe(true);
    expect(durableDone).toBe(false);
    expect(gate.calls()).toBe(1);
    // Committed already (a reader sees it), but not released to the caller.
    expect(await store.principals.get('a')).toBeDefined();
    gate.releaseAll();
    await durable;
    await light;
    expect(durableDone).toBe(true);
  });

  it('runs one sync at a time and folds what commits meanwhile into the next', async () => {
    const gate = gatedSync();
    const { store } = open({ syncWal: gate.syncWal });
    const first = principal(store, 'p1');
    await tick();
    expect(gate.calls()).toBe(1);
    const later = [principal(store, 'p2'), principal(store, 'p3'), principal(store, 'p4')];
    await tick();
    expect(gate.calls()).toBe(1); // still the first sync in flight
    gate.releaseAll();
    await first;
    await tick();
    expect(gate.calls()).toBe(1); // exactly one more, for all three
    gate.releaseAll();
    await Promise.all(later);
  });

  it('tells sync observers how long each barrier took and how many commits it covered; a throwing observer changes nothing', async () => {
    const gate = gatedSync();
    const { store } = open({ syncWal: gate.syncWal });
    const seen: [number, number][] = [];
    store.observeSyncs((seconds, commits) => seen.push([seconds, commits]));
    store.observeSyncs(() => {
      throw new Error('a broken metrics sink');
    });
    const first = principal(store, 'o1');
    await tick();
    const later = [principal(store, 'o2'), principal(store, 'o3')];
    await tick();
    await new Promise((r) => setTimeout(r, 30));
    gate.releaseAll();
    await first;
    await tick();
    gate.releaseAll();
    await Promise.all(later);
    // The first barrier held for the 30+ ms the test kept it waiting, covering one commit.
    expect(seen.length).toBe(2);
    expect(seen[0]![0]).toBeGreaterThanOrEqual(0.03);
    expect(seen[0]![1]).toBe(1);
    // The next covered what committed meanwhile (one batch or two, as the group commit folded them).
    expect(seen[1]![1]).toBeGreaterThanOrEqual(1);
    expect(await store.principals.get('o3')).toBeDefined();
  });

  it('calls onCommitted after the commit and before the durable result, and never for a failed callback', async () => {
    const gate = gatedSync();
    const { store } = open({ syncWal: gate.syncWal });
    const seen: string[] = [];
    const ok = store.tx(async () => 'v', { onCommitted: (v) => seen.push(`committed:${v}`) }).then((v) => seen.push(`resolved:${v}`));
    const bad = store.tx(async () => {
      throw new Error('no');
    }, { onCommitted: () => seen.push('bad committed') });
    await expect(bad).rejects.toThrow('no');
    await tick();
    expect(seen).toEqual(['committed:v']);
    gate.releaseAll();
    await ok;
    expect(seen).toEqual(['committed:v', 'resolved:v']);
  });

  it('fails closed when a sync fails: waiting and later transactions are refused, readiness goes false', async () => {
    const gate = gatedSync();
    const { store } = open({ syncWal: gate.syncWal });
    expect(await store.ping()).toBe(true);
    const waiting = principal(store, 'lost');
    await tick();
    gate.failNext(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    const err = await waiting.catch((e: unknown) => e);
    expect(isFirewallError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect(await store.ping()).toBe(false);
    const after = await store.tx(async () => 1).catch((e: unknown) => e);
    expect(isFirewallError(after, 'STORE_UNAVAILABLE')).toBe(true);
    const light = await store.tx(async () => 1, { durable: false }).catch((e: unknown) => e);
    expect(isFirewallError(light, 'STORE_UNAVAILABLE')).toBe(true);
  });

  it('syncs the real WAL file by default and survives reopening', async () => {
    const { store, path } = open();
    await principal(store, 'kept');
    await store.close();
    stores.pop();
    const again = new SqliteStore({ path, audit: new LogAppender() });
    stores.push(again);
    expect((await again.principals.get('kept'))?.id).toBe('kept');
  });

  it('fails closed when the WAL file it syncs was unlinked: the sync went to an orphan', async () => {
    const { store, path } = open();
    await principal(store, 'before');
    rmSync(`${path}-wal`);
    const err = await principal(store, 'orphaned').catch((e: unknown) => e);
    expect(isFirewallError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect(await store.ping()).toBe(false);
  });
});

describe('SqliteStore checkpoints', () => {
  const doc = 'x'.repeat(4000);
  async function write(store: SqliteStore, n: number): Promise<void> {
    const put = store.db.prepare('INSERT INTO principals (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc');
    for (let i = 0; i < n; i++) {
      await store.tx(async () => {
        for (let k = 0; k < 8; k++) put.run(`p${(i * 8 + k) % 64}`, doc + i);
      });
    }
  }

  it('turns off checkpoints inside commits and keeps the WAL bounded from the worker', async () => {
    const { store, path } = open();
    expect((store.db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint).toBe(0);
    // 1,500 commits of 8 dirty 4 KiB rows: about 50 MB through a WAL nothing else would checkpoint.
    for (let round = 0; round < 15; round++) {
      await write(store, 100);
      // Let the worker run (every 50 ms) between bursts, as it does between requests.
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(statSync(`${path}-wal`).size).toBeLessThan(16 * 1024 * 1024);
  });

  it('without the worker the WAL is left to SQLite, inside commits (the fallback)', async () => {
    const { store } = open({ backgroundCheckpoints: false });
    expect((store.db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint).toBe(1000);
  });

  it('reports a lost worker so the store can fall back', async () => {
    const lost = await new Promise<unknown>((resolve) => {
      new WalCheckpointer({ path: join(tmpdir(), 'af-no-such-dir', 'x', 'gateway.db'), intervalMs: 10, onLost: resolve });
    });
    expect(lost).toBeInstanceOf(Error);
  });
});

describe('transparency log checkpoints and durability', () => {
  it('signs a checkpoint only once the store says the entries are durable', async () => {
    const gate = gatedSync();
    const signer = new MemorySigner();
    let signCalls = 0;
    const sign = signer.sign.bind(signer);
    signer.sign = (...a: Parameters<MemorySigner['sign']>) => {
      signCalls++;
      return sign(...a);
    };
    const dir = mkdtempSync(join(tmpdir(), 'af-store-'));
    dirs.push(dir);
    const appender = new LogAppender();
    const store = new SqliteStore({ path: join(dir, 'gateway.db'), syncWal: gate.syncWal, audit: appender });
    stores.push(store);
    let log: TransparencyLog | undefined;
    const opening = openTransparencyLog({ store, appender, signer, origin: 'durable.test/log', clock: systemClock, checkpointEvery: null }).then((l) => (log = l));
    while (log === undefined) {
      gate.releaseAll();
      await tick();
    }
    await opening;
    const appended = store.tx(async (tx) => tx.audit([{ v: 1, type: 'test.entry', ts: 1 }]), { durable: false });
    await appended;
    expect(gate.calls()).toBe(0);
    let signed = false;
    const cp = log.checkpoint().then((c) => {
      signed = true;
      return c;
    });
    // The checkpoint waits for a sync covering the entry, and signs nothing meanwhile.
    for (let i = 0; i < 500 && gate.calls() === 0; i++) await tick();
    expect(gate.calls()).toBe(1);
    await tick();
    expect(signCalls).toBe(0);
    expect(signed).toBe(false);
    // Then the checkpoint row itself is written through the store and waits for a sync too.
    while (!signed) {
      gate.releaseAll();
      await tick();
    }
    expect((await cp).size).toBe(1);
    expect(signCalls).toBe(1);
    expect((await log.latestCheckpoint())?.size).toBe(1);
    await log.close();
  });
});
