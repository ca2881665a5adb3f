import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { prepareAll } from './sqlite-statements.ts';
import { FirewallError } from '../../core/errors.ts';
import type { PreparedEntry } from '../../core/log/entry.ts';
import type { EntryFilter } from '../../core/log/query.ts';
import type { TreeNode } from '../../core/log/tree.ts';
import type { LogEntry } from '../../core/log/types.ts';
import type { SubtreeRef } from '../../core/merkle/frontier.ts';
import type { LogReads, LogStorageTx, StoredCheckpoint } from '../../gateway/ports/log-storage.ts';
import { nodeId, SCHEMA_VERSION } from './sqlite-log-schema.ts';

/**
 * The transparency log's storage driver on SQLite (tables in sqlite-log-schema.ts). Writes run on
 * the store's writer connection inside its group-committed transaction, so entries commit with the
 * change they record; reads on its read-only connection see committed data.
 */

interface EntryRow {
  idx: number;
  leaf_hash: Uint8Array;
  body: string;
  type: string;
  ts: number | null;
  action_id: string | null;
}

interface CheckpointRow {
  tree_size: number;
  root_hash: Uint8Array;
  note: string;
  signed_at: number;
  hsm_counter: number | null;
}

const ENTRY_COLUMNS = 'idx, leaf_hash, body, type, ts, action_id';
const CHECKPOINT_COLUMNS = 'tree_size, root_hash, note, signed_at, hsm_counter';

function buf(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.length);
}

function toEntry(row: EntryRow): LogEntry {
  return { index: row.idx, leafHash: buf(row.leaf_hash), body: row.body, entry: JSON.parse(row.body) as Record<string, unknown>, type: row.type, ts: row.ts, actionId: row.action_id };
}

function toCheckpoint(r: CheckpointRow | undefined): StoredCheckpoint | undefined {
  return r === undefined ? undefined : { size: r.tree_size, rootHash: buf(r.root_hash), note: r.note, signedAt: r.signed_at, hsmCounter: r.hsm_counter };
}

/** Point reads of stored subtrees, shared by the writer's and the reader's statements. */
class NodeReader {
  readonly #leaf: StatementSync;
  readonly #node: StatementSync;

  constructor(db: DatabaseSync) {
    this.#leaf = db.prepare('SELECT leaf_hash AS h FROM tlog_entries WHERE idx = ?');
    this.#node = db.prepare('SELECT hash AS h FROM tlog_nodes WHERE id = ?');
  }

  read(refs: readonly SubtreeRef[]): Uint8Array[] {
    return refs.map(({ level, index }) => {
      const row = (level === 0 ? this.#leaf.get(index) : this.#node.get(nodeId(level, index))) as { h: Uint8Array } | undefined;
      if (row === undefined) throw new FirewallError('LOG_CORRUPT', `tree node (${level}, ${index}) is missing from storage`, { status: 500 });
      return row.h;
    });
  }
}

const LOG_TX_SQL = {
  tail: 'SELECT idx, leaf_hash FROM tlog_entries ORDER BY idx DESC LIMIT 1',
  insertEntry: 'INSERT INTO tlog_entries (idx, leaf_hash, body, type, ts, action_id) VALUES (?, ?, ?, ?, ?, ?)',
  insertTerm: 'INSERT OR IGNORE INTO tlog_terms (term, idx) VALUES (?, ?)',
  insertNode: 'INSERT INTO tlog_nodes (id, hash) VALUES (?, ?)',
  latestCheckpoint: `SELECT ${CHECKPOINT_COLUMNS} FROM tlog_checkpoints ORDER BY tree_size DESC LIMIT 1`,
  insertCheckpoint: `INSERT INTO tlog_checkpoints (${CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?)`,
  origin: "SELECT value FROM tlog_meta WHERE name = 'origin'",
  putMeta: 'INSERT OR IGNORE INTO tlog_meta (name, value) VALUES (?, ?)',
  // Taken when free or expired, renewed by its holder; RETURNING says who holds it after.
  claimIntegrator:
    'INSERT INTO tlog_integrator (id, holder, expires_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at WHERE tlog_integrator.holder = excluded.holder OR tlog_integrator.expires_at < ? RETURNING holder',
  dataVersion: 'PRAGMA data_version',
};

export class SqliteLogTx implements LogStorageTx {
  readonly #s: Record<keyof typeof LOG_TX_SQL, StatementSync>;
  readonly #nodes: NodeReader;
  /**
   * The tail as this connection last read or wrote it, or null when it may have changed since: a
   * rollback (of a savepoint or a batch) or another connection's commit. Kept so an append does not
   * read the tail back from the table (one query per entry on the LOW path).
   */
  #tail: { size: number; lastLeaf: Uint8Array | null } | null = null;
  #dataVersion = -1;

  constructor(db: DatabaseSync) {
    this.#s = prepareAll(db, LOG_TX_SQL);
    this.#nodes = new NodeReader(db);
  }

  /**
   * The store calls this inside each batch's BEGIN IMMEDIATE (no other writer can commit until it
   * ends): if another connection committed since (SQLite's data_version, e.g. the CLI registering
   * a principal), the cached tail is dropped.
   */
  batchStarted(): void {
    const version = Number((this.#s.dataVersion.get() as { data_version: number }).data_version);
    if (version !== this.#dataVersion) {
      this.#dataVersion = version;
      this.#tail = null;
    }
  }

  /** The store calls this after ROLLBACK TO or ROLLBACK: entries this connection wrote may be gone. */
  rolledBack(): void {
    this.#tail = null;
  }

  async tail(): Promise<{ size: number; lastLeaf: Uint8Array | null }> {
    if (this.#tail !== null) return this.#tail;
    const row = this.#s.tail.get() as { idx: number; leaf_hash: Uint8Array } | undefined;
    this.#tail = row === undefined ? { size: 0, lastLeaf: null } : { size: row.idx + 1, lastLeaf: row.leaf_hash };
    return this.#tail;
  }

  async nodes(refs: readonly SubtreeRef[]): Promise<Uint8Array[]> {
    return this.#nodes.read(refs);
  }

  async append(firstIndex: number, entries: readonly PreparedEntry[], nodes: readonly TreeNode[]): Promise<void> {
    const s = this.#s;
    entries.forEach((p, i) => {
      s.insertEntry.run(firstIndex + i, p.leaf, p.body, p.type, p.ts, p.actionId);
      for (const t of p.terms) s.insertTerm.run(t, firstIndex + i);
    });
    for (const n of nodes) s.insertNode.run(nodeId(n.level, n.index), n.hash);
    if (entries.length > 0) this.#tail = { size: firstIndex + entries.length, lastLeaf: entries[entries.length - 1]!.leaf };
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return toCheckpoint(this.#s.latestCheckpoint.get() as CheckpointRow | undefined);
  }

  async putCheckpoint(c: StoredCheckpoint): Promise<void> {
    this.#s.insertCheckpoint.run(c.size, c.rootHash, c.note, c.signedAt, c.hsmCounter);
  }

  async claimIntegrator(holder: string, now: number, ttlMs: number): Promise<boolean> {
    const row = this.#s.claimIntegrator.get(holder, now + ttlMs, now) as { holder: string } | undefined;
    return row?.holder === holder;
  }

  async claimOrigin(origin: string): Promise<string> {
    const row = this.#s.origin.get() as { value: string } | undefined;
    if (row !== undefined) return row.value;
    this.#s.putMeta.run('origin', origin);
    this.#s.putMeta.run('schema', SCHEMA_VERSION);
    return origin;
  }
}

const LOG_READS_SQL = {
  tail: 'SELECT idx FROM tlog_entries ORDER BY idx DESC LIMIT 1',
  leafRange: 'SELECT leaf_hash AS h FROM tlog_entries WHERE idx >= ? AND idx < ? ORDER BY idx',
  nodeRange: 'SELECT hash AS h FROM tlog_nodes WHERE id >= ? AND id < ? ORDER BY id',
  bodies: 'SELECT body FROM tlog_entries WHERE idx >= ? AND idx < ? ORDER BY idx',
  entries: `SELECT ${ENTRY_COLUMNS} FROM tlog_entries WHERE idx >= ? AND idx < ? ORDER BY idx`,
  entry: `SELECT ${ENTRY_COLUMNS} FROM tlog_entries WHERE idx = ?`,
  timeBounds: 'SELECT MIN(idx) AS lo, MAX(idx) AS hi FROM tlog_entries WHERE ts >= ? AND ts < ?',
  firstSince: 'SELECT MIN(idx) AS lo FROM tlog_entries WHERE ts >= ?',
  latestCheckpoint: `SELECT ${CHECKPOINT_COLUMNS} FROM tlog_checkpoints ORDER BY tree_size DESC LIMIT 1`,
  checkpoints: `SELECT ${CHECKPOINT_COLUMNS} FROM tlog_checkpoints WHERE tree_size >= ? AND tree_size <= ? ORDER BY tree_size`,
};

export class SqliteLogReads implements LogReads {
  readonly #db: DatabaseSync;
  readonly #s: Record<keyof typeof LOG_READS_SQL, StatementSync>;
  readonly #nodes: NodeReader;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#s = prepareAll(db, LOG_READS_SQL);
    this.#nodes = new NodeReader(db);
  }

  async size(): Promise<number> {
    const row = this.#s.tail.get() as { idx: number } | undefined;
    return row === undefined ? 0 : row.idx + 1;
  }

  async nodes(refs: readonly SubtreeRef[]): Promise<Uint8Array[]> {
    return this.#nodes.read(refs);
  }

  async nodeRange(level: number, start: number, end: number): Promise<Uint8Array[]> {
    const rows = (level === 0 ? this.#s.leafRange.all(start, end) : this.#s.nodeRange.all(nodeId(level, start), nodeId(level, end))) as { h: Uint8Array }[];
    if (rows.length !== end - start) throw new FirewallError('LOG_CORRUPT', `hashes of level ${level} [${start}, ${end}) are incomplete`, { status: 500 });
    return rows.map((r) => r.h);
  }

  async bodies(start: number, end: number): Promise<string[]> {
    return (this.#s.bodies.all(start, end) as { body: string }[]).map((r) => r.body);
  }

  async entries(start: number, end: number): Promise<LogEntry[]> {
    return (this.#s.entries.all(start, end) as unknown as EntryRow[]).map(toEntry);
  }

  async entry(index: number): Promise<LogEntry | undefined> {
    const row = this.#s.entry.get(index) as EntryRow | undefined;
    return row === undefined ? undefined : toEntry(row);
  }

  async query(f: EntryFilter): Promise<LogEntry[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (f.type !== undefined) (where.push('type = ?'), params.push(f.type));
    if (f.actionId !== undefined) (where.push('action_id = ?'), params.push(f.actionId));
    for (const t of f.terms) (where.push('idx IN (SELECT idx FROM tlog_terms WHERE term = ?)'), params.push(t));
    if (f.since !== undefined) (where.push('ts >= ?'), params.push(f.since));
    if (f.until !== undefined) (where.push('ts < ?'), params.push(f.until));
    if (f.afterIndex !== undefined) (where.push('idx > ?'), params.push(f.afterIndex));
    params.push(f.limit);
    const sql = `SELECT ${ENTRY_COLUMNS} FROM tlog_entries${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY idx LIMIT ?`;
    return (this.#db.prepare(sql).all(...params) as unknown as EntryRow[]).map(toEntry);
  }

  async indexBoundsForTime(since: number, until: number): Promise<{ lo: number; hi: number } | undefined> {
    const row = this.#s.timeBounds.get(since, until) as { lo: number | null; hi: number | null };
    return row.lo === null || row.hi === null ? undefined : { lo: row.lo, hi: row.hi };
  }

  async firstIndexSince(since: number): Promise<number | undefined> {
    return (this.#s.firstSince.get(since) as { lo: number | null }).lo ?? undefined;
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return toCheckpoint(this.#s.latestCheckpoint.get() as CheckpointRow | undefined);
  }

  async checkpoints(fromSize: number, toSize: number): Promise<StoredCheckpoint[]> {
    return (this.#s.checkpoints.all(fromSize, toSize) as unknown as CheckpointRow[]).map((r) => toCheckpoint(r)!);
  }
}
