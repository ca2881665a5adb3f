/**
 * The transparency log: an append-only RFC 9162 Merkle tree of canonical-JSON entries in SQLite,
 * signed as C2SP checkpoints, served as C2SP tlog-tiles (see log-router.ts).
 *
 * Storage: every entry with its leaf hash, and every complete subtree hash (level >= 1) as it comes
 * into existence on append. Proofs and roots at any size are then O(log n) primary-key reads; tiles
 * (full or partial) are one range read.
 *
 * Transactions: the gateway owns the database handle. `appendInTransaction` writes inside the
 * caller's BEGIN/COMMIT so a log entry commits atomically with the state change it records. Nothing
 * in memory is trusted across transactions: each append re-reads the tail and rebuilds the in-memory
 * frontier if the caller rolled back. Checkpoints are only computed and persisted outside any open
 * transaction, so the log never signs a tree that could still be rolled back.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { canonicalJson } from '../../core/canonical.ts';
import type { Clock } from '../../core/clock.ts';
import { FirewallError } from '../../core/errors.ts';
import type { PublicKeyInfo, Signer } from '../../core/signer.ts';
import { hashEqual, leafHash } from '../../core/merkle/hash.ts';
import { consistencyProof, inclusionProof, rootHash, verifyConsistencyProof, type HashSource } from '../../core/merkle/proof.ts';
import { decompose, Frontier } from '../../core/merkle/frontier.ts';
import { isUint, MAX_LOG_SIZE } from '../../core/merkle/tree-size.ts';
import { encodeEntryBundle, MAX_ENTRY_BYTES, TILE_HEIGHT, TILE_WIDTH, tileExists, type TileCoord } from '../../core/merkle/tile.ts';
import { checkpointKeyFromJwk, formatCheckpoint, signCheckpoint, type CheckpointKey } from '../../core/checkpoint/checkpoint.ts';
import { isValidKeyName, keyIdHex } from '../../core/checkpoint/verifier-key.ts';
import { nodeId, SCHEMA_SQL, SCHEMA_VERSION } from './schema.ts';
import { ensureTermsIndexed, entryTerms, term, TERM_KINDS } from './entry-terms.ts';

export interface TransparencyLogOptions {
  db: DatabaseSync;
  signer: Signer;
  /** Checkpoint origin line and log key name, e.g. `firewall.example.com/log`. No spaces, no '+'. */
  origin: string;
  clock: Clock;
  /** Sign a checkpoint once this many entries are unsigned, or every `ms` when anything is unsigned. Default 1000 / 5000 ms. `null` disables. */
  checkpointEvery?: { entries: number; ms: number } | null;
  /** Receives errors from automatic checkpoints (which have no caller to throw to). */
  onError?: (error: unknown) => void;
  /** Largest group-commit transaction (entries). Default 10,000. */
  maxBatch?: number;
  /**
   * Runs `fn` in a transaction of the store that owns `db`, resolving once it is durable along with
   * every commit before it (SqliteStore, which syncs its commits after they become visible). With
   * it, a checkpoint is signed only over entries already on disk, and its row is written through
   * the store. Without it, the log commits on `db` itself with synchronous=FULL.
   */
  transact?: (fn: () => void) => Promise<void>;
}

export interface AppendResult {
  firstIndex: number;
  leafHashes: Buffer[];
}

export interface LogEntry {
  index: number;
  leafHash: Buffer;
  /** The exact leaf bytes (canonical JSON). */
  body: string;
  entry: Record<string, unknown>;
  type: string;
  ts: number | null;
  actionId: string | null;
}

export interface SignedCheckpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  /** The C2SP signed note, ready to serve at /checkpoint. */
  note: string;
  signedAt: number;
  hsmCounter: number | null;
}

export interface InclusionProof {
  index: number;
  size: number;
  leafHash: Buffer;
  rootHash: Buffer;
  hashes: Buffer[];
}

export interface ConsistencyProof {
  from: number;
  to: number;
  fromRoot: Buffer;
  toRoot: Buffer;
  hashes: Buffer[];
}

export interface LogVerifierKey {
  origin: string;
  /** Signed-note verifier key `<name>+<hex id>+<base64(0x01||key)>`. */
  vkey: string;
  keyId: string;
  /** Raw 32-byte Ed25519 key, base64. */
  publicKey: string;
  kid: string;
  jwk: JsonWebKey;
  /** Attestation chain, leaf first, base64 DER. */
  x5c: string[];
}

export interface EntryQuery {
  type?: string;
  actionId?: string;
  /** ts >= since (ms). */
  since?: number;
  /** ts < until (ms). */
  until?: number;
  /** Only entries with index > afterIndex (pagination). */
  afterIndex?: number;
  /** Entries concerning this person: `by`, `who` or `approvals[].who` (see entry-terms.ts). */
  person?: string;
  /** Entries naming this policy rule: `rule` or `matchedRules[]`. */
  rule?: string;
  /** Entries naming this agent (`agent`: action.received, action.passed). */
  agent?: string;
  /** Entries carrying this tier (`tier`: action.classified, action.passed, action.authorised). */
  tier?: string;
  /** Entries carrying this decision (`decision`: action.classified, action.passed). */
  decision?: string;
  /** Default 100, at most 10,000. */
  limit?: number;
}

interface PreparedEntry {
  body: string;
  leaf: Buffer;
  type: string;
  ts: number | null;
  actionId: string | null;
  /** Search terms (person:…, rule:…), written with the entry. */
  terms: string[];
}

interface Pending {
  entry: PreparedEntry;
  resolve: (index: number) => void;
  reject: (error: unknown) => void;
}

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

const MAX_QUERY_LIMIT = 10_000;
const TRANSACTION_WAIT_MS = 30_000;

function buf(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.length);
}

function entryInvalid(message: string, position: number): FirewallError {
  return new FirewallError('LOG_ENTRY_INVALID', `entry ${position}: ${message}`, { status: 400, detail: { position } });
}

/** Canonicalise and check one entry envelope `{ v, type, ts?, actionId?, ... }`. */
export function prepareEntry(entry: unknown, position = 0): PreparedEntry {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw entryInvalid('must be a JSON object', position);
  let body: string;
  try {
    body = canonicalJson(entry);
  } catch (e) {
    throw new FirewallError('LOG_ENTRY_INVALID', `entry ${position}: has no canonical JSON form (${(e as Error).message})`, {
      status: 400,
      cause: e,
      detail: { position },
    });
  }
  if (Buffer.byteLength(body, 'utf8') > MAX_ENTRY_BYTES) {
    throw new FirewallError('LOG_ENTRY_TOO_LARGE', `entry ${position}: canonical form exceeds ${MAX_ENTRY_BYTES} bytes`, { status: 413, detail: { position } });
  }
  // Read the envelope from the canonical bytes, so the indexed columns always match what is hashed.
  const parsed = JSON.parse(body) as Record<string, unknown>;
  const { v, type, ts, actionId } = parsed;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw entryInvalid('"v" must be a positive integer', position);
  if (typeof type !== 'string' || type.length === 0 || type.length > 200) throw entryInvalid('"type" must be a non-empty string', position);
  if (ts !== undefined && !isUint(ts)) throw entryInvalid('"ts" must be a non-negative integer (ms)', position);
  if (actionId !== undefined && (typeof actionId !== 'string' || actionId.length === 0 || actionId.length > 512)) {
    throw entryInvalid('"actionId" must be a non-empty string', position);
  }
  return { body, leaf: leafHash(body), type, ts: ts ?? null, actionId: actionId ?? null, terms: entryTerms(parsed) };
}

export class TransparencyLog {
  readonly origin: string;
  readonly #db: DatabaseSync;
  readonly #signer: Signer;
  readonly #clock: Clock;
  readonly #onError: (error: unknown) => void;
  readonly #maxBatch: number;
  readonly #autoEntries: number | null;
  readonly #timer: NodeJS.Timeout | null;

  readonly #insertEntry: StatementSync;
  readonly #insertNode: StatementSync;
  readonly #insertTerm: StatementSync;
  readonly #selectTail: StatementSync;
  readonly #selectLeaf: StatementSync;
  readonly #selectNode: StatementSync;
  readonly #selectEntry: StatementSync;
  readonly #selectLeafRange: StatementSync;
  readonly #selectNodeRange: StatementSync;
  readonly #selectBodyRange: StatementSync;
  readonly #selectEntryRange: StatementSync;
  readonly #selectLatestCheckpoint: StatementSync;
  readonly #selectCheckpoints: StatementSync;
  readonly #insertCheckpoint: StatementSync;

  /** In-memory right edge of the tree; validated against the table tail before each append. */
  #frontier: Frontier = Frontier.empty();
  #lastLeaf: Buffer | null = null;
  #dirty = true;

  #queue: Pending[] = [];
  #flushScheduled = false;
  #checkpointChain: Promise<unknown> = Promise.resolve();
  readonly #transact: ((fn: () => void) => Promise<void>) | undefined;
  #autoCheckpointPending = false;
  #signedSize = 0;
  #key: Promise<{ key: CheckpointKey; info: PublicKeyInfo }> | null = null;
  #closed = false;

  readonly #source: HashSource = { node: (level, index) => this.#node(level, index) };

  constructor(options: TransparencyLogOptions) {
    const { db, signer, origin, clock } = options;
    if (!isValidKeyName(origin)) {
      throw new FirewallError('LOG_ORIGIN_INVALID', 'log origin must be non-empty with no spaces or "+" (it is also the key name)', { status: 500 });
    }
    this.origin = origin;
    this.#db = db;
    this.#signer = signer;
    this.#clock = clock;
    this.#onError = options.onError ?? (() => {});
    this.#transact = options.transact;
    this.#maxBatch = options.maxBatch ?? 10_000;

    db.exec(SCHEMA_SQL);
    const meta = db.prepare('SELECT name, value FROM tlog_meta').all() as { name: string; value: string }[];
    const stored = new Map(meta.map((r) => [r.name, r.value]));
    if (stored.size === 0) {
      const put = db.prepare('INSERT INTO tlog_meta (name, value) VALUES (?, ?)');
      put.run('origin', origin);
      put.run('schema', SCHEMA_VERSION);
    } else if (stored.get('origin') !== origin) {
      throw new FirewallError('LOG_ORIGIN_MISMATCH', `database holds the log ${JSON.stringify(stored.get('origin'))}, not ${JSON.stringify(origin)}`, {
        status: 500,
      });
    } else if (stored.get('schema') !== SCHEMA_VERSION) {
      throw new FirewallError('LOG_SCHEMA_UNSUPPORTED', `log schema version ${stored.get('schema')} is not ${SCHEMA_VERSION}`, { status: 500 });
    }

    this.#insertEntry = db.prepare('INSERT INTO tlog_entries (idx, leaf_hash, body, type, ts, action_id) VALUES (?, ?, ?, ?, ?, ?)');
    this.#insertNode = db.prepare('INSERT INTO tlog_nodes (id, hash) VALUES (?, ?)');
    ensureTermsIndexed(db);
    this.#insertTerm = db.prepare('INSERT OR IGNORE INTO tlog_terms (term, idx) VALUES (?, ?)');
    this.#selectTail = db.prepare('SELECT idx, leaf_hash FROM tlog_entries ORDER BY idx DESC LIMIT 1');
    this.#selectLeaf = db.prepare('SELECT leaf_hash FROM tlog_entries WHERE idx = ?');
    this.#selectNode = db.prepare('SELECT hash FROM tlog_nodes WHERE id = ?');
    this.#selectEntry = db.prepare('SELECT idx, leaf_hash, body, type, ts, action_id FROM tlog_entries WHERE idx = ?');
    this.#selectLeafRange = db.prepare('SELECT leaf_hash FROM tlog_entries WHERE idx >= ? AND idx < ? ORDER BY idx');
    this.#selectNodeRange = db.prepare('SELECT hash FROM tlog_nodes WHERE id >= ? AND id < ? ORDER BY id');
    this.#selectBodyRange = db.prepare('SELECT body FROM tlog_entries WHERE idx >= ? AND idx < ? ORDER BY idx');
    this.#selectEntryRange = db.prepare('SELECT idx, leaf_hash, body, type, ts, action_id FROM tlog_entries WHERE idx >= ? AND idx < ? ORDER BY idx');
    this.#selectLatestCheckpoint = db.prepare('SELECT tree_size, root_hash, note, signed_at, hsm_counter FROM tlog_checkpoints ORDER BY tree_size DESC LIMIT 1');
    this.#selectCheckpoints = db.prepare(
      'SELECT tree_size, root_hash, note, signed_at, hsm_counter FROM tlog_checkpoints WHERE tree_size >= ? AND tree_size <= ? ORDER BY tree_size',
    );
    this.#insertCheckpoint = db.prepare('INSERT INTO tlog_checkpoints (tree_size, root_hash, note, signed_at, hsm_counter) VALUES (?, ?, ?, ?, ?)');

    this.#syncFrontier();
    const latest = this.latestCheckpoint();
    if (latest) {
      this.#signedSize = latest.size;
      this.#assertExtends(latest, this.#frontier.size);
    }

    const every = options.checkpointEvery === undefined ? { entries: 1000, ms: 5000 } : options.checkpointEvery;
    this.#autoEntries = every && every.entries > 0 ? every.entries : null;
    if (every && every.ms > 0) {
      this.#timer = setInterval(() => {
        if (!this.#closed && !this.#db.isTransaction && this.size() > this.#signedSize) this.#autoCheckpoint();
      }, every.ms);
      this.#timer.unref();
    } else {
      this.#timer = null;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Appending
  // -------------------------------------------------------------------------------------------

  /**
   * Append entries inside the caller's open transaction. Synchronous; nothing is durable until the
   * caller commits. Validates every entry before writing any.
   */
  appendInTransaction(entries: readonly object[]): AppendResult {
    this.#assertOpen();
    if (!this.#db.isTransaction) {
      throw new FirewallError('LOG_NOT_IN_TRANSACTION', 'appendInTransaction must run inside the caller\'s BEGIN/COMMIT (use append() otherwise)', {
        status: 500,
      });
    }
    if (!Array.isArray(entries)) throw new FirewallError('LOG_ENTRY_INVALID', 'entries must be an array', { status: 400 });
    const prepared = entries.map((e, i) => prepareEntry(e, i));
    const result = this.#write(prepared);
    // Scheduled only: the checkpoint itself waits until the caller's transaction has ended.
    this.#maybeAutoCheckpoint();
    return result;
  }

  /** Append entries in a transaction of the log's own. */
  append(entries: readonly object[]): AppendResult {
    this.#assertOpen();
    if (this.#db.isTransaction) {
      throw new FirewallError('LOG_IN_TRANSACTION', 'a transaction is open on this database: call appendInTransaction instead', { status: 500 });
    }
    if (!Array.isArray(entries)) throw new FirewallError('LOG_ENTRY_INVALID', 'entries must be an array', { status: 400 });
    const prepared = entries.map((e, i) => prepareEntry(e, i));
    const result = this.#inOwnTransaction(() => this.#write(prepared));
    this.#maybeAutoCheckpoint();
    return result;
  }

  /**
   * Group commit: concurrent callers' entries are written in one transaction (one fsync). Resolves
   * with the entry's index once it is committed.
   */
  enqueue(entry: object): Promise<number> {
    if (this.#closed) return Promise.reject(new FirewallError('LOG_CLOSED', 'the transparency log is closed', { status: 503 }));
    let prepared: PreparedEntry;
    try {
      prepared = prepareEntry(entry);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ entry: prepared, resolve, reject });
      this.#scheduleFlush();
    });
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#queue.length === 0) return;
    if (this.#db.isTransaction) {
      // Someone else's transaction is open on the shared handle; try again shortly.
      setTimeout(() => this.#scheduleFlush(), 1);
      return;
    }
    const batch = this.#queue.splice(0, this.#maxBatch);
    let result: AppendResult;
    try {
      result = this.#inOwnTransaction(() => this.#write(batch.map((p) => p.entry)));
    } catch (e) {
      for (const p of batch) p.reject(e);
      if (this.#queue.length > 0) this.#scheduleFlush();
      return;
    }
    for (const [i, p] of batch.entries()) p.resolve(result.firstIndex + i);
    if (this.#queue.length > 0) this.#scheduleFlush();
    this.#maybeAutoCheckpoint();
  }

  #inOwnTransaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.#db.exec('COMMIT');
      return out;
    } catch (e) {
      this.#dirty = true;
      try {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      } catch {
        // The original error is the one to report.
      }
      throw e;
    }
  }

  #write(prepared: PreparedEntry[]): AppendResult {
    this.#syncFrontier();
    const frontier = this.#frontier;
    const firstIndex = frontier.size;
    if (firstIndex + prepared.length > MAX_LOG_SIZE) {
      throw new FirewallError('LOG_FULL', `the log holds at most 2^47 entries`, { status: 507 });
    }
    const leafHashes: Buffer[] = [];
    if (prepared.length === 0) return { firstIndex, leafHashes };
    this.#dirty = true;
    const insertNode = this.#insertNode;
    const sink = (level: number, index: number, hash: Buffer): void => {
      insertNode.run(nodeId(level, index), hash);
    };
    for (const [i, p] of prepared.entries()) {
      this.#insertEntry.run(firstIndex + i, p.leaf, p.body, p.type, p.ts, p.actionId);
      for (const t of p.terms) this.#insertTerm.run(t, firstIndex + i);
      frontier.append(p.leaf, sink);
      leafHashes.push(p.leaf);
    }
    this.#lastLeaf = leafHashes[leafHashes.length - 1] as Buffer;
    this.#dirty = false;
    return { firstIndex, leafHashes };
  }

  /** Make the in-memory frontier match the table (after a rollback, a failed write, or at startup). */
  #syncFrontier(): void {
    const tail = this.#selectTail.get() as { idx: number; leaf_hash: Uint8Array } | undefined;
    const size = tail ? tail.idx + 1 : 0;
    if (!this.#dirty && size === this.#frontier.size && (tail === undefined || (this.#lastLeaf !== null && hashEqual(this.#lastLeaf, tail.leaf_hash)))) {
      return;
    }
    const hashes = decompose(size).map((r) => this.#node(r.level, r.index));
    this.#frontier = Frontier.fromHashes(size, hashes);
    this.#lastLeaf = tail ? buf(tail.leaf_hash) : null;
    this.#dirty = false;
  }

  #node(level: number, index: number): Uint8Array {
    const row = (level === 0 ? this.#selectLeaf.get(index) : this.#selectNode.get(nodeId(level, index))) as
      | { leaf_hash?: Uint8Array; hash?: Uint8Array }
      | undefined;
    const h = row?.leaf_hash ?? row?.hash;
    if (!h) throw new FirewallError('LOG_CORRUPT', `tree node (${level}, ${index}) is missing from storage`, { status: 500 });
    return h;
  }

  // -------------------------------------------------------------------------------------------
  // Tree reads
  // -------------------------------------------------------------------------------------------

  /** Current number of entries (as visible on this connection). */
  size(): number {
    const tail = this.#selectTail.get() as { idx: number } | undefined;
    return tail ? tail.idx + 1 : 0;
  }

  #checkSize(size: number, what = 'tree size'): void {
    if (!isUint(size)) throw new FirewallError('LOG_BAD_REQUEST', `${what} must be a non-negative integer`, { status: 400 });
    const current = this.size();
    if (size > current) {
      throw new FirewallError('LOG_SIZE_UNKNOWN', `${what} ${size} is larger than the log (${current} entries)`, { status: 404, detail: { size: current } });
    }
  }

  /** MTH(D[0:size]). */
  root(size: number = this.size()): Buffer {
    this.#checkSize(size);
    return buf(rootHash(this.#source, size));
  }

  inclusionProof(index: number, size: number): InclusionProof {
    this.#checkSize(size);
    if (!isUint(index)) throw new FirewallError('LOG_BAD_REQUEST', 'index must be a non-negative integer', { status: 400 });
    if (index >= size) throw new FirewallError('LOG_RANGE_INVALID', `index ${index} is not below tree size ${size}`, { status: 400 });
    return {
      index,
      size,
      leafHash: buf(this.#node(0, index)),
      rootHash: buf(rootHash(this.#source, size)),
      hashes: inclusionProof(this.#source, index, size).map(buf),
    };
  }

  consistencyProof(from: number, to: number): ConsistencyProof {
    this.#checkSize(to, 'to');
    if (!isUint(from)) throw new FirewallError('LOG_BAD_REQUEST', 'from must be a non-negative integer', { status: 400 });
    if (from > to) throw new FirewallError('LOG_RANGE_INVALID', `from ${from} is larger than to ${to}`, { status: 400 });
    return {
      from,
      to,
      fromRoot: buf(rootHash(this.#source, from)),
      toRoot: buf(rootHash(this.#source, to)),
      hashes: consistencyProof(this.#source, from, to).map(buf),
    };
  }

  /** Hashes of the complete subtrees decomposing D[0:size], leftmost first. */
  frontierHashes(size: number): Buffer[] {
    this.#checkSize(size);
    return decompose(size).map((r) => buf(this.#node(r.level, r.index)));
  }

  /** Concatenated leaf hashes of entries [start, end). */
  leafHashes(start: number, end: number): Buffer {
    this.#checkRange(start, end);
    const out = Buffer.allocUnsafe((end - start) * 32);
    let off = 0;
    for (const row of this.#selectLeafRange.iterate(start, end) as Iterable<{ leaf_hash: Uint8Array }>) {
      out.set(row.leaf_hash, off);
      off += 32;
    }
    if (off !== out.length) throw new FirewallError('LOG_CORRUPT', `leaf hashes [${start}, ${end}) are incomplete`, { status: 500 });
    return out;
  }

  #checkRange(start: number, end: number): void {
    if (!isUint(start) || !isUint(end) || start > end) throw new FirewallError('LOG_RANGE_INVALID', `invalid range [${start}, ${end})`, { status: 400 });
    this.#checkSize(end, 'range end');
  }

  /**
   * A tlog-tiles resource for the current tree: hash tile (level >= 0) or entry bundle. LOG_NOT_FOUND
   * when the tree does not (yet) contain it.
   */
  tile(t: TileCoord): Buffer {
    const size = this.size();
    if (!tileExists(t, size)) {
      throw new FirewallError('LOG_NOT_FOUND', `tile does not exist in the tree of size ${size}`, { status: 404 });
    }
    const first = t.index * TILE_WIDTH;
    if (t.level === 'entries') {
      const bodies = (this.#selectBodyRange.all(first, first + t.width) as { body: string }[]).map((r) => r.body);
      if (bodies.length !== t.width) throw new FirewallError('LOG_CORRUPT', 'entry bundle is incomplete', { status: 500 });
      return encodeEntryBundle(bodies);
    }
    const level = t.level * TILE_HEIGHT;
    const rows = (
      level === 0 ? this.#selectLeafRange.all(first, first + t.width) : this.#selectNodeRange.all(nodeId(level, first), nodeId(level, first + t.width))
    ) as { leaf_hash?: Uint8Array; hash?: Uint8Array }[];
    if (rows.length !== t.width) throw new FirewallError('LOG_CORRUPT', 'tile is incomplete', { status: 500 });
    const out = Buffer.allocUnsafe(t.width * 32);
    rows.forEach((r, i) => out.set((r.leaf_hash ?? r.hash) as Uint8Array, i * 32));
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Entry reads
  // -------------------------------------------------------------------------------------------

  entry(index: number): LogEntry {
    if (!isUint(index)) throw new FirewallError('LOG_BAD_REQUEST', 'index must be a non-negative integer', { status: 400 });
    const row = this.#selectEntry.get(index) as EntryRow | undefined;
    if (!row) throw new FirewallError('LOG_NOT_FOUND', `no entry ${index} (the log has ${this.size()} entries)`, { status: 404 });
    return toEntry(row);
  }

  /** Entries [start, end) in index order (streamed). */
  *entries(start: number, end: number): Generator<LogEntry> {
    this.#checkRange(start, end);
    for (const row of this.#selectEntryRange.iterate(start, end) as Iterable<EntryRow>) yield toEntry(row);
  }

  /** Raw canonical bodies [start, end) in index order (streamed). */
  *bodies(start: number, end: number): Generator<string> {
    this.#checkRange(start, end);
    for (const row of this.#selectBodyRange.iterate(start, end) as Iterable<{ body: string }>) yield row.body;
  }

  entriesByActionId(actionId: string, limit = 1000): LogEntry[] {
    return this.query({ actionId, limit });
  }

  entriesByType(type: string, range: { since?: number; until?: number; afterIndex?: number; limit?: number } = {}): LogEntry[] {
    return this.query({ ...range, type });
  }

  entriesBetween(since: number, until: number, options: { afterIndex?: number; limit?: number } = {}): LogEntry[] {
    return this.query({ ...options, since, until });
  }

  /** Entries matching every given filter, in index order. */
  query(q: EntryQuery): LogEntry[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.type !== undefined) {
      if (typeof q.type !== 'string') throw new FirewallError('LOG_BAD_REQUEST', 'type must be a string', { status: 400 });
      where.push('type = ?');
      params.push(q.type);
    }
    if (q.actionId !== undefined) {
      if (typeof q.actionId !== 'string') throw new FirewallError('LOG_BAD_REQUEST', 'actionId must be a string', { status: 400 });
      where.push('action_id = ?');
      params.push(q.actionId);
    }
    for (const kind of TERM_KINDS) {
      const v = q[kind];
      if (v === undefined) continue;
      if (typeof v !== 'string') throw new FirewallError('LOG_BAD_REQUEST', `${kind} must be a string`, { status: 400 });
      where.push('idx IN (SELECT idx FROM tlog_terms WHERE term = ?)');
      params.push(term(kind, v));
    }
    for (const [k, op, col] of [
      ['since', '>=', 'ts'],
      ['until', '<', 'ts'],
      ['afterIndex', '>', 'idx'],
    ] as const) {
      const v = q[k];
      if (v === undefined) continue;
      if (!isUint(v)) throw new FirewallError('LOG_BAD_REQUEST', `${k} must be a non-negative integer`, { status: 400 });
      where.push(`${col} ${op} ?`);
      params.push(v);
    }
    const limit = q.limit ?? 100;
    if (!isUint(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
      throw new FirewallError('LOG_BAD_REQUEST', `limit must be 1..${MAX_QUERY_LIMIT}`, { status: 400 });
    }
    const sql = `SELECT idx, leaf_hash, body, type, ts, action_id FROM tlog_entries${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY idx LIMIT ${limit}`;
    return (this.#db.prepare(sql).all(...params) as unknown as EntryRow[]).map(toEntry);
  }

  /** Index range [start, end) from the first entry with ts >= since to the last with ts < until. */
  indexRangeForTime(since: number, until: number): { start: number; end: number } {
    if (!isUint(since) || !isUint(until)) throw new FirewallError('LOG_BAD_REQUEST', 'since and until must be non-negative integers', { status: 400 });
    const row = this.#db.prepare('SELECT MIN(idx) AS lo, MAX(idx) AS hi FROM tlog_entries WHERE ts >= ? AND ts < ?').get(since, until) as {
      lo: number | null;
      hi: number | null;
    };
    if (row.lo === null || row.hi === null) {
      const after = this.#db.prepare('SELECT MIN(idx) AS lo FROM tlog_entries WHERE ts >= ?').get(since) as { lo: number | null };
      const at = after.lo ?? this.size();
      return { start: at, end: at };
    }
    return { start: row.lo, end: row.hi + 1 };
  }

  // -------------------------------------------------------------------------------------------
  // Checkpoints
  // -------------------------------------------------------------------------------------------

  latestCheckpoint(): SignedCheckpoint | null {
    const row = this.#selectLatestCheckpoint.get() as CheckpointRow | undefined;
    return row ? this.#toCheckpoint(row) : null;
  }

  /** Persisted checkpoints with fromSize <= size <= toSize, ascending. */
  checkpoints(fromSize = 0, toSize: number = Number.MAX_SAFE_INTEGER): SignedCheckpoint[] {
    return (this.#selectCheckpoints.all(fromSize, toSize) as unknown as CheckpointRow[]).map((r) => this.#toCheckpoint(r));
  }

  #toCheckpoint(r: CheckpointRow): SignedCheckpoint {
    return { origin: this.origin, size: r.tree_size, rootHash: buf(r.root_hash), note: r.note, signedAt: r.signed_at, hsmCounter: r.hsm_counter };
  }

  /**
   * Sign a checkpoint for the current committed tree. Refuses (LOG_INCONSISTENT) unless the tree
   * extends the latest persisted checkpoint, checked with a consistency proof before signing. Returns
   * the latest checkpoint unchanged when nothing was appended since.
   */
  checkpoint(): Promise<SignedCheckpoint> {
    const run = this.#checkpointChain.then(() => this.#checkpointNow());
    this.#checkpointChain = run.catch(() => {});
    return run;
  }

  async #checkpointNow(): Promise<SignedCheckpoint> {
    const { key } = await this.#loadKey();
    await this.#outsideTransaction();
    const size = this.size();
    // A signed tree head is a commitment: never over entries a crash could still take back (an
    // empty store transaction resolves only once everything committed before it is on disk).
    if (this.#transact) await this.#transact(() => {});
    const root = this.root(size);
    const latest = this.latestCheckpoint();
    if (latest) {
      this.#assertExtends(latest, size, root);
      if (size === latest.size) return latest;
    }
    const text = formatCheckpoint({ origin: this.origin, size, rootHash: root, extensions: [] });
    const { note, signature } = await signCheckpoint(this.#signer, key, text);
    const signedAt = this.#clock.now();
    const insert = () => {
      const now = this.latestCheckpoint();
      if (now && now.size >= size) {
        throw new FirewallError('LOG_CHECKPOINT_RACE', `a checkpoint of size ${now.size} was persisted concurrently`, { status: 409 });
      }
      this.#insertCheckpoint.run(size, root, note, signedAt, Number.isSafeInteger(signature.counter) ? signature.counter : null);
    };
    if (this.#transact) {
      await this.#transact(insert);
    } else {
      await this.#outsideTransaction();
      this.#inOwnTransaction(insert);
    }
    this.#signedSize = Math.max(this.#signedSize, size);
    return { origin: this.origin, size, rootHash: root, note, signedAt, hsmCounter: signature.counter ?? null };
  }

  /** Throw LOG_INCONSISTENT unless the stored tree at `size` extends the signed checkpoint. */
  #assertExtends(latest: SignedCheckpoint, size: number, root?: Buffer): void {
    try {
      if (size < latest.size) throw new FirewallError('LOG_SHRUNK', `the tree has ${size} entries, fewer than the signed ${latest.size}`, { status: 500 });
      const newRoot = root ?? buf(rootHash(this.#source, size));
      const proof = consistencyProof(this.#source, latest.size, size);
      verifyConsistencyProof(latest.size, size, latest.rootHash, newRoot, proof);
    } catch (e) {
      throw new FirewallError(
        'LOG_INCONSISTENT',
        `refusing to continue: the stored tree of size ${size} is not consistent with the checkpoint signed at size ${latest.size}`,
        { status: 500, cause: e },
      );
    }
  }

  async #outsideTransaction(): Promise<void> {
    const deadline = Date.now() + TRANSACTION_WAIT_MS;
    while (this.#db.isTransaction) {
      if (Date.now() > deadline) throw new FirewallError('LOG_BUSY', 'a transaction stayed open too long to take a checkpoint', { status: 503 });
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  #maybeAutoCheckpoint(): void {
    if (this.#autoEntries !== null && this.size() - this.#signedSize >= this.#autoEntries) this.#autoCheckpoint();
  }

  #autoCheckpoint(): void {
    if (this.#autoCheckpointPending || this.#closed) return;
    this.#autoCheckpointPending = true;
    setImmediate(() => {
      this.checkpoint()
        .catch((e) => this.#onError(e))
        .finally(() => {
          this.#autoCheckpointPending = false;
        });
    });
  }

  #loadKey(): Promise<{ key: CheckpointKey; info: PublicKeyInfo }> {
    if (!this.#key) {
      this.#key = (async () => {
        const info = await this.#signer.publicKey('checkpoint');
        if (info.alg !== 'EdDSA') {
          throw new FirewallError('CHECKPOINT_SIGNER_INVALID', `the checkpoint key must be Ed25519 (EdDSA), not ${info.alg}`, { status: 500 });
        }
        return { key: checkpointKeyFromJwk(this.origin, info.jwk), info };
      })();
      this.#key.catch(() => {
        this.#key = null;
      });
    }
    return this.#key;
  }

  /** The published checkpoint verifier key with its attestation chain. */
  async verifierKey(): Promise<LogVerifierKey> {
    const { key, info } = await this.#loadKey();
    return {
      origin: this.origin,
      vkey: key.vkey,
      keyId: keyIdHex(key.keyId),
      publicKey: key.publicKey.toString('base64'),
      kid: info.kid,
      jwk: info.jwk,
      x5c: [...info.x5c],
    };
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle
  // -------------------------------------------------------------------------------------------

  /** Stop the timer, commit queued entries, wait for checkpoints in flight. Does not close the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    while (this.#queue.length > 0) {
      await this.#outsideTransaction();
      this.#flush();
    }
    await this.#checkpointChain;
  }

  #assertOpen(): void {
    if (this.#closed) throw new FirewallError('LOG_CLOSED', 'the transparency log is closed', { status: 503 });
  }
}

function toEntry(row: EntryRow): LogEntry {
  return {
    index: row.idx,
    leafHash: buf(row.leaf_hash),
    body: row.body,
    entry: JSON.parse(row.body) as Record<string, unknown>,
    type: row.type,
    ts: row.ts,
    actionId: row.action_id,
  };
}
