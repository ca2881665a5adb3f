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

/** What a batch has appended but not yet written (PgLogTx): flushed in one statement per table before COMMIT. */
interface Pending {
  idx: number[];
  leaves: Buffer[];
  bodies: string[];
  types: string[];
  ts: (number | null)[];
  actionIds: (string | null)[];
  terms: string[];
  termIdx: number[];
  nodeIds: number[];
  nodeHashes: Buffer[];
  /** Leaf and node hashes by ref key (`0/i`, `n/id`), so the batch reads its own appends. */
  hashes: Map<string, Uint8Array>;
}

const emptyPending = (): Pending => ({ idx: [], leaves: [], bodies: [], types: [], ts: [], actionIds: [], terms: [], termIdx: [], nodeIds: [], nodeHashes: [], hashes: new Map() });

/** Where a callback's savepoint left the batch's buffer (PgLogTx.mark), to cut back to on ROLLBACK TO. */
export interface LogMark {
  entries: number;
  terms: number;
  nodes: number;
  tail: { size: number; lastLeaf: Uint8Array | null } | null;
}

/**
 * The log inside the store's batch transaction. Appends are buffered and written by `flush`, which
 * the store calls once before COMMIT: three multi-row INSERTs per batch instead of three per
 * callback (each statement is a round trip, and round trips are what a PostgreSQL write costs most).
 * Reads inside the batch (tail, nodes) see the buffer first; a callback rolled back to its
 * savepoint cuts the buffer back to its mark (pg-store.ts).
 */
export class PgLogTx implements LogStorageTx {
  readonly #db: Sql;
  /** The tail as this batch last read or wrote it; null at a batch's start and after a rollback (pg-store.ts). */
  #tail: { size: number; lastLeaf: Uint8Array | null } | null = null;
  #pending: Pending = emptyPending();

  constructor(db: Sql) {
    this.#db = db;
  }

  /** A new batch holds the writer lock afresh: another process may have appended since the last one. */
  batchStarted(): void {
    this.#tail = null;
    this.#pending = emptyPending();
  }

  /** After ROLLBACK: nothing of this batch is written or to be written. */
  rolledBack(): void {
    this.#tail = null;
    this.#pending = emptyPending();
  }

  /** Before a callback's savepoint. */
  mark(): LogMark {
    const p = this.#pending;
    return { entries: p.idx.length, terms: p.terms.length, nodes: p.nodeIds.length, tail: this.#tail };
  }

  /** After ROLLBACK TO the savepoint taken with `m`: the callback's appends are dropped. */
  rolledBackTo(m: LogMark): void {
    const p = this.#pending;
    for (const i of p.idx.slice(m.entries)) p.hashes.delete(`0/${i}`);
    for (const id of p.nodeIds.slice(m.nodes)) p.hashes.delete(`n/${id}`);
    for (const a of [p.idx, p.leaves, p.bodies, p.types, p.ts, p.actionIds]) a.length = m.entries;
    p.terms.length = m.terms;
    p.termIdx.length = m.terms;
    p.nodeIds.length = m.nodes;
    p.nodeHashes.length = m.nodes;
    this.#tail = m.tail;
  }

  /** Writes the batch's appends (called once, before COMMIT). */
  async flush(): Promise<void> {
    const p = this.#pending;
    this.#pending = emptyPending();
    if (p.idx.length > 0) {
      // One statement per table for the whole batch (arrays unnested server-side).
      await this.#db.query(
        `INSERT INTO tlog_entries (idx, leaf_hash, body, type, ts, action_id)
         SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::text[], $5::bigint[], $6::text[])`,
        [p.idx, p.leaves, p.bodies, p.types, p.ts, p.actionIds],
      );
    }
    if (p.terms.length > 0) await this.#db.query('INSERT INTO tlog_terms (term, idx) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING', [p.terms, p.termIdx]);
    if (p.nodeIds.length > 0) await this.#db.query('INSERT INTO tlog_nodes (id, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])', [p.nodeIds, p.nodeHashes]);
  }

  async tail(): Promise<{ size: number; lastLeaf: Uint8Array | null }> {
    if (this.#tail !== null) return this.#tail;
    const row = first((await this.#db.query('SELECT idx, leaf_hash FROM tlog_entries ORDER BY idx DESC LIMIT 1')).rows);
    this.#tail = row === undefined ? { size: 0, lastLeaf: null } : { size: Number(row['idx']) + 1, lastLeaf: row['leaf_hash'] as Buffer };
    return this.#tail;
  }

  async nodes(refs: readonly SubtreeRef[]): Promise<Uint8Array[]> {
    const hashes = this.#pending.hashes;
    const key = (r: SubtreeRef) => (r.level === 0 ? `0/${r.index}` : `n/${nodeId(r.level, r.index)}`);
    const stored = refs.filter((r) => !hashes.has(key(r)));
    const read = stored.length === 0 ? [] : await readNodes(this.#db, stored);
    let next = 0;
    return refs.map((r) => hashes.get(key(r)) ?? read[next++]!);
  }

  async append(firstIndex: number, entries: readonly PreparedEntry[], nodes: readonly TreeNode[]): Promise<void> {
    const p = this.#pending;
    entries.forEach((e, i) => {
      const idx = firstIndex + i;
      const leaf = Buffer.from(e.leaf);
      p.idx.push(idx);
      p.leaves.push(leaf);
      p.bodies.push(e.body);
      p.types.push(e.type);
      p.ts.push(e.ts);
      p.actionIds.push(e.actionId);
      p.hashes.set(`0/${idx}`, leaf);
      for (const t of e.terms) (p.terms.push(t), p.termIdx.push(idx));
    });
    for (const n of nodes) {
      const id = nodeId(n.level, n.index);
      const hash = Buffer.from(n.hash);
      p.nodeIds.push(id);
      p.nodeHashes.push(hash);
      p.hashes.set(`n/${id}`, hash);
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
