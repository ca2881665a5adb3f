import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { INDEX_EVERY } from '../../src/adapters/store/sqlite-log-index.ts';
import { entryTerms } from '../../src/core/log/entry-terms.ts';
import type { EntryQuery } from '../../src/core/log/types.ts';
import { makeLog, type LogFixture } from '../log/helpers/fixtures.ts';

/**
 * The SQLite log's lookups filled behind the writer (sqlite-log-index.ts): whatever part of the
 * log is indexed when a query runs, it answers exactly what a scan of every entry would.
 */

let fx: LogFixture | undefined;
afterEach(async () => {
  await fx?.dispose();
  fx = undefined;
});

type Entry = { v: 1; type: string; ts?: number; actionId?: string; who?: string; by?: string; tier?: string };

const T0 = 1_767_225_600_000;
const entryArb: fc.Arbitrary<Entry> = fc.record(
  {
    v: fc.constant(1 as const),
    type: fc.constantFrom('action.passed', 'action.classified', 'signature.verified'),
    ts: fc.integer({ min: T0, max: T0 + 50 }),
    actionId: fc.constantFrom('a1', 'a2', 'a3', 'a4'),
    who: fc.constantFrom('ann', 'bob'),
    by: fc.constantFrom('bob', 'cy'),
    tier: fc.constantFrom('LOW', 'HIGH'),
  },
  { requiredKeys: ['v', 'type'] },
);

const queryArb: fc.Arbitrary<EntryQuery> = fc.record(
  {
    type: fc.constantFrom('action.passed', 'action.classified', 'signature.verified', 'none'),
    actionId: fc.constantFrom('a1', 'a2', 'a3', 'a4'),
    person: fc.constantFrom('ann', 'bob', 'cy'),
    tier: fc.constantFrom('LOW', 'HIGH'),
    since: fc.integer({ min: T0 - 1, max: T0 + 51 }),
    until: fc.integer({ min: T0 - 1, max: T0 + 51 }),
    afterIndex: fc.integer({ min: 0, max: 1500 }),
    limit: fc.integer({ min: 1, max: 400 }),
  },
  { requiredKeys: [] },
);

/** What a scan of every entry answers. */
function scan(entries: readonly Entry[], q: EntryQuery): number[] {
  const wanted = [...(q.person === undefined ? [] : [`person:${q.person}`]), ...(q.tier === undefined ? [] : [`tier:${q.tier}`])];
  const out: number[] = [];
  entries.forEach((e, i) => {
    if (q.type !== undefined && e.type !== q.type) return;
    if (q.actionId !== undefined && e.actionId !== q.actionId) return;
    if (q.since !== undefined && (e.ts === undefined || e.ts < q.since)) return;
    if (q.until !== undefined && (e.ts === undefined || e.ts >= q.until)) return;
    if (q.afterIndex !== undefined && i <= q.afterIndex) return;
    const terms = entryTerms(e);
    if (!wanted.every((t) => terms.includes(t))) return;
    out.push(i);
  });
  return out.slice(0, q.limit ?? 100);
}

async function cursor(f: LogFixture): Promise<number> {
  const rows = await f.raw("SELECT value FROM tlog_meta WHERE name = 'indexed'");
  return Number(rows[0]!['value']);
}

describe('the SQLite log indexed behind its writer', () => {
  it('answers every query, time bound and first index since as a scan would, however much of the log is indexed', async () => {
    fx = await makeLog({ store: 'sqlite' });
    const f = fx;
    const all: Entry[] = [];
    // Batches of 1 to 70 entries, and one larger than INDEX_EVERY: the cursor moves every INDEX_EVERY or so, so queries meet the
    // indexed part alone, the tail alone, and both.
    const sizes = [...fc.sample(fc.integer({ min: 1, max: 70 }), { numRuns: 30, seed: 17 }), INDEX_EVERY + 40];
    const batches = sizes.map((n, i) => fc.sample(entryArb, { numRuns: n, seed: i }));
    let indexedSeen = false;
    let tailSeen = false;
    for (const batch of batches) {
      await f.append(batch);
      all.push(...batch);
      const at = await cursor(f);
      if (at >= 0) indexedSeen = true;
      if (at < all.length - 1) tailSeen = true;
      expect(all.length - 1 - at).toBeLessThan(INDEX_EVERY);
      for (const q of fc.sample(queryArb, { numRuns: 25, seed: all.length })) {
        expect((await f.log.query(q)).map((e) => e.index), JSON.stringify(q)).toEqual(scan(all, q));
      }
      for (const [since, until] of fc.sample(fc.tuple(fc.integer({ min: T0 - 1, max: T0 + 51 }), fc.integer({ min: T0 - 1, max: T0 + 51 })), { numRuns: 10, seed: all.length })) {
        const inRange = scan(all, { since, until, limit: 10_000 });
        const bounds = await f.store.log.indexBoundsForTime(since, until);
        expect(bounds).toEqual(inRange.length === 0 ? undefined : { lo: inRange[0], hi: inRange[inRange.length - 1] });
        expect(await f.store.log.firstIndexSince(since)).toEqual(scan(all, { since, limit: 1 })[0]);
      }
    }
    expect(all.length).toBeGreaterThan(3 * INDEX_EVERY);
    expect(indexedSeen && tailSeen).toBe(true);
  });

  it('opens a database of the earlier layout (three indexes on tlog_entries): drops them and indexes every entry in the lookup tables', async () => {
    fx = await makeLog({ store: 'sqlite' });
    const entries = Array.from({ length: 300 }, (_, i): Entry => ({ v: 1, type: i % 3 === 0 ? 'action.passed' : 'signature.verified', ts: T0 + i, actionId: `a${i % 7}`, who: i % 2 === 0 ? 'ann' : 'bob' }));
    await fx.append(entries);
    // The layout before: no lookup tables, no cursor, the three indexes.
    await fx.raw(`DROP TABLE tlog_by_action; DROP TABLE tlog_by_type; DROP TABLE tlog_by_ts; DELETE FROM tlog_meta WHERE name = 'indexed';
      CREATE INDEX tlog_entries_action_id ON tlog_entries (action_id) WHERE action_id IS NOT NULL;
      CREATE INDEX tlog_entries_type_ts ON tlog_entries (type, ts);
      CREATE INDEX tlog_entries_ts ON tlog_entries (ts);`);
    await fx.reopen();
    expect(await fx.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tlog_entries'")).toEqual([]);
    expect(await cursor(fx)).toBe(299);
    expect(await fx.raw('SELECT COUNT(*) AS n FROM tlog_by_type')).toEqual([{ n: 300 }]);
    for (const q of [{ type: 'action.passed', since: T0 + 30, until: T0 + 60 }, { actionId: 'a3', person: 'bob' }, { person: 'ann', limit: 1000 }] satisfies EntryQuery[]) {
      expect((await fx.log.query(q)).map((e) => e.index)).toEqual(scan(entries, q));
    }
  });

  it('commits a batch whose indexing fails, unindexed, and indexes it with a later batch', async () => {
    fx = await makeLog({ store: 'sqlite' });
    await fx.raw("CREATE TRIGGER refuse_index BEFORE INSERT ON tlog_by_type BEGIN SELECT RAISE(ABORT, 'refused'); END");
    const first = Array.from({ length: INDEX_EVERY + 10 }, (_, i): Entry => ({ v: 1, type: 'action.passed', ts: T0 + i, who: 'ann' }));
    await fx.append(first);
    expect(await fx.raw('SELECT COUNT(*) AS n FROM tlog_entries')).toEqual([{ n: first.length }]);
    expect(await fx.raw("SELECT value FROM tlog_meta WHERE name = 'indexed'")).toEqual([{ value: '-1' }]);
    expect(await fx.raw('SELECT COUNT(*) AS n FROM tlog_terms')).toEqual([{ n: 0 }]);
    expect((await fx.log.query({ person: 'ann', limit: 1000 })).length).toBe(first.length);
    await fx.raw('DROP TRIGGER refuse_index');
    await fx.append([{ v: 1, type: 'action.passed', ts: T0 + 500, who: 'bob' }]);
    expect(await cursor(fx)).toBe(first.length);
    expect(await fx.raw('SELECT COUNT(*) AS n FROM tlog_by_type')).toEqual([{ n: first.length + 1 }]);
    expect((await fx.log.query({ person: 'ann', limit: 1000 })).length).toBe(first.length);
  });
});
