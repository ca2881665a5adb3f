/**
 * The transparency log (docs/transparency-log.md): an append-only RFC 9162 Merkle tree of
 * canonical-JSON entries, signed as C2SP checkpoints, served as C2SP tlog-tiles.
 *
 * Split as Tessera splits a log: entry and tree logic in src/core/log, the appender
 * (appender.ts, which `tx.audit` calls inside the store's transaction) and the checkpointer
 * (checkpointer.ts) here over the storage port (ports/log-storage.ts), one storage driver per
 * database in src/adapters/store. This class is the read side: roots, proofs, tiles and entry
 * queries over committed data, all O(log n) reads of stored subtrees.
 */
import { FirewallError } from '../../core/errors.ts';
import { entryFilter } from '../../core/log/query.ts';
import { computeOver } from '../../core/log/tree.ts';
import type { ConsistencyProof, EntryQuery, InclusionProof, LogEntry, LogVerifierKey, SignedCheckpoint } from '../../core/log/types.ts';
import { keyIdHex } from '../../core/checkpoint/verifier-key.ts';
import { decompose, type SubtreeRef } from '../../core/merkle/frontier.ts';
import { consistencyProof, inclusionProof, rootHash, type HashSource } from '../../core/merkle/proof.ts';
import { encodeEntryBundle, TILE_HEIGHT, TILE_WIDTH, tileExists, type TileCoord } from '../../core/merkle/tile.ts';
import { isUint } from '../../core/merkle/tree-size.ts';
import type { LogReads, StoredCheckpoint } from '../ports/log-storage.ts';
import type { Checkpointer } from './checkpointer.ts';

/** Entries read per storage call when streaming a range. */
const PAGE = 1000;

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.length);

export class TransparencyLog {
  readonly origin: string;
  readonly #reads: LogReads;
  readonly #checkpointer: Checkpointer;

  constructor(o: { reads: LogReads; checkpointer: Checkpointer }) {
    this.origin = o.checkpointer.origin;
    this.#reads = o.reads;
    this.#checkpointer = o.checkpointer;
  }

  #compute<T>(fn: (src: HashSource) => T): Promise<T> {
    return computeOver((refs: readonly SubtreeRef[]) => this.#reads.nodes(refs), fn);
  }

  // --- tree reads -------------------------------------------------------------------------------

  /** Current number of committed entries. */
  size(): Promise<number> {
    return this.#reads.size();
  }

  async #checkSize(size: number, what = 'tree size'): Promise<void> {
    if (!isUint(size)) throw new FirewallError('LOG_BAD_REQUEST', `${what} must be a non-negative integer`, { status: 400 });
    const current = await this.size();
    if (size > current) {
      throw new FirewallError('LOG_SIZE_UNKNOWN', `${what} ${size} is larger than the log (${current} entries)`, { status: 404, detail: { size: current } });
    }
  }

  #checkRange(start: number, end: number): Promise<void> {
    if (!isUint(start) || !isUint(end) || start > end) throw new FirewallError('LOG_RANGE_INVALID', `invalid range [${start}, ${end})`, { status: 400 });
    return this.#checkSize(end, 'range end');
  }

  /** MTH(D[0:size]); the current tree's by default. */
  async root(size?: number): Promise<Buffer> {
    const n = size ?? (await this.size());
    await this.#checkSize(n);
    return this.#compute((src) => buf(rootHash(src, n)));
  }

  async inclusionProof(index: number, size: number): Promise<InclusionProof> {
    await this.#checkSize(size);
    if (!isUint(index)) throw new FirewallError('LOG_BAD_REQUEST', 'index must be a non-negative integer', { status: 400 });
    if (index >= size) throw new FirewallError('LOG_RANGE_INVALID', `index ${index} is not below tree size ${size}`, { status: 400 });
    return this.#compute((src) => ({
      index,
      size,
      leafHash: buf(src.node(0, index)),
      rootHash: buf(rootHash(src, size)),
      hashes: inclusionProof(src, index, size).map(buf),
    }));
  }

  async consistencyProof(from: number, to: number): Promise<ConsistencyProof> {
    await this.#checkSize(to, 'to');
    if (!isUint(from)) throw new FirewallError('LOG_BAD_REQUEST', 'from must be a non-negative integer', { status: 400 });
    if (from > to) throw new FirewallError('LOG_RANGE_INVALID', `from ${from} is larger than to ${to}`, { status: 400 });
    return this.#compute((src) => ({
      from,
      to,
      fromRoot: buf(rootHash(src, from)),
      toRoot: buf(rootHash(src, to)),
      hashes: consistencyProof(src, from, to).map(buf),
    }));
  }

  /** Hashes of the complete subtrees decomposing D[0:size], leftmost first. */
  async frontierHashes(size: number): Promise<Buffer[]> {
    await this.#checkSize(size);
    return (await this.#reads.nodes(decompose(size))).map(buf);
  }

  /** Concatenated leaf hashes of entries [start, end). */
  async leafHashes(start: number, end: number): Promise<Buffer> {
    await this.#checkRange(start, end);
    const out = Buffer.allocUnsafe((end - start) * 32);
    for (let at = start; at < end; at += PAGE * 10) {
      const hashes = await this.#reads.nodeRange(0, at, Math.min(end, at + PAGE * 10));
      hashes.forEach((h, i) => out.set(h, (at - start + i) * 32));
    }
    return out;
  }

  /**
   * A tlog-tiles resource of the current tree: hash tile (level >= 0) or entry bundle. LOG_NOT_FOUND
   * when the tree does not (yet) contain it.
   */
  async tile(t: TileCoord): Promise<Buffer> {
    const size = await this.size();
    if (!tileExists(t, size)) throw new FirewallError('LOG_NOT_FOUND', `tile does not exist in the tree of size ${size}`, { status: 404 });
    const first = t.index * TILE_WIDTH;
    if (t.level === 'entries') {
      const bodies = await this.#reads.bodies(first, first + t.width);
      if (bodies.length !== t.width) throw new FirewallError('LOG_CORRUPT', 'entry bundle is incomplete', { status: 500 });
      return encodeEntryBundle(bodies);
    }
    const hashes = await this.#reads.nodeRange(t.level * TILE_HEIGHT, first, first + t.width);
    const out = Buffer.allocUnsafe(t.width * 32);
    hashes.forEach((h, i) => out.set(h, i * 32));
    return out;
  }

  // --- entry reads ------------------------------------------------------------------------------

  async entry(index: number): Promise<LogEntry> {
    if (!isUint(index)) throw new FirewallError('LOG_BAD_REQUEST', 'index must be a non-negative integer', { status: 400 });
    const e = await this.#reads.entry(index);
    if (e === undefined) throw new FirewallError('LOG_NOT_FOUND', `no entry ${index} (the log has ${await this.size()} entries)`, { status: 404 });
    return e;
  }

  /** Entries [start, end) in index order, read a page at a time. */
  async *entries(start: number, end: number): AsyncGenerator<LogEntry> {
    await this.#checkRange(start, end);
    for (let at = start; at < end; at += PAGE) yield* await this.#reads.entries(at, Math.min(end, at + PAGE));
  }

  /** Raw canonical bodies [start, end) in index order, read a page at a time. */
  async *bodies(start: number, end: number): AsyncGenerator<string> {
    await this.#checkRange(start, end);
    for (let at = start; at < end; at += PAGE) yield* await this.#reads.bodies(at, Math.min(end, at + PAGE));
  }

  entriesByActionId(actionId: string, limit = 1000): Promise<LogEntry[]> {
    return this.query({ actionId, limit });
  }

  entriesByType(type: string, range: { since?: number; until?: number; afterIndex?: number; limit?: number } = {}): Promise<LogEntry[]> {
    return this.query({ ...range, type });
  }

  entriesBetween(since: number, until: number, options: { afterIndex?: number; limit?: number } = {}): Promise<LogEntry[]> {
    return this.query({ ...options, since, until });
  }

  /** Entries matching every given filter, in index order. */
  async query(q: EntryQuery): Promise<LogEntry[]> {
    return this.#reads.query(entryFilter(q));
  }

  /** Index range [start, end) from the first entry with ts >= since to the last with ts < until. */
  async indexRangeForTime(since: number, until: number): Promise<{ start: number; end: number }> {
    if (!isUint(since) || !isUint(until)) throw new FirewallError('LOG_BAD_REQUEST', 'since and until must be non-negative integers', { status: 400 });
    const b = await this.#reads.indexBoundsForTime(since, until);
    if (b === undefined) {
      const at = (await this.#reads.firstIndexSince(since)) ?? (await this.size());
      return { start: at, end: at };
    }
    return { start: b.lo, end: b.hi + 1 };
  }

  // --- checkpoints ------------------------------------------------------------------------------

  async latestCheckpoint(): Promise<SignedCheckpoint | null> {
    const c = await this.#reads.latestCheckpoint();
    return c === undefined ? null : this.#signed(c);
  }

  /** Persisted checkpoints with fromSize <= size <= toSize, ascending. */
  async checkpoints(fromSize = 0, toSize: number = Number.MAX_SAFE_INTEGER): Promise<SignedCheckpoint[]> {
    return (await this.#reads.checkpoints(fromSize, toSize)).map((c) => this.#signed(c));
  }

  #signed(c: StoredCheckpoint): SignedCheckpoint {
    return { origin: this.origin, size: c.size, rootHash: buf(c.rootHash), note: c.note, signedAt: c.signedAt, hsmCounter: c.hsmCounter };
  }

  /**
   * Signs a checkpoint of the current durable tree (checkpointer.ts); refuses (LOG_INCONSISTENT)
   * unless it extends the latest one; returns the latest unchanged when nothing was appended since.
   */
  checkpoint(): Promise<SignedCheckpoint> {
    return this.#checkpointer.checkpoint();
  }

  /** Whether this writer is the log's integrator (signs the automatic checkpoints) at the moment. */
  get integrator(): boolean {
    return this.#checkpointer.integrator;
  }

  /** The published checkpoint verifier key with its attestation chain. */
  async verifierKey(): Promise<LogVerifierKey> {
    const { key, info } = await this.#checkpointer.loadKey();
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

  /** Stops automatic checkpoints and waits for one in flight. Does not close the store. */
  close(): Promise<void> {
    return this.#checkpointer.close();
  }
}
