/**
 * The right edge of a Merkle tree: the hashes of the complete subtrees that decompose D[0:size]
 * (one per set bit of `size`, largest first). Appending a leaf merges equal-sized subtrees, which is
 * exactly when a new complete node comes into existence; the storage records those nodes.
 */
import { FirewallError } from '../errors.ts';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hash.ts';
import { isUint } from './tree-size.ts';

export interface SubtreeRef {
  level: number;
  index: number;
}

/** The complete subtrees decomposing D[0:size], left to right (largest first). */
export function decompose(size: number): SubtreeRef[] {
  if (!isUint(size)) throw new FirewallError('MERKLE_RANGE', 'size must be a non-negative safe integer', { status: 400 });
  const out: SubtreeRef[] = [];
  let offset = 0;
  for (let level = 52; level >= 0; level--) {
    const w = 2 ** level;
    if (size - offset >= w) {
      out.push({ level, index: offset / w });
      offset += w;
    }
  }
  return out;
}

/** Called for each complete node of level >= 1 created by an append. */
export type NodeSink = (level: number, index: number, hash: Buffer) => void;

export class Frontier {
  #size: number;
  /** Levels and hashes of the decomposition, left to right. */
  #levels: number[];
  #hashes: Uint8Array[];

  private constructor(size: number, levels: number[], hashes: Uint8Array[]) {
    this.#size = size;
    this.#levels = levels;
    this.#hashes = hashes;
  }

  static empty(): Frontier {
    return new Frontier(0, [], []);
  }

  /** Rebuild from the decomposition hashes of D[0:size] (as returned in `decompose(size)` order). */
  static fromHashes(size: number, hashes: readonly Uint8Array[]): Frontier {
    const refs = decompose(size);
    if (refs.length !== hashes.length) {
      throw new FirewallError(
        'MERKLE_FRONTIER_INVALID',
        `a tree of size ${size} decomposes into ${refs.length} subtrees, got ${hashes.length} hashes`,
        { status: 400 },
      );
    }
    for (const h of hashes) {
      if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
        throw new FirewallError('MERKLE_FRONTIER_INVALID', `frontier hashes must be ${HASH_SIZE} bytes`, { status: 400 });
      }
    }
    return new Frontier(
      size,
      refs.map((r) => r.level),
      [...hashes],
    );
  }

  get size(): number {
    return this.#size;
  }

  /** Decomposition hashes, left to right. */
  hashes(): Uint8Array[] {
    return [...this.#hashes];
  }

  clone(): Frontier {
    return new Frontier(this.#size, [...this.#levels], [...this.#hashes]);
  }

  /** Append one leaf hash; `sink` receives every complete node (level >= 1) this append completes. */
  append(leaf: Uint8Array, sink?: NodeSink): void {
    const leafIndex = this.#size;
    let level = 0;
    let h: Uint8Array = leaf;
    const levels = this.#levels;
    const hashes = this.#hashes;
    while (levels.length > 0 && levels[levels.length - 1] === level) {
      levels.pop();
      const left = hashes.pop() as Uint8Array;
      h = nodeHash(left, h);
      level++;
      if (sink) sink(level, Math.floor(leafIndex / 2 ** level), h as Buffer);
    }
    levels.push(level);
    hashes.push(h);
    this.#size = leafIndex + 1;
  }

  /** MTH(D[0:size]). */
  root(): Uint8Array {
    const hashes = this.#hashes;
    if (hashes.length === 0) return EMPTY_ROOT;
    let acc = hashes[hashes.length - 1] as Uint8Array;
    for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i] as Uint8Array, acc);
    return acc;
  }
}
