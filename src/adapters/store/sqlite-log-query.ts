import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { entryTerms } from '../../core/log/entry-terms.ts';
import type { EntryFilter } from '../../core/log/query.ts';
import type { LogEntry } from '../../core/log/types.ts';
import { readIndexCursor } from './sqlite-log-index.ts';
import { ENTRY_COLUMNS, toEntry, type EntryRow } from './sqlite-log-rows.ts';
import { prepareAll } from './sqlite-statements.ts';

/**
 * Entry queries on the reader connection, over the indexed part and the unindexed tail
 * (sqlite-log-index.ts).
 *
 * The cursor is read first. Index rows up to it are committed and never removed, so the indexed
 * part (idx <= cursor) is found through the lookup tables; the tail (idx > cursor), at most about
 * INDEX_EVERY entries plus a batch, is read from tlog_entries and its terms taken from the bodies.
 * Should the writer index more in between, the tail read still finds those entries in
 * tlog_entries: each part is right for any cursor the reader saw. Every condition is also checked
 * on tlog_entries' own columns, so a lookup table only has to narrow the rows read.
 */
const QUERY_SQL = {
  cursor: "SELECT value FROM tlog_meta WHERE name = 'indexed'",
  timeBoundsIndexed: 'SELECT MIN(idx) AS lo, MAX(idx) AS hi FROM tlog_by_ts WHERE ts >= ? AND ts < ? AND idx <= ?',
  timeBoundsTail: 'SELECT MIN(idx) AS lo, MAX(idx) AS hi FROM tlog_entries WHERE idx > ? AND ts >= ? AND ts < ?',
  firstSinceIndexed: 'SELECT MIN(idx) AS lo FROM tlog_by_ts WHERE ts >= ? AND idx <= ?',
  firstSinceTail: 'SELECT MIN(idx) AS lo FROM tlog_entries WHERE idx > ? AND ts >= ?',
};

type Param = string | number;

/** The conditions every matching entry meets, on tlog_entries' columns. */
function columnConditions(f: EntryFilter): { where: string[]; params: Param[] } {
  const where: string[] = [];
  const params: Param[] = [];
  if (f.type !== undefined) (where.push('type = ?'), params.push(f.type));
  if (f.actionId !== undefined) (where.push('action_id = ?'), params.push(f.actionId));
  if (f.since !== undefined) (where.push('ts >= ?'), params.push(f.since));
  if (f.until !== undefined) (where.push('ts < ?'), params.push(f.until));
  if (f.afterIndex !== undefined) (where.push('idx > ?'), params.push(f.afterIndex));
  return { where, params };
}

/**
 * The lookup that narrows the indexed part most, as an `idx IN (...)` condition, if any applies.
 * `within` bounds idx inside the lookup too, so a page of a long listing reads only its range.
 */
function lookup(f: EntryFilter, within: { sql: string; params: Param[] }): { sql: string; params: Param[] } | undefined {
  const sub = (table: string, conds: string[], params: Param[]) => ({ sql: `idx IN (SELECT idx FROM ${table} WHERE ${[...conds, within.sql].join(' AND ')})`, params: [...params, ...within.params] });
  if (f.actionId !== undefined) return sub('tlog_by_action', ['action_id = ?'], [f.actionId]);
  const time: string[] = [];
  const params: Param[] = [];
  if (f.since !== undefined) (time.push('ts >= ?'), params.push(f.since));
  if (f.until !== undefined) (time.push('ts < ?'), params.push(f.until));
  if (f.type !== undefined) return sub('tlog_by_type', ['type = ?', ...time], [f.type, ...params]);
  if (time.length > 0) return sub('tlog_by_ts', time, params);
  return undefined;
}

function bound(row: { lo: number | null; hi?: number | null }): { lo: number; hi: number } | undefined {
  return row.lo === null || row.hi === null || row.hi === undefined ? undefined : { lo: row.lo, hi: row.hi };
}

export class SqliteLogQueries {
  readonly #db: DatabaseSync;
  readonly #s: Record<keyof typeof QUERY_SQL, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#s = prepareAll(db, QUERY_SQL);
  }

  query(f: EntryFilter): LogEntry[] {
    const cursor = readIndexCursor(this.#s.cursor);
    const found = cursor >= 0 ? this.#indexed(f, cursor) : [];
    if (found.length >= f.limit) return found;
    return found.concat(this.#tail(f, cursor, f.limit - found.length));
  }

  #indexed(f: EntryFilter, cursor: number): LogEntry[] {
    const { where, params } = columnConditions(f);
    where.push('idx <= ?');
    params.push(cursor);
    const within = f.afterIndex === undefined ? { sql: 'idx <= ?', params: [cursor] } : { sql: 'idx > ? AND idx <= ?', params: [f.afterIndex, cursor] };
    const narrow = lookup(f, within);
    if (narrow !== undefined) (where.push(narrow.sql), params.push(...narrow.params));
    for (const t of f.terms) (where.push(`idx IN (SELECT idx FROM tlog_terms WHERE term = ? AND ${within.sql})`), params.push(t, ...within.params));
    params.push(f.limit);
    const sql = `SELECT ${ENTRY_COLUMNS} FROM tlog_entries WHERE ${where.join(' AND ')} ORDER BY idx LIMIT ?`;
    return (this.#db.prepare(sql).all(...params) as unknown as EntryRow[]).map(toEntry);
  }

  #tail(f: EntryFilter, cursor: number, limit: number): LogEntry[] {
    const { where, params } = columnConditions(f);
    where.push('idx > ?');
    params.push(cursor);
    // With terms to match, the rows are filtered here, so the tail is read whole (it is short).
    const sql = `SELECT ${ENTRY_COLUMNS} FROM tlog_entries WHERE ${where.join(' AND ')} ORDER BY idx${f.terms.length === 0 ? ' LIMIT ?' : ''}`;
    if (f.terms.length === 0) params.push(limit);
    const rows = (this.#db.prepare(sql).all(...params) as unknown as EntryRow[]).map(toEntry);
    if (f.terms.length === 0) return rows;
    const out: LogEntry[] = [];
    for (const e of rows) {
      const terms = new Set(entryTerms(e.entry));
      if (f.terms.every((t) => terms.has(t))) out.push(e);
      if (out.length === limit) break;
    }
    return out;
  }

  timeBounds(since: number, until: number): { lo: number; hi: number } | undefined {
    const cursor = readIndexCursor(this.#s.cursor);
    const a = bound(this.#s.timeBoundsIndexed.get(since, until, cursor) as { lo: number | null; hi: number | null });
    const b = bound(this.#s.timeBoundsTail.get(cursor, since, until) as { lo: number | null; hi: number | null });
    if (a === undefined) return b;
    return { lo: a.lo, hi: b?.hi ?? a.hi };
  }

  firstSince(since: number): number | undefined {
    const cursor = readIndexCursor(this.#s.cursor);
    const a = (this.#s.firstSinceIndexed.get(since, cursor) as { lo: number | null }).lo;
    if (a !== null) return a;
    return (this.#s.firstSinceTail.get(cursor, since) as { lo: number | null }).lo ?? undefined;
  }
}
