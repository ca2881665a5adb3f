/**
 * The log's tree logic, apart from where its hashes are kept (the split Tessera makes): which
 * complete subtrees an append creates, and which stored subtrees a root or proof reads, so that a
 * storage driver can be asked for them in one round trip.
 */
import { FirewallError } from '../errors.ts';
import { HASH_SIZE } from '../merkle/hash.ts';
import type { Frontier, SubtreeRef } from '../merkle/frontier.ts';
import type { HashSource } from '../merkle/proof.ts';

/** A complete subtree's hash: MTH(D[index * 2^level : (index + 1) * 2^level]); level 0 is a leaf hash. */
export interface TreeNode extends SubtreeRef {
  hash: Uint8Array;
}

/** Appends `leaves` to `frontier` (in place); returns the complete subtrees of level >= 1 they closed, to store. */
export function integrate(frontier: Frontier, leaves: readonly Uint8Array[]): TreeNode[] {
  const nodes: TreeNode[] = [];
  for (const leaf of leaves) frontier.append(leaf, (level, index, hash) => nodes.push({ level, index, hash }));
  return nodes;
}

const PLACEHOLDER = new Uint8Array(HASH_SIZE);

/**
 * The stored subtrees `compute` reads, in first-read order without repeats. Which ones a root or
 * a proof needs depends only on sizes and indexes, never on hash values, so a dry run over
 * placeholder hashes finds them. `compute` must only combine hashes, never check them.
 */
export function nodesRead(compute: (src: HashSource) => unknown): SubtreeRef[] {
  const seen = new Set<string>();
  const refs: SubtreeRef[] = [];
  compute({
    node(level, index) {
      const key = `${level}/${index}`;
      if (!seen.has(key)) {
        seen.add(key);
        refs.push({ level, index });
      }
      return PLACEHOLDER;
    },
  });
  return refs;
}

/** A HashSource over hashes already fetched for `refs` (same order). */
export function sourceOf(refs: readonly SubtreeRef[], hashes: readonly Uint8Array[]): HashSource {
  const byKey = new Map<string, Uint8Array>();
  refs.forEach((r, i) => byKey.set(`${r.level}/${r.index}`, hashes[i] as Uint8Array));
  return {
    node(level, index) {
      const h = byKey.get(`${level}/${index}`);
      if (h === undefined) throw new FirewallError('LOG_CORRUPT', `tree node (${level}, ${index}) was not read`, { status: 500 });
      return h;
    },
  };
}

/** Runs `compute` over the subtrees it needs, read in one call of `read`. */
export async function computeOver<T>(read: (refs: readonly SubtreeRef[]) => Promise<Uint8Array[]>, compute: (src: HashSource) => T): Promise<T> {
  const refs = nodesRead(compute);
  const hashes = refs.length === 0 ? [] : await read(refs);
  return compute(sourceOf(refs, hashes));
}
