import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import { verifyConsistencyProof, verifyInclusionProof } from '../../src/core/merkle/proof.ts';
import { openCheckpoint } from '../../src/core/checkpoint/checkpoint.ts';
import { TransparencyLog } from '../../src/adapters/log/transparency-log.ts';
import { entries, makeLog, openDb, ORIGIN, type LogFixture } from './helpers/fixtures.ts';
import { ReferenceTree } from './helpers/reference-merkle.ts';

const fixtures: LogFixture[] = [];
function fixture(...args: Parameters<typeof makeLog>): LogFixture {
  const fx = makeLog(...args);
  fixtures.push(fx);
  return fx;
}
afterEach(async () => {
  while (fixtures.length) await (fixtures.pop() as LogFixture).dispose();
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isFirewallError(e) ? e.code : String(e);
  }
  return undefined;
}

const bodies = (es: object[]): Buffer[] => es.map((e) => Buffer.from(canonicalJson(e)));

describe('TransparencyLog storage and proofs', () => {
  it('matches the reference tree for every size up to 300, appended in uneven batches', () => {
    const fx = fixture();
    const all = entries(300);
    const ref = new ReferenceTree(bodies(all));
    let at = 0;
    let batch = 1;
    while (at < all.length) {
      const chunk = all.slice(at, at + batch);
      const res = fx.log.append(chunk);
      expect(res.firstIndex).toBe(at);
      expect(res.leafHashes).toHaveLength(chunk.length);
      at += chunk.length;
      batch = (batch * 7 + 3) % 17;
    }
    for (let n = 0; n <= 300; n++) expect(fx.log.root(n).equals(ref.mth(0, n))).toBe(true);
    for (let n = 1; n <= 300; n += 7) {
      for (let m = 0; m < n; m += 5) {
        const p = fx.log.inclusionProof(m, n);
        expect(p.hashes.map((h) => h.toString('hex'))).toEqual(ref.path(m, 0, n).map((h) => h.toString('hex')));
        verifyInclusionProof(m, n, p.leafHash, p.hashes, ref.mth(0, n));
      }
      for (let m = 1; m <= n; m += 3) {
        const c = fx.log.consistencyProof(m, n);
        expect(c.hashes.map((h) => h.toString('hex'))).toEqual(ref.proof(m, n).map((h) => h.toString('hex')));
        verifyConsistencyProof(m, n, c.fromRoot, c.toRoot, c.hashes);
      }
    }
  });

  it('stores canonical JSON with its leaf hash and indexes actionId, type and time', () => {
    const fx = fixture();
    const ts = Date.now();
    fx.log.append([
      { type: 'action.received', v: 1, ts, actionId: 'a1', z: { b: 1, a: 2 } },
      { v: 1, type: 'action.classified', ts: ts + 10, actionId: 'a1' },
      { v: 1, type: 'action.received', ts: ts + 20, actionId: 'a2' },
      { v: 1, type: 'policy.activated', ts: ts + 30 },
    ]);
    const e0 = fx.log.entry(0);
    expect(e0.body).toBe(`{"actionId":"a1","ts":${ts},"type":"action.received","v":1,"z":{"a":2,"b":1}}`);
    expect(e0.actionId).toBe('a1');
    expect(fx.log.entriesByActionId('a1').map((e) => e.index)).toEqual([0, 1]);
    expect(fx.log.entriesByType('action.received').map((e) => e.index)).toEqual([0, 2]);
    expect(fx.log.entriesByType('action.received', { since: ts + 1 }).map((e) => e.index)).toEqual([2]);
    expect(fx.log.entriesBetween(ts + 10, ts + 30).map((e) => e.index)).toEqual([1, 2]);
    expect(fx.log.query({ afterIndex: 1, limit: 1, since: 0 }).map((e) => e.index)).toEqual([2]);
    expect(fx.log.indexRangeForTime(ts + 10, ts + 25)).toEqual({ start: 1, end: 3 });
    expect(fx.log.entry(3).actionId).toBeNull();
    expect(codeOf(() => fx.log.entry(4))).toBe('LOG_NOT_FOUND');
    expect(codeOf(() => fx.log.query({ limit: 0 }))).toBe('LOG_BAD_REQUEST');
  });

  it('rejects invalid entries before writing any of the batch', () => {
    const fx = fixture();
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
      expect(codeOf(() => fx.log.append(bad as object[]))).toMatch(/LOG_ENTRY_INVALID|CANONICAL_JSON_INVALID/);
    }
    expect(codeOf(() => fx.log.append([good, { v: 1, type: 'x', blob: 'a'.repeat(70_000) }]))).toBe('LOG_ENTRY_TOO_LARGE');
    expect(fx.log.size()).toBe(0);
  });

  it('appends inside the caller\'s transaction and survives the caller rolling back', () => {
    const fx = fixture();
    const committed: object[] = [];
    fx.log.append(entries(5));
    committed.push(...entries(5));
    expect(codeOf(() => fx.log.appendInTransaction(entries(1)))).toBe('LOG_NOT_IN_TRANSACTION');

    fx.db.exec('BEGIN');
    expect(codeOf(() => fx.log.append(entries(1)))).toBe('LOG_IN_TRANSACTION');
    fx.db.exec("CREATE TABLE IF NOT EXISTS app_state (id INTEGER PRIMARY KEY, v TEXT)");
    fx.db.prepare('INSERT INTO app_state (v) VALUES (?)').run('first');
    const r1 = fx.log.appendInTransaction(entries(3, 100));
    expect(r1.firstIndex).toBe(5);
    fx.db.exec('ROLLBACK');

    fx.db.exec('BEGIN');
    const r2 = fx.log.appendInTransaction(entries(2, 200));
    expect(r2.firstIndex).toBe(5);
    fx.db.exec('COMMIT');
    committed.push(...entries(2, 200));

    // A write that fails half-way inside the caller's transaction is also undone by its rollback.
    fx.db.exec('BEGIN');
    fx.log.appendInTransaction(entries(4, 300));
    expect(codeOf(() => fx.log.appendInTransaction([{ v: 1, type: 'x' }, { v: 1 }]))).toBe('LOG_ENTRY_INVALID');
    fx.db.exec('ROLLBACK');

    const r3 = fx.log.append(entries(1, 400));
    expect(r3.firstIndex).toBe(7);
    committed.push(...entries(1, 400));
    const ref = new ReferenceTree(bodies(committed));
    expect(fx.log.size()).toBe(8);
    expect(fx.log.root().equals(ref.mth(0, 8))).toBe(true);
  });

  it('group-commits concurrent enqueues into few transactions with unique contiguous indexes', async () => {
    const fx = fixture();
    const all = entries(2000);
    const indexes = await Promise.all(all.map((e) => fx.log.enqueue(e)));
    expect(indexes).toEqual(all.map((_, i) => i));
    const ref = new ReferenceTree(bodies(all));
    expect(fx.log.root().equals(ref.mth(0, 2000))).toBe(true);
    await expect(fx.log.enqueue({ v: 1 })).rejects.toMatchObject({ code: 'LOG_ENTRY_INVALID' });
    // Enqueues wait while another transaction holds the shared handle.
    fx.db.exec('BEGIN');
    const p = fx.log.enqueue({ v: 1, type: 'late', ts: 1 });
    await sleep(20);
    expect(fx.log.size()).toBe(2000);
    fx.db.exec('COMMIT');
    expect(await p).toBe(2000);
  });

  it('reports out-of-range proof requests precisely', () => {
    const fx = fixture();
    fx.log.append(entries(10));
    expect(codeOf(() => fx.log.inclusionProof(10, 10))).toBe('LOG_RANGE_INVALID');
    expect(codeOf(() => fx.log.inclusionProof(0, 11))).toBe('LOG_SIZE_UNKNOWN');
    expect(codeOf(() => fx.log.inclusionProof(-1, 5))).toBe('LOG_BAD_REQUEST');
    expect(codeOf(() => fx.log.consistencyProof(6, 5))).toBe('LOG_RANGE_INVALID');
    expect(codeOf(() => fx.log.consistencyProof(1, 11))).toBe('LOG_SIZE_UNKNOWN');
    expect(codeOf(() => fx.log.root(11))).toBe('LOG_SIZE_UNKNOWN');
    expect(codeOf(() => fx.log.tile({ level: 0, index: 0, width: 11 }))).toBe('LOG_NOT_FOUND');
    expect(fx.log.tile({ level: 0, index: 0, width: 10 })).toHaveLength(320);
  });
});

describe('checkpoints', () => {
  it('signs, persists, extends, and returns the same checkpoint when nothing changed', async () => {
    const fx = fixture();
    fx.log.append(entries(10));
    const a = await fx.log.checkpoint();
    const key = await fx.log.verifierKey();
    const opened = openCheckpoint(a.note, key.vkey);
    expect(opened.checkpoint).toMatchObject({ origin: ORIGIN, size: 10 });
    expect(opened.checkpoint.rootHash.equals(fx.log.root(10))).toBe(true);
    expect(await fx.log.checkpoint()).toEqual(a);
    expect(fx.signer.signCalls).toBe(1);
    fx.log.append(entries(5, 10));
    const b = await fx.log.checkpoint();
    expect(b.size).toBe(15);
    expect(b.hsmCounter).toBe(2);
    expect(fx.log.latestCheckpoint()).toEqual(b);
    expect(fx.log.checkpoints().map((c) => c.size)).toEqual([10, 15]);
    // Concurrent calls are serialised, each signing at most once.
    fx.log.append(entries(1, 15));
    const [c1, c2] = await Promise.all([fx.log.checkpoint(), fx.log.checkpoint()]);
    expect(c1).toEqual(c2);
    expect(fx.signer.signCalls).toBe(3);
  });

  it('keeps the tree and the signed size across a restart', async () => {
    const fx = fixture();
    fx.log.append(entries(777));
    const cp = await fx.log.checkpoint();
    const root = fx.log.root();
    fx.reopen();
    expect(fx.log.size()).toBe(777);
    expect(fx.log.root().equals(root)).toBe(true);
    expect(fx.log.latestCheckpoint()).toEqual(cp);
    fx.log.append(entries(23, 777));
    const ref = new ReferenceTree(bodies(entries(800)));
    expect(fx.log.root().equals(ref.mth(0, 800))).toBe(true);
    const next = await fx.log.checkpoint();
    expect(next.size).toBe(800);
    verifyConsistencyProof(777, 800, cp.rootHash, next.rootHash, fx.log.consistencyProof(777, 800).hashes);
    // A database belongs to one origin.
    expect(() => new TransparencyLog({ db: fx.db, signer: fx.signer, origin: 'other.example/log', clock: fx.clock, checkpointEvery: null })).toThrow(
      expect.objectContaining({ code: 'LOG_ORIGIN_MISMATCH' }),
    );
  });

  it('refuses to sign a checkpoint inconsistent with the one it signed before', async () => {
    // Log A signs a checkpoint; log B, a forked database with a different history, is handed A's
    // signed checkpoint (e.g. a restore from the wrong backup). B must refuse to sign.
    const a = fixture();
    a.log.append(entries(10));
    const cpA = await a.log.checkpoint();
    const b = fixture({}, { pki: a.pki, signer: a.signer });
    b.log.append(entries(10, 1000));
    b.db
      .prepare('INSERT INTO tlog_checkpoints (tree_size, root_hash, note, signed_at, hsm_counter) VALUES (?, ?, ?, ?, ?)')
      .run(cpA.size, cpA.rootHash, cpA.note, cpA.signedAt, cpA.hsmCounter);
    b.log.append(entries(5, 2000));
    const calls = a.signer.signCalls;
    await expect(b.log.checkpoint()).rejects.toMatchObject({ code: 'LOG_INCONSISTENT' });
    expect(a.signer.signCalls).toBe(calls);
    // Reopening the forked database fails closed too.
    b.log.close();
    expect(() => new TransparencyLog({ db: b.db, signer: b.signer, origin: ORIGIN, clock: b.clock, checkpointEvery: null })).toThrow(
      expect.objectContaining({ code: 'LOG_INCONSISTENT' }),
    );
  });

  it('refuses when stored tree nodes were altered or entries deleted after signing', async () => {
    const fx = fixture();
    fx.log.append(entries(16));
    await fx.log.checkpoint();
    fx.db.prepare('UPDATE tlog_nodes SET hash = ? WHERE id = (SELECT MAX(id) FROM tlog_nodes)').run(Buffer.alloc(32, 9));
    fx.log.append(entries(3, 16));
    await expect(fx.log.checkpoint()).rejects.toMatchObject({ code: 'LOG_INCONSISTENT' });

    const fy = fixture();
    fy.log.append(entries(16));
    await fy.log.checkpoint();
    fy.db.exec('DELETE FROM tlog_entries WHERE idx >= 12');
    await expect(fy.log.checkpoint()).rejects.toMatchObject({ code: 'LOG_INCONSISTENT' });
  });

  it('never signs entries of a transaction that is still open', async () => {
    const fx = fixture();
    fx.log.append(entries(4));
    fx.db.exec('BEGIN');
    fx.log.appendInTransaction(entries(6, 4));
    const pending = fx.log.checkpoint();
    await sleep(30);
    expect(fx.signer.signCalls).toBe(0);
    fx.db.exec('ROLLBACK');
    const cp = await pending;
    expect(cp.size).toBe(4);
  });

  it('takes automatic checkpoints by entry count and by timer, and stops on close', async () => {
    const byCount = fixture({ checkpointEvery: { entries: 10, ms: 0 } });
    byCount.log.append(entries(9));
    await sleep(20);
    expect(byCount.log.latestCheckpoint()).toBeNull();
    byCount.log.append(entries(1, 9));
    for (let i = 0; i < 50 && !byCount.log.latestCheckpoint(); i++) await sleep(10);
    expect(byCount.log.latestCheckpoint()?.size).toBe(10);

    const inTx = fixture({ checkpointEvery: { entries: 5, ms: 0 } });
    inTx.db.exec('BEGIN');
    inTx.log.appendInTransaction(entries(5));
    await sleep(30);
    expect(inTx.signer.signCalls).toBe(0);
    inTx.db.exec('COMMIT');
    for (let i = 0; i < 50 && !inTx.log.latestCheckpoint(); i++) await sleep(10);
    expect(inTx.log.latestCheckpoint()?.size).toBe(5);

    const errors: unknown[] = [];
    const byTime = fixture({ checkpointEvery: { entries: 0, ms: 25 }, onError: (e) => errors.push(e) });
    byTime.log.append(entries(3));
    for (let i = 0; i < 50 && !byTime.log.latestCheckpoint(); i++) await sleep(10);
    expect(byTime.log.latestCheckpoint()?.size).toBe(3);
    await byTime.log.close();
    const calls = byTime.signer.signCalls;
    await sleep(80);
    expect(byTime.signer.signCalls).toBe(calls);
    expect(errors).toEqual([]);
    await expect(byTime.log.enqueue({ v: 1, type: 'x' })).rejects.toMatchObject({ code: 'LOG_CLOSED' });
  });

  it('opens a file database written by another connection', () => {
    const fx = fixture();
    fx.log.append(entries(300));
    const db2 = openDb(fx.file);
    const other = new TransparencyLog({ db: db2, signer: fx.signer, origin: ORIGIN, clock: fx.clock, checkpointEvery: null });
    expect(other.root().equals(fx.log.root())).toBe(true);
    void other.close();
    db2.close();
  });
});
