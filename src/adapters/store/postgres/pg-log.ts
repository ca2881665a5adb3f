import type pg from 'pg';
import { FirewallError } from '../../../core/errors.ts';
import { entryTerms, TERMS_VERSION } from '../../../core/log/entry-terms.ts';
import type { PreparedEntry } from '../../../core/log/entry.ts';
import type { EntryFilter } from '../../../core/log/query.ts';
import type { TreeNode } from '../../../core/log/tree.ts';
import type { LogEntry } from '../../../core/log/types.ts';
import type { SubtreeRef } from '../../../core/merkle/frontier.ts';
import type { LogReads, LogStorageTx, StoredCheckpoint } from '../../../gateway/ports/log-storage.ts';
import { nodeId, SCHEMA_VERSION } from '../sqlite-log-schema.ts';
import { first, type Row, type Sql } from './pg-client.ts';

/**
 * The transparency log's storage driver on PostgreSQL: the same tables and node ids as on SQLite
 * (sqlite-log-schema.ts; created by migration 1). Sequencing: every write transaction of the store
 * holds its writer lock (pg-store.ts), so the tail an append reads cannot move under it, whichever
 * gateway process writes; reads on the pool see committed data.
 */

const ENTRY_COLUMNS = 'idx, leaf_hash, body, type, ts, action_id';
const CHECKPOINT_COLUMNS = 'tree_size, root_hash, note, signed_at, hsm_counter';
const LATEST_CHECKPOINT = `SELECT ${CHECKPOINT_COLUMNS} FROM tlog_checkpoints ORDER BY tree_size DESC LIMIT 1`;

function toEntry(r: Row): LogEntry {
  const body = String(r['body']);
  return { index: Number(r['idx']), leafHash: r['leaf_hash'] as Buffer, body, entry: JSON.parse(body) as Record<string, unknown>, type: String(r['type']), ts: r['ts'] === null ? null : Number(r['ts']), actionId: r['action_id'] === null ? null : String(r['action_id']) };
}

function toCheckpoint(r: Row | undefined): StoredCheckpoint | undefined {
  if (r === undefined) return undefined;
  return { size: Number(r['tree_size']), rootHash: r['root_hash'] as Buffer, note: String(r['note']), signedAt: Number(r['signed_at']), hsmCounter: r['hsm_counter'] === null ? null : Number(r['hsm_counter']) };
}

/** Point reads of stored subtrees (level 0: leaf hashes), in one round trip per level. */
async function readNodes(db: Sql, refs: readonly SubtreeRef[]): Promise<Uint8Array[]> {
  const leaves = refs.filter((r) => r.level === 0).map((r) => r.index);
  const ids = refs.filter((r) => r.level > 0).map((r) => nodeId(r.level, r.index));
  const found = new Map<string, Uint8Array>();
  if (leaves.length > 0) for (const r of (await db.query('SELECT idx, leaf_hash FROM tlog_entries WHERE idx = ANY($1)', [leaves])).rows) found.set(`0/${Number(r['idx'])}`, r['leaf_hash'] as Buffer);
  if (ids.length > 0) for (const r of (await db.query('SELECT id, hash FROM tlog_nodes WHERE id = ANY($1)', [ids])).rows) found.set(`n/${Number(r['id'])}`, r['hash'] as Buffer);
  return refs.map(({ level, index }) => {
    const h = found.get(level === 0 ? `0/${index}` : `n/${nodeId(level, index)}`);
    if (h === undefined) throw new FirewallError('LOG_CORRUPT', `tree node (${level}, ${index}) is missing from storage`, { status: 500 });
    return h;
  });
}

export class PgLogTx implements LogStorageTx {
  readonly #db: Sql;
  /** The tail as this batch last read or wrote it; null at a batch's start and after a rollback (pg-store.ts). */
  #tail: { size: number; lastLeaf: Uint8Array | null } | null = null;

  constructor(db: Sql) {
    this.#db = db;
  }

  /** A new batch holds the writer lock afresh: another process may have appended since the last one. */
  batchStarted(): void {
    this.#tail = null;
  }

  /** After ROLLBACK TO or ROLLBACK: entries this batch wrote may be gone. */
  rolledBack(): void {
    this.#tail = null;
  }

  async tail(): Promise<{ size: number; lastLeaf: Uint8Array | null }> {
    if (this.#tail !== null) return this.#tail;
    const row = first((await this.#db.query('SELECT idx, leaf_hash FROM tlog_entries ORDER BY idx DESC LIMIT 1')).rows);
    this.#tail = row === undefined ? { size: 0, lastLeaf: null } : { size: Number(row['idx']) + 1, lastLeaf: row['leaf_hash'] as Buffer };
    return this.#tail;
  }

  nodes(refs: readonly SubtreeRef[]): Promise<Uint8Array[]> {
    return readNodes(this.#db, refs);
  }

  async append(firstIndex: number, entries: readonly PreparedEntry[], nodes: readonly TreeNode[]): Promise<void> {
    if (entries.length > 0) {
      // One statement per table for the whole batch of entries (arrays unnested server-side).
      await this.#db.query(
        `INSERT INTO tlog_entries (idx, leaf_hash, body, type, ts, action_id)
         SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::text[], $5::bigint[], $6::text[])`,
        [entries.map((_, i) => firstIndex + i), entries.map((p) => Buffer.from(p.leaf)), entries.map((p) => p.body), entries.map((p) => p.type), entries.map((p) => p.ts), entries.map((p) => p.actionId)],
      );
      const terms: string[] = [];
      const idx: number[] = [];
      entries.forEach((p, i) => {
        for (const t of p.terms) (terms.push(t), idx.push(firstIndex + i));
      });
      if (terms.length > 0) await this.#db.query('INSERT INTO tlog_terms (term, idx) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING', [terms, idx]);
    }
    if (nodes.length > 0) {
      await this.#db.query('INSERT INTO tlog_nodes (id, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])', [nodes.map((n) => nodeId(n.level, n.index)), nodes.map((n) => Buffer.from(n.hash))]);
    }
    if (entries.length > 0) this.#tail = { size: firstIndex + entries.length, lastLeaf: entries[entries.length - 1]!.leaf };
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return toCheckpoint(first((await this.#db.query(LATEST_CHECKPOINT)).rows));
  }

  async putCheckpoint(c: StoredCheckpoint): Promise<void> {
    await this.#db.query(`INSERT INTO tlog_checkpoints (${CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5)`, [c.size, Buffer.from(c.rootHash), c.note, c.signedAt, c.hsmCounter]);
  }

  async claimIntegrator(holder: string, now: number, ttlMs: number): Promise<boolean> {
    const row = first(
      (
        await this.#db.query(
          'INSERT INTO tlog_integrator (id, holder, expires_at) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at WHERE tlog_integrator.holder = excluded.holder OR tlog_integrator.expires_at < $3 RETURNING holder',
          [holder, now + ttlMs, now],
        )
      ).rows,
    );
    return row !== undefined && String(row['holder']) === holder;
  }

  async claimOrigin(origin: string): Promise<string> {
    const row = first((await this.#db.query("SELECT value FROM tlog_meta WHERE name = 'origin'")).rows);
    if (row !== undefined) return String(row['value']);
    await this.#db.query("INSERT INTO tlog_meta (name, value) VALUES ('origin', $1), ('schema', $2) ON CONFLICT DO NOTHING", [origin, SCHEMA_VERSION]);
    return origin;
  }
}

export class PgLogReads implements LogReads {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  async size(): Promise<number> {
    const row = first((await this.#db.query('SELECT idx FROM tlog_entries ORDER BY idx DESC LIMIT 1')).rows);
    return row === undefined ? 0 : Number(row['idx']) + 1;
  }

  nodes(refs: readonly SubtreeRef[]): Promise<Uint8Array[]> {
    return readNodes(this.#db, refs);
  }

  async nodeRange(level: number, start: number, end: number): Promise<Uint8Array[]> {
    const rows = (
      level === 0
        ? await this.#db.query('SELECT leaf_hash AS h FROM tlog_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx', [start, end])
        : await this.#db.query('SELECT hash AS h FROM tlog_nodes WHERE id >= $1 AND id < $2 ORDER BY id', [nodeId(level, start), nodeId(level, end)])
    ).rows;
    if (rows.length !== end - start) throw new FirewallError('LOG_CORRUPT', `hashes of level ${level} [${start}, ${end}) are incomplete`, { status: 500 });
    return rows.map((r) => r['h'] as Buffer);
  }

  async bodies(start: number, end: number): Promise<string[]> {
    return (await this.#db.query('SELECT body FROM tlog_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx', [start, end])).rows.map((r) => String(r['body']));
  }

  async entries(start: number, end: number): Promise<LogEntry[]> {
    return (await this.#db.query(`SELECT ${ENTRY_COLUMNS} FROM tlog_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx`, [start, end])).rows.map(toEntry);
  }

  async entry(index: number): Promise<LogEntry | undefined> {
    const row = first((await this.#db.query(`SELECT ${ENTRY_COLUMNS} FROM tlog_entries WHERE idx = $1`, [index])).rows);
    return row === undefined ? undefined : toEntry(row);
  }

  async query(f: EntryFilter): Promise<LogEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown): string => (params.push(v), `$${params.length}`);
    if (f.type !== undefined) where.push(`type = ${p(f.type)}`);
    if (f.actionId !== undefined) where.push(`action_id = ${p(f.actionId)}`);
    for (const t of f.terms) where.push(`idx IN (SELECT idx FROM tlog_terms WHERE term = ${p(t)})`);
    if (f.since !== undefined) where.push(`ts >= ${p(f.since)}`);
    if (f.until !== undefined) where.push(`ts < ${p(f.until)}`);
    if (f.afterIndex !== undefined) where.push(`idx > ${p(f.afterIndex)}`);
    const sql = `SELECT ${ENTRY_COLUMNS} FROM tlog_entries${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY idx LIMIT ${p(f.limit)}`;
    return (await this.#db.query(sql, params)).rows.map(toEntry);
  }

  async indexBoundsForTime(since: number, until: number): Promise<{ lo: number; hi: number } | undefined> {
    const row = (await this.#db.query('SELECT MIN(idx) AS lo, MAX(idx) AS hi FROM tlog_entries WHERE ts >= $1 AND ts < $2', [since, until])).rows[0]!;
    return row['lo'] === null || row['hi'] === null ? undefined : { lo: Number(row['lo']), hi: Number(row['hi']) };
  }

  async firstIndexSince(since: number): Promise<number | undefined> {
    const lo = (await this.#db.query('SELECT MIN(idx) AS lo FROM tlog_entries WHERE ts >= $1', [since])).rows[0]!['lo'];
    return lo === null ? undefined : Number(lo);
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return toCheckpoint(first((await this.#db.query(LATEST_CHECKPOINT)).rows));
  }

  async checkpoints(fromSize: number, toSize: number): Promise<StoredCheckpoint[]> {
    return (await this.#db.query(`SELECT ${CHECKPOINT_COLUMNS} FROM tlog_checkpoints WHERE tree_size >= $1 AND tree_size <= $2 ORDER BY tree_size`, [fromSize, toSize])).rows.map((r) => toCheckpoint(r)!);
  }
}

/**
 * Run under the migration lock at open: refuses a log of another layout version
 * (LOG_SCHEMA_UNSUPPORTED) and indexes the search terms again when their extraction version
 * changed (or was never recorded), in one transaction.
 */
export async function checkLogTables(client: pg.ClientBase): Promise<void> {
  const meta = new Map((await client.query<{ name: string; value: string }>("SELECT name, value FROM tlog_meta WHERE name IN ('schema', 'terms')")).rows.map((r) => [r.name, r.value]));
  const schema = meta.get('schema');
  if (schema !== undefined && schema !== SCHEMA_VERSION) throw new FirewallError('LOG_SCHEMA_UNSUPPORTED', `log schema version ${schema} is not ${SCHEMA_VERSION}`, { status: 500 });
  if (meta.get('terms') === TERMS_VERSION) return;
  await client.query('BEGIN');
  try {
    await client.query('DELETE FROM tlog_terms');
    const { rows } = await client.query<{ idx: number; body: string }>('SELECT idx, body FROM tlog_entries ORDER BY idx');
    const terms: string[] = [];
    const idx: number[] = [];
    for (const r of rows) for (const t of entryTerms(JSON.parse(r.body) as Record<string, unknown>)) (terms.push(t), idx.push(Number(r.idx)));
    if (terms.length > 0) await client.query('INSERT INTO tlog_terms (term, idx) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING', [terms, idx]);
    await client.query("INSERT INTO tlog_meta (name, value) VALUES ('terms', $1) ON CONFLICT (name) DO UPDATE SET value = excluded.value", [TERMS_VERSION]);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}
