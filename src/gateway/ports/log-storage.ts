import type { PreparedEntry } from '../../core/log/entry.ts';
import type { EntryFilter } from '../../core/log/query.ts';
import type { TreeNode } from '../../core/log/tree.ts';
import type { LogEntry } from '../../core/log/types.ts';
import type { SubtreeRef } from '../../core/merkle/frontier.ts';

/**
 * Where the transparency log keeps its entries, tree nodes and signed checkpoints (as Tessera's
 * storage drivers do): the appender and the checkpointer (src/gateway/log) hold the tree logic,
 * a driver per database (src/adapters/store) only stores and reads.
 *
 * A driver keeps every entry with its leaf hash and search terms, and every complete subtree of
 * level >= 1 as it comes into existence, so that any root or proof is O(log n) point reads.
 */

/** A checkpoint as stored: the signed note and what it commits to. */
export interface StoredCheckpoint {
  size: number;
  rootHash: Uint8Array;
  note: string;
  signedAt: number;
  hsmCounter: number | null;
}

/** The log inside a store transaction (StoreTx.log): what commits with the state change it records. */
export interface LogStorageTx {
  /** The tree's size and last leaf hash as this transaction sees them (null when empty). */
  tail(): Promise<{ size: number; lastLeaf: Uint8Array | null }>;
  /** Hashes of these complete subtrees (level 0: leaf hashes), same order; LOG_CORRUPT if one is missing. */
  nodes(refs: readonly SubtreeRef[]): Promise<Uint8Array[]>;
  /** Writes entries `firstIndex`, `firstIndex + 1`, … with their search terms, and the subtrees they completed. */
  append(firstIndex: number, entries: readonly PreparedEntry[], nodes: readonly TreeNode[]): Promise<void>;
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  putCheckpoint(c: StoredCheckpoint): Promise<void>;
  /** The origin this database's log belongs to; records `origin` when none is recorded yet. */
  claimOrigin(origin: string): Promise<string>;
  /**
   * The integrator's lease (the one writer that signs checkpoints automatically): takes or renews
   * it for `holder` until `now + ttlMs` when it is free, expired, or already `holder`'s. True when
   * `holder` holds it after this call.
   */
  claimIntegrator(holder: string, now: number, ttlMs: number): Promise<boolean>;
}

/**
 * Committed reads of the log (Store.log). They may run ahead of durability by one sync: only the
 * checkpointer's barrier (an empty store transaction) makes a size safe to sign.
 */
export interface LogReads {
  size(): Promise<number>;
  /** As LogStorageTx.nodes, on committed data. */
  nodes(refs: readonly SubtreeRef[]): Promise<Uint8Array[]>;
  /** Hashes of the complete subtrees of `level` with indexes [start, end) (a tile's row); LOG_CORRUPT if incomplete. */
  nodeRange(level: number, start: number, end: number): Promise<Uint8Array[]>;
  /** Canonical bodies of entries [start, end), index order. */
  bodies(start: number, end: number): Promise<string[]>;
  /** Entries [start, end), index order. */
  entries(start: number, end: number): Promise<LogEntry[]>;
  entry(index: number): Promise<LogEntry | undefined>;
  /** Entries matching every filter, index order, at most `filter.limit`. */
  query(filter: EntryFilter): Promise<LogEntry[]>;
  /** Lowest and highest index with since <= ts < until, or undefined when none. */
  indexBoundsForTime(since: number, until: number): Promise<{ lo: number; hi: number } | undefined>;
  /** Lowest index with ts >= since, or undefined. */
  firstIndexSince(since: number): Promise<number | undefined>;
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  /** Checkpoints with fromSize <= size <= toSize, ascending. */
  checkpoints(fromSize: number, toSize: number): Promise<StoredCheckpoint[]>;
}
