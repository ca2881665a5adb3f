import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import type { Signer } from '../../src/core/signer.ts';
import { verifyConsistencyProof, verifyInclusionProof } from '../../src/core/merkle/proof.ts';
import { openCheckpoint } from '../../src/core/checkpoint/checkpoint.ts';
import { entries, makeLog, openLogStore, type LogFixture, type LogOptions } from './helpers/fixtures.ts';
import { ReferenceTree, refLeaf } from './helpers/reference-merkle.ts';
import { waitFor } from '../helpers/harness.ts';

const fixtures: LogFixture[] = [];
async function anyFixture(...args: Parameters<typeof makeLog>): Promise<LogFixture> {
  const fx = await makeLog(...args);
  fixtures.push(fx);
  return fx;
}
afterEach(async () => {
  while (fixtures.length) await (fixtures.pop() as LogFixture).dispose();
});

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return isFirewallError(e) ? e.code : String(e);
  }
  return undefined;
}

const bodies = (es: object[]): Buffer[] => es.map((e) => Buffer.from(canonicalJson(e)));

const STORES = ['sqlite', 'postgres'] as const;

describe.each(STORES)('TransparencyLog storage and proofs on %s', (store) => {
  const fixture = (o: LogOptions = {}, shared?: Parameters<typeof makeLog>[1]) => anyFixture({ ...o, store }, shared);

  it('matches the reference tree for every size up to 300, appended in uneven batches', async () => {
    const fx = await fixture();
    const all = entries(300);
    const ref = new ReferenceTree(bodies(all));
    let at = 0;
    let batch = 1;
    while (at < all.length) {
      const chunk = all.slice(at, at + batch);
      expect(await fx.append(chunk)).toBe(at);
      at += chunk.length;
      batch = (batch * 7 + 3) % 17;
    }
    expect((await fx.log.leafHashes(0, 300)).equals(Buffer.concat(bodies(all).map(refLeaf)))).toBe(true);
    for (let n = 0; n <= 300; n++) expect((await fx.log.root(n)).equals(ref.mth(0, n))).toBe(true);
    for (let n = 1; n <= 300; n += 7) {
      for (let m = 0; m < n; m += 5) {
        const p = await fx.log.inclusionProof(m, n);
        expect(p.hashes.map((h) => h.toString('hex'))).toEqual(ref.path(m, 0, n).map((h) => h.toString('hex')));
        verifyInclusionProof(m, n, p.leafHash, p.hashes, ref.mth(0, n));
      }
      for (let m = 1; m <= n; m += 3) {
        const c = await fx.log.consistencyProof(m, n);
        expect(c.hashes.map((h) => h.toString('hex'))).toEqual(ref.proof(m, n).map((h) => h.toString('hex')));
        verifyConsistencyProof(m, n, c.fromRoot, c.toRoot, c.hashes);
      }
    }
  });

  it('stores canonical JSON with its leaf hash and indexes actionId, type and time', async () => {
    const fx = await fixture();
    const ts = Date.now();
    await fx.append([
      { type: 'action.received', v: 1, ts, actionId: 'a1', z: { b: 1, a: 2 } },
      { v: 1, type: 'action.classified', ts: ts + 10, actionId: 'a1' },
      { v: 1, type: 'action.received', ts: ts + 20, actionId: 'a2' },
      { v: 1, type: 'policy.activated', ts: ts + 30 },
    ]);
    const e0 = await fx.log.entry(0);
    expect(e0.body).toBe(`{"actionId":"a1","ts":${ts},"type":"action.received","v":1,"z":{"a":2,"b":1}}`);
    expect(e0.actionId).toBe('a1');
    expect((await fx.log.entriesByActionId('a1')).map((e) => e.index)).toEqual([0, 1]);
    expect((await fx.log.entriesByType('action.received')).map((e) => e.index)).toEqual([0, 2]);
    expect((await fx.log.entriesByType('action.received', { since: ts + 1 })).map((e) => e.index)).toEqual([2]);
    expect((await fx.log.entriesBetween(ts + 10, ts + 30)).map((e) => e.index)).toEqual([1, 2]);
    expect((await fx.log.query({ afterIndex: 1, limit: 1, since: 0 })).map((e) => e.index)).toEqual([2]);
    expect(await fx.log.indexRangeForTime(ts + 10, ts + 25)).toEqual({ start: 1, end: 3 });
    expect(await fx.log.indexRangeForTime(ts + 31, ts + 40)).toEqual({ start: 4, end: 4 });
    expect((await fx.log.entry(3)).actionId).toBeNull();
    expect(await codeOf(() => fx.log.entry(4))).toBe('LOG_NOT_FOUND');
    expect(await codeOf(() => fx.log.query({ limit: 0 }))).toBe('LOG_BAD_REQUEST');
    const streamed: number[] = [];
    for await (const e of fx.log.entries(1, 4)) streamed.push(e.index);
    expect(streamed).toEqual([1, 2, 3]);
  });

  it('rejects invalid entries before writing any of the batch', async () => {
    const fx = await fixture();
    const good = { v: 1, type: 'x', ts: 1 };
    for (const bad of [
      [good, null],
      [good, [1]],
      [good, { type: 'x' }],
      [good, { v: 0, type: 'x' }],
      [good, { v: 1.5, type: 'x' }],
      [good, { v: 1, type: '' }],
      [good, { v: 1, type: 7 }],
      [good, { v: 1, type: 'x', ts: -1 }],
      [good, { v: 1, type: 'x', actionId: 5 }],
      [good, { v: 1, type: 'x', n: Number.NaN }],
    ]) {
      expect(await codeOf(() => fx.append(bad as object[]))).toMatch(/LOG_ENTRY_INVALID|CANONICAL_JSON_INVALID/);
    }
    expect(await codeOf(() => fx.append([good, { v: 1, type: 'x', blob: 'a'.repeat(70_000) }]))).toBe('LOG_ENTRY_TOO_LARGE');
    expect(await fx.log.size()).toBe(0);
  });

  it('appends inside the caller\'s transaction: a transaction that fails takes its entries back, and the next one continues the tree', async () => {
    const fx = await fixture();
    const committed: object[] = [...entries(5)];
    await fx.append(entries(5));
    // Queued in one tick: one group commit, each callback under its own savepoint.
    const [r1, r2, r3, r4] = await Promise.allSettled([
      fx.store.tx(async (tx) => {
        await tx.audit(entries(3, 100) as Record<string, unknown>[]);
        throw new Error('the caller fails after appending');
      }),
      fx.store.tx(async (tx) => tx.audit(entries(2, 200) as Record<string, unknown>[])),
      // A write that fails half-way (its second batch is invalid) is undone with its transaction.
      fx.store.tx(async (tx) => {
        await tx.audit(entries(4, 300) as Record<string, unknown>[]);
        return tx.audit([{ v: 1, type: 'x' }, { v: 1 }]);
      }),
      fx.store.tx(async (tx) => tx.audit(entries(1, 400) as Record<string, unknown>[])),
    ]);
    expect(r1.status).toBe('rejected');
    expect(r2).toEqual({ status: 'fulfilled', value: 5 });
    expect(r3).toMatchObject({ status: 'rejected', reason: { code: 'LOG_ENTRY_INVALID' } });
    expect(r4).toEqual({ status: 'fulfilled', value: 7 });
    committed.push(...entries(2, 200), ...entries(1, 400));
    // And in a later transaction, after the rolled-back ones.
    await expect(
      fx.store.tx(async (tx) => {
        await tx.audit(entries(2, 500) as Record<string, unknown>[]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await fx.append(entries(1, 600))).toBe(8);
    committed.push(...entries(1, 600));
    const ref = new ReferenceTree(bodies(committed));
    expect(await fx.log.size()).toBe(9);
    expect((await fx.log.root()).equals(ref.mth(0, 9))).toBe(true);
  });

  it('gives concurrent transactions unique contiguous indexes', async () => {
    const fx = await fixture();
    const all = entries(2000);
    const indexes = await Promise.all(all.map((e) => fx.append([e])));
    expect(indexes).toEqual(all.map((_, i) => i));
    const ref = new ReferenceTree(bodies(all));
    expect((await fx.log.root()).equals(ref.mth(0, 2000))).toBe(true);
  });

  it('reports out-of-range proof requests precisely', async () => {
    const fx = await fixture();
    await fx.append(entries(10));
    expect(await codeOf(() => fx.log.inclusionProof(10, 10))).toBe('LOG_RANGE_INVALID');
    expect(await codeOf(() => fx.log.inclusionProof(0, 11))).toBe('LOG_SIZE_UNKNOWN');
    expect(await codeOf(() => fx.log.inclusionProof(-1, 5))).toBe('LOG_BAD_REQUEST');
    expect(await codeOf(() => fx.log.consistencyProof(6, 5))).toBe('LOG_RANGE_INVALID');
    expect(await codeOf(() => fx.log.consistencyProof(1, 11))).toBe('LOG_SIZE_UNKNOWN');
    expect(await codeOf(() => fx.log.root(11))).toBe('LOG_SIZE_UNKNOWN');
    expect(await codeOf(() => fx.log.tile({ level: 0, index: 0, width: 11 }))).toBe('LOG_NOT_FOUND');
    expect(await fx.log.tile({ level: 0, index: 0, width: 10 })).toHaveLength(320);
  });
});

describe.each(STORES)('checkpoints on %s', (store) => {
  const fixture = (o: LogOptions = {}, shared?: Parameters<typeof makeLog>[1]) => anyFixture({ ...o, store }, shared);

  it('signs, persists, extends, and returns the same checkpoint when nothing changed', async () => {
    const fx = await fixture();
    await fx.append(entries(10));
    const a = await fx.log.checkpoint();
    const key = await fx.log.verifierKey();
    const opened = openCheckpoint(a.note, key.vkey);
    expect(opened.checkpoint).toMatchObject({ origin: fx.log.origin, size: 10 });
    expect(opened.checkpoint.rootHash.equals(await fx.log.root(10))).toBe(true);
    expect(await fx.log.checkpoint()).toEqual(a);
    expect(fx.signer.signCalls).toBe(1);
    await fx.append(entries(5, 10));
    const b = await fx.log.checkpoint();
    expect(b.size).toBe(15);
    expect(b.hsmCounter).toBe(2);
    expect(await fx.log.latestCheckpoint()).toEqual(b);
    expect((await fx.log.checkpoints()).map((c) => c.size)).toEqual([10, 15]);
    // Concurrent calls are serialised, each signing at most once.
    await fx.append(entries(1, 15));
    const [c1, c2] = await Promise.all([fx.log.checkpoint(), fx.log.checkpoint()]);
    expect(c1).toEqual(c2);
    expect(fx.signer.signCalls).toBe(3);
  });

  it('keeps the tree and the signed size across a restart', async () => {
    const fx = await fixture();
    await fx.append(entries(777));
    const cp = await fx.log.checkpoint();
    const root = await fx.log.root();
    await fx.reopen();
    expect(await fx.log.size()).toBe(777);
    expect((await fx.log.root()).equals(root)).toBe(true);
    expect(await fx.log.latestCheckpoint()).toEqual(cp);
    await fx.append(entries(23, 777));
    const ref = new ReferenceTree(bodies(entries(800)));
    expect((await fx.log.root()).equals(ref.mth(0, 800))).toBe(true);
    const next = await fx.log.checkpoint();
    expect(next.size).toBe(800);
    verifyConsistencyProof(777, 800, cp.rootHash, next.rootHash, (await fx.log.consistencyProof(777, 800)).hashes);
    // A database belongs to one origin.
    await expect(openLogStore(fx.file, fx.signer, fx.clock, { origin: 'other.example/log' })).rejects.toMatchObject({ code: 'LOG_ORIGIN_MISMATCH' });
  });

  it('refuses to sign a checkpoint inconsistent with the one it signed before', async () => {
    // Log A signs a checkpoint; log B, a forked database with a different history, is handed A's
    // signed checkpoint (e.g. a restore from the wrong backup). B must refuse to sign.
    const a = await fixture();
    await a.append(entries(10));
    const cpA = await a.log.checkpoint();
    const b = await fixture({}, { pki: a.pki, signer: a.signer });
    await b.append(entries(10, 1000));
    await b.raw('INSERT INTO tlog_checkpoints (tree_size, root_hash, note, signed_at, hsm_counter) VALUES (?, ?, ?, ?, ?)', [cpA.size, cpA.rootHash, cpA.note, cpA.signedAt, cpA.hsmCounter]);
    await b.append(entries(5, 2000));
    const calls = a.signer.signCalls;
    await expect(b.log.checkpoint()).rejects.toMatchObject({ code: 'LOG_INCONSISTENT' });
    expect(a.signer.signCalls).toBe(calls);
    // Opening the forked database fails closed too.
    await expect(openLogStore(b.file, b.signer, b.clock)).rejects.toMatchObject({ code: 'LOG_INCONSISTENT' });
  });

  it('refuses when stored tree nodes were altered or entries deleted after signing', async () => {
    const fx = await fixture();
    await fx.append(entries(16));
    await fx.log.checkpoint();
    await fx.raw('UPDATE tlog_nodes SET hash = ? WHERE id = (SELECT MAX(id) FROM tlog_nodes)', [Buffer.alloc(32, 9)]);
    await fx.append(entries(3, 16));
    await expect(fx.log.checkpoint()).rejects.toMatchObject({ code: 'LOG_INCONSISTENT' });

    const fy = await fixture();
    await fy.append(entries(16));
    await fy.log.checkpoint();
    await fy.raw('DELETE FROM tlog_entries WHERE idx >= 12');
    await expect(fy.log.checkpoint()).rejects.toMatchObject({ code: 'LOG_INCONSISTENT' });
  });

  it('never signs entries of a transaction that is still open', async () => {
    const fx = await fixture();
    await fx.append(entries(4));
    await fx.log.verifierKey(); // the key is cached: the checkpoint below reads the size at once
    let pending: Promise<unknown> | undefined;
    await expect(
      fx.store.tx(async (tx) => {
        await tx.audit(entries(6, 4) as Record<string, unknown>[]);
        pending = fx.log.checkpoint();
        // The checkpoint reads the tree's size while this transaction is open (these awaits yield).
        for (let i = 0; i < 50; i++) await tx.log.tail();
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await pending).toMatchObject({ size: 4 });
  });

  it('takes automatic checkpoints by entry count and by timer, and stops on close', async () => {
    const byCount = await fixture({ checkpointEvery: { entries: 10, ms: 0 } });
    await byCount.append(entries(9));
    await sleep(20);
    expect(await byCount.log.latestCheckpoint()).toBeNull();
    await byCount.append(entries(1, 9));
    for (let i = 0; i < 100 && !(await byCount.log.latestCheckpoint()); i++) await sleep(10);
    expect((await byCount.log.latestCheckpoint())?.size).toBe(10);

    const errors: unknown[] = [];
    const byTime = await fixture({ checkpointEvery: { entries: 0, ms: 25 }, onError: (e) => errors.push(e) } satisfies LogOptions);
    await byTime.append(entries(3));
    for (let i = 0; i < 100 && !(await byTime.log.latestCheckpoint()); i++) await sleep(10);
    expect((await byTime.log.latestCheckpoint())?.size).toBe(3);
    await byTime.log.close();
    await byTime.append(entries(2, 3));
    const calls = byTime.signer.signCalls;
    await sleep(80);
    expect(byTime.signer.signCalls).toBe(calls);
    expect(errors).toEqual([]);
  });

  it('continues the tree after another connection appended to it (another process on the same file, e.g. the CLI)', async () => {
    const fx = await fixture();
    await fx.append(entries(3));
    const other = await openLogStore(fx.file, fx.signer, fx.clock);
    expect(await other.store.tx(async (tx) => tx.audit(entries(2, 100) as Record<string, unknown>[]))).toBe(3);
    await other.log.close();
    await other.store.close();
    // This store appended last at size 3: it must not write index 3 again.
    expect(await fx.append(entries(1, 200))).toBe(5);
    const ref = new ReferenceTree(bodies([...entries(3), ...entries(2, 100), ...entries(1, 200)]));
    expect((await fx.log.root()).equals(ref.mth(0, 6))).toBe(true);
  });

  it('opens a database written by another store', async () => {
    const fx = await fixture();
    await fx.append(entries(300));
    const other = await openLogStore(fx.file, fx.signer, fx.clock);
    expect((await other.log.root()).equals(await fx.log.root())).toBe(true);
    await other.log.close();
    await other.store.close();
  });

  it('a writer whose checkpoint lost the race to another writer returns the one that landed (the log has many writers)', async () => {
    const fx = await fixture();
    await fx.append(entries(5));
    // The other writer signs only once this one's checkpoint is stored: it read no checkpoint
    // before signing, and finds one as large when it comes to store its own.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: Signer = {
      sign: async (purpose, data) => {
        await gate;
        return fx.signer.sign(purpose, data);
      },
      signBatch: (purpose, data) => fx.signer.signBatch(purpose, data),
      publicKey: (purpose) => fx.signer.publicKey(purpose),
      random: (n) => fx.signer.random(n),
      health: () => fx.signer.health(),
      close: async () => {},
    };
    const other = await openLogStore(fx.file, slow, fx.clock);
    try {
      const late = other.log.checkpoint();
      const first = await fx.log.checkpoint();
      release();
      const b = await late;
      expect(first.size).toBe(5);
      expect(b).toMatchObject({ size: 5, note: first.note });
      expect(await fx.store.log.checkpoints(0, 10)).toHaveLength(1);
    } finally {
      await other.log.close();
      await other.store.close();
    }
  });

  it('one integrator signs the automatic checkpoints; when it dies another writer takes over, and its checkpoint extends the last', async () => {
    const fx = await fixture();
    const signs = { a: 0, b: 0 };
    const counting = (who: 'a' | 'b'): Signer => ({
      sign: async (purpose, data) => (signs[who]++, fx.signer.sign(purpose, data)),
      signBatch: (purpose, data) => fx.signer.signBatch(purpose, data),
      publicKey: (purpose) => fx.signer.publicKey(purpose),
      random: (n) => fx.signer.random(n),
      health: () => fx.signer.health(),
      close: async () => {},
    });
    const auto = { entries: 1, ms: 20 };
    const a = await openLogStore(fx.file, counting('a'), fx.clock, { checkpointEvery: auto, integrator: { holder: 'writer-a', ttlMs: 300 } });
    await waitFor(() => a.log.integrator || undefined);
    const b = await openLogStore(fx.file, counting('b'), fx.clock, { checkpointEvery: auto, integrator: { holder: 'writer-b', ttlMs: 300 } });
    let bOpen = true;
    try {
      await fx.append(entries(3));
      const first = await waitFor(async () => ((await fx.store.log.latestCheckpoint())?.size === 3 ? fx.store.log.latestCheckpoint() : undefined));
      expect(signs.a).toBeGreaterThan(0);
      expect(signs.b).toBe(0);
      expect(b.log.integrator).toBe(false);

      // The integrator dies: nobody renews its lease, which (on the shared clock) has not run out yet.
      await a.log.close();
      await a.store.close();
      await fx.append(entries(2, 50));
      await sleep(150);
      expect((await fx.store.log.latestCheckpoint())?.size).toBe(3);
      expect(signs.b).toBe(0);

      fx.clock.advance(301);
      const second = await waitFor(async () => ((await fx.store.log.latestCheckpoint())?.size === 5 ? fx.store.log.latestCheckpoint() : undefined));
      expect(b.log.integrator).toBe(true);
      expect(signs.b).toBeGreaterThan(0);
      const proof = await fx.log.consistencyProof(3, 5);
      verifyConsistencyProof(3, 5, first!.rootHash, second!.rootHash, proof.hashes);
    } finally {
      if (bOpen) {
        bOpen = false;
        await b.log.close();
        await b.store.close();
      }
    }
  });
});
