import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { entryTerms, TERMS_VERSION } from '../../core/log/entry-terms.ts';
import { prepareAll } from './sqlite-statements.ts';

/**
 * The log's secondary structures on SQLite, filled behind the writer.
 *
 * An entry's row and Merkle nodes commit with the change it records. Its lookups by action, by
 * type and time, by time, and its search terms are four more B-trees: written in the same commit,
 * each costs a WAL page per commit for a row or two (a LOW action's record wrote about 5 KB more
 * for them, docs/architecture.md). So they are filled in bulk: the store indexes the entries after
 * the cursor (`tlog_meta` 'indexed', the last indexed idx) in the commit that takes the unindexed
 * tail past INDEX_EVERY entries. Index rows and the cursor commit together, so a crash leaves them
 * consistent. Queries read the indexed part through these tables and the short tail after the
 * cursor from tlog_entries itself (sqlite-log-query.ts), so nothing appended is ever missing from
 * an answer.
 *
 * Each table holds (key, idx) only, WITHOUT ROWID: the key is the index. An entry without `ts` is
 * listed in tlog_by_type with ts -1 (never a real time) and not in tlog_by_ts; the query re-checks
 * every condition on tlog_entries, so these tables only need to list a superset of the matches.
 */
export const INDEX_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS tlog_by_action (
  action_id TEXT    NOT NULL,
  idx       INTEGER NOT NULL,
  PRIMARY KEY (action_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tlog_by_type (
  type TEXT    NOT NULL,
  ts   INTEGER NOT NULL,
  idx  INTEGER NOT NULL,
  PRIMARY KEY (type, ts, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tlog_by_ts (
  ts  INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY (ts, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tlog_terms (
  term TEXT    NOT NULL,
  idx  INTEGER NOT NULL,
  PRIMARY KEY (term, idx)
) WITHOUT ROWID;
`;

/** The unindexed tail is indexed once it holds this many entries: it bounds what a query scans unindexed. */
export const INDEX_EVERY = 128;

/** At most this many entries are indexed in one commit (the rest go with the next). */
const INDEX_CHUNK = 2048;

/** ts stored for an entry without one (real times are non-negative). */
const NO_TS = -1;

const INDEX_SQL = {
  cursor: "SELECT value FROM tlog_meta WHERE name = 'indexed'",
  setCursor: "INSERT INTO tlog_meta (name, value) VALUES ('indexed', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
  unindexed: 'SELECT idx, leaf_hash, type, ts, action_id FROM tlog_entries WHERE idx > ? ORDER BY idx LIMIT ?',
  body: 'SELECT body FROM tlog_entries WHERE idx = ?',
  byAction: 'INSERT OR IGNORE INTO tlog_by_action (action_id, idx) VALUES (?, ?)',
  byType: 'INSERT OR IGNORE INTO tlog_by_type (type, ts, idx) VALUES (?, ?, ?)',
  byTs: 'INSERT OR IGNORE INTO tlog_by_ts (ts, idx) VALUES (?, ?)',
  term: 'INSERT OR IGNORE INTO tlog_terms (term, idx) VALUES (?, ?)',
  savepoint: 'SAVEPOINT tlog_index',
  release: 'RELEASE tlog_index',
  rollbackTo: 'ROLLBACK TO tlog_index',
};

interface UnindexedRow {
  idx: number;
  leaf_hash: Uint8Array;
  type: string;
  ts: number | null;
  action_id: string | null;
}

/**
 * Terms of entries this connection appended and has not indexed yet, by idx, with their leaf hash:
 * the indexer takes them from here instead of parsing bodies again, when the row's leaf hash is
 * the one appended (a rolled-back append's idx may have been reused).
 */
export type KnownTerms = ReadonlyMap<number, { leaf: Uint8Array; terms: readonly string[] }>;

const NONE: KnownTerms = new Map();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The last indexed idx as the cursor reads on `db` (-1: nothing indexed). */
export function readIndexCursor(cursor: StatementSync): number {
  const row = cursor.get() as { value: string } | undefined;
  return row === undefined ? -1 : Number(row.value);
}

/** Writes index rows on the writer connection, always inside a transaction its caller holds. */
export class SqliteLogIndexer {
  readonly #s: Record<keyof typeof INDEX_SQL, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#s = prepareAll(db, INDEX_SQL);
  }

  cursor(): number {
    return readIndexCursor(this.#s.cursor);
  }

  /** Indexes up to `max` entries after `from`, moves the cursor past them, and returns it. */
  catchUp(from: number, known: KnownTerms = NONE, max = INDEX_CHUNK): number {
    const s = this.#s;
    let last = from;
    for (const r of s.unindexed.all(from, max) as unknown as UnindexedRow[]) {
      s.byType.run(r.type, r.ts ?? NO_TS, r.idx);
      if (r.ts !== null) s.byTs.run(r.ts, r.idx);
      if (r.action_id !== null) s.byAction.run(r.action_id, r.idx);
      const k = known.get(r.idx);
      const terms = k !== undefined && sameBytes(k.leaf, r.leaf_hash) ? k.terms : entryTerms(JSON.parse((s.body.get(r.idx) as { body: string }).body) as Record<string, unknown>);
      for (const t of terms) s.term.run(t, r.idx);
      last = r.idx;
    }
    if (last !== from) s.setCursor.run(String(last));
    return last;
  }

  /**
   * Indexes the tail if it has grown past INDEX_EVERY entries (`size`: entries in the log,
   * `indexed`: the cursor as last known). Under a savepoint of its own: should indexing fail, the
   * batch still commits, unindexed, and a later one tries again. Returns the cursor after.
   */
  behind(size: number, indexed: number, known: KnownTerms): number {
    if (size - 1 - indexed < INDEX_EVERY) return indexed;
    const s = this.#s;
    s.savepoint.run();
    try {
      const cursor = this.catchUp(indexed, known);
      s.release.run();
      return cursor;
    } catch {
      s.rollbackTo.run();
      s.release.run();
      return indexed;
    }
  }
}

/**
 * At open: creates the tables and indexes everything after the cursor. A database written before
 * the tables existed (the three indexes on tlog_entries), or with another term extraction
 * version, is indexed again from the start, in one transaction.
 */
export function openLogIndex(db: DatabaseSync): void {
  db.exec(INDEX_SCHEMA_SQL);
  const meta = db.prepare('SELECT value FROM tlog_meta WHERE name = ?');
  const terms = (meta.get('terms') as { value: string } | undefined)?.value;
  const indexer = new SqliteLogIndexer(db);
  db.exec('BEGIN IMMEDIATE');
  try {
    let cursor = indexer.cursor();
    if (terms !== TERMS_VERSION || (meta.get('indexed') as unknown) === undefined) {
      db.exec(`DROP INDEX IF EXISTS tlog_entries_action_id; DROP INDEX IF EXISTS tlog_entries_type_ts; DROP INDEX IF EXISTS tlog_entries_ts;
        DELETE FROM tlog_by_action; DELETE FROM tlog_by_type; DELETE FROM tlog_by_ts; DELETE FROM tlog_terms;`);
      db.prepare("INSERT INTO tlog_meta (name, value) VALUES ('terms', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run(TERMS_VERSION);
      db.prepare("INSERT INTO tlog_meta (name, value) VALUES ('indexed', '-1') ON CONFLICT (name) DO UPDATE SET value = excluded.value").run();
      cursor = -1;
    }
    for (let next = indexer.catchUp(cursor); next !== cursor; next = indexer.catchUp(cursor)) cursor = next;
    db.exec('COMMIT');
  } catch (e) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
}
