import { FirewallError } from '../../core/errors.ts';
import { prepareEntry } from '../../core/log/entry.ts';
import { integrate } from '../../core/log/tree.ts';
import { hashEqual } from '../../core/merkle/hash.ts';
import { decompose, Frontier } from '../../core/merkle/frontier.ts';
import { MAX_LOG_SIZE } from '../../core/merkle/tree-size.ts';
import type { AuditAppender } from '../ports/audit-log.ts';
import type { LogStorageTx } from '../ports/log-storage.ts';

/**
 * Appends entries to the transparency log inside the caller's store transaction, so an entry
 * commits atomically with the state change it records (Tessera's appender, with sequencing done
 * by the transaction itself).
 *
 * The right edge of the tree (the frontier) is kept in memory between appends, but nothing in
 * memory is trusted across transactions: each append reads the stored tail (size and last leaf)
 * and rebuilds the frontier from storage when it does not match (the caller rolled back, a write
 * failed half-way, or another writer appended).
 */
export class LogAppender implements AuditAppender {
  #frontier: Frontier = Frontier.empty();
  #lastLeaf: Uint8Array | null = null;
  /** Set while a write is under way or after it failed: the cached frontier may be ahead of storage. */
  #dirty = true;
  readonly #observers: ((size: number) => void)[] = [];

  /** `observer` hears the tree's size after each append (the checkpointer counts unsigned entries). */
  observe(observer: (size: number) => void): void {
    this.#observers.push(observer);
  }

  /** Validates every entry before writing any; returns the index of the first. */
  async append(log: LogStorageTx, entries: readonly object[]): Promise<number> {
    if (!Array.isArray(entries)) throw new FirewallError('LOG_ENTRY_INVALID', 'entries must be an array', { status: 400 });
    const prepared = entries.map((e, i) => prepareEntry(e, i));
    const frontier = await this.#frontierOf(log);
    const firstIndex = frontier.size;
    if (firstIndex + prepared.length > MAX_LOG_SIZE) throw new FirewallError('LOG_FULL', 'the log holds at most 2^47 entries', { status: 507 });
    if (prepared.length === 0) return firstIndex;
    this.#dirty = true;
    const nodes = integrate(frontier, prepared.map((p) => p.leaf));
    await log.append(firstIndex, prepared, nodes);
    this.#lastLeaf = prepared[prepared.length - 1]!.leaf;
    this.#dirty = false;
    for (const o of this.#observers) o(frontier.size);
    return firstIndex;
  }

  /** The frontier of the stored tree, as the transaction sees it. */
  async #frontierOf(log: LogStorageTx): Promise<Frontier> {
    const tail = await log.tail();
    const cached = this.#frontier;
    if (!this.#dirty && tail.size === cached.size && (tail.lastLeaf === null || (this.#lastLeaf !== null && hashEqual(this.#lastLeaf, tail.lastLeaf)))) return cached;
    this.#dirty = true;
    const hashes = await log.nodes(decompose(tail.size));
    this.#frontier = Frontier.fromHashes(tail.size, hashes);
    this.#lastLeaf = tail.lastLeaf;
    this.#dirty = false;
    return this.#frontier;
  }
}
