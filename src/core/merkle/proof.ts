/**
 * RFC 9162 §2.1 Merkle Tree Hash, inclusion proofs (§2.1.3) and consistency proofs (§2.1.4).
 *
 * Generation reads complete-subtree hashes from a `HashSource` (the storage keeps every complete
 * subtree, so a proof at any size is O(log n) point reads). Verification is pure and implements the
 * RFC's verification algorithms step by step.
 */
import { FirewallError } from '../errors.ts';
import { EMPTY_ROOT, HASH_SIZE, hashEqual, nodeHash } from './hash.ts';
import { isPowerOfTwo, isUint, log2Exact, splitPoint } from './tree-size.ts';

/**
 * Hashes of complete subtrees: `node(level, index)` is MTH(D[index * 2^level : (index + 1) * 2^level]).
 * Level 0 is the leaf hashes. Callers only ask for subtrees that exist in the tree being proven.
 */
export interface HashSource {
  node(level: number, index: number): Uint8Array;
}

/** MTH(D[start:end]) for 0 <= start < end. */
export function subtreeHash(src: HashSource, start: number, end: number): Uint8Array {
  const n = end - start;
  if (n <= 0) throw new FirewallError('MERKLE_RANGE', `empty subtree [${start}, ${end})`, { status: 400 });
  if (isPowerOfTwo(n) && start % n === 0) return src.node(log2Exact(n), start / n);
  const k = splitPoint(n);
  return nodeHash(subtreeHash(src, start, start + k), subtreeHash(src, start + k, end));
}

/** MTH(D[0:size]); the hash of the empty string for size 0. */
export function rootHash(src: HashSource, size: number): Uint8Array {
  if (!isUint(size)) throw new FirewallError('MERKLE_RANGE', 'tree size must be a non-negative safe integer', { status: 400 });
  return size === 0 ? EMPTY_ROOT : subtreeHash(src, 0, size);
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]), ordered from the leaf's sibling up to the root's child. */
export function inclusionProof(src: HashSource, index: number, size: number): Uint8Array[] {
  if (!isUint(index) || !isUint(size) || index >= size) {
    throw new FirewallError('MERKLE_RANGE', `no leaf ${index} in a tree of size ${size}`, { status: 400 });
  }
  const topDown: Uint8Array[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      topDown.push(subtreeHash(src, start + k, end));
      end = start + k;
    } else {
      topDown.push(subtreeHash(src, start, start + k));
      start += k;
    }
  }
  return topDown.reverse();
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]). Empty when m == n or m == 0 (nothing to prove). */
export function consistencyProof(src: HashSource, m: number, n: number): Uint8Array[] {
  if (!isUint(m) || !isUint(n) || m > n) {
    throw new FirewallError('MERKLE_RANGE', `no consistency proof from size ${m} to size ${n}`, { status: 400 });
  }
  if (m === 0 || m === n) return [];
  // SUBPROOF(m, D[start:end], b), unrolled. Each step appends after the recursive part, so collect
  // top-down and reverse.
  const topDown: Uint8Array[] = [];
  let start = 0;
  let end = n;
  let mm = m;
  let b = true;
  for (;;) {
    const size = end - start;
    if (mm === size) {
      if (!b) topDown.push(subtreeHash(src, start, end));
      break;
    }
    const k = splitPoint(size);
    if (mm <= k) {
      topDown.push(subtreeHash(src, start + k, end));
      end = start + k;
    } else {
      topDown.push(subtreeHash(src, start, start + k));
      start += k;
      mm -= k;
      b = false;
    }
  }
  return topDown.reverse();
}

// ---------------------------------------------------------------------------------------------
// Verification (pure)
// ---------------------------------------------------------------------------------------------

function checkHash(h: Uint8Array, what: string): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
    throw new FirewallError('MERKLE_PROOF_MALFORMED', `${what} must be ${HASH_SIZE} bytes`, { status: 400 });
  }
}

function fail(code: string, message: string): never {
  throw new FirewallError(code, message, { status: 422 });
}

const MAX_PROOF_LENGTH = 2 * 64;

/**
 * RFC 9162 §2.1.3.2: recompute the root from a leaf hash and its inclusion proof. Throws
 * MERKLE_INCLUSION_INVALID when the proof cannot be for (index, size).
 */
export function rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  if (!isUint(index) || !isUint(size)) fail('MERKLE_INCLUSION_INVALID', 'index and size must be non-negative safe integers');
  // 1. leaf_index must be below tree_size.
  if (index >= size) fail('MERKLE_INCLUSION_INVALID', `leaf index ${index} is not below tree size ${size}`);
  checkHash(leaf, 'leaf hash');
  if (proof.length > MAX_PROOF_LENGTH) fail('MERKLE_INCLUSION_INVALID', `proof has ${proof.length} hashes`);
  // 2-3.
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  // 4.
  for (const p of proof) {
    checkHash(p, 'proof hash');
    if (sn === 0) fail('MERKLE_INCLUSION_INVALID', 'proof is longer than the path to the root');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 5.
  if (sn !== 0) fail('MERKLE_INCLUSION_INVALID', 'proof is shorter than the path to the root');
  return r;
}

export function verifyInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash(root, 'root hash');
  const r = rootFromInclusionProof(index, size, leaf, proof);
  if (!hashEqual(r, root)) fail('MERKLE_INCLUSION_INVALID', `leaf ${index} is not included in the tree of size ${size} with this root`);
}

export function isValidInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  try {
    verifyInclusionProof(index, size, leaf, proof, root);
    return true;
  } catch {
    return false;
  }
}

/**
 * RFC 9162 §2.1.4.2: check that the tree of size `m` with root `firstRoot` is a prefix of the tree of
 * size `n` with root `secondRoot`. m == n requires an empty proof and equal roots; m == 0 requires an
 * empty proof and the empty root (every tree extends the empty tree).
 */
export function verifyConsistencyProof(
  m: number,
  n: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  if (!isUint(m) || !isUint(n)) fail('MERKLE_CONSISTENCY_INVALID', 'sizes must be non-negative safe integers');
  checkHash(firstRoot, 'first root hash');
  checkHash(secondRoot, 'second root hash');
  if (m > n) fail('MERKLE_CONSISTENCY_INVALID', `first size ${m} is larger than second size ${n}`);
  if (proof.length > MAX_PROOF_LENGTH) fail('MERKLE_CONSISTENCY_INVALID', `proof has ${proof.length} hashes`);
  for (const p of proof) checkHash(p, 'proof hash');
  if (m === 0) {
    if (proof.length !== 0) fail('MERKLE_CONSISTENCY_INVALID', 'proof from the empty tree must be empty');
    if (!hashEqual(firstRoot, EMPTY_ROOT)) fail('MERKLE_CONSISTENCY_INVALID', 'root of the empty tree is not SHA-256("")');
    return;
  }
  if (m === n) {
    if (proof.length !== 0) fail('MERKLE_CONSISTENCY_INVALID', 'proof between equal sizes must be empty');
    if (!hashEqual(firstRoot, secondRoot)) fail('MERKLE_CONSISTENCY_INVALID', `two different roots for tree size ${m}`);
    return;
  }
  // 1.
  if (proof.length === 0) fail('MERKLE_CONSISTENCY_INVALID', 'proof is empty');
  // 2.
  const path: Uint8Array[] = isPowerOfTwo(m) ? [firstRoot, ...proof] : [...proof];
  // 3.
  let fn = m - 1;
  let sn = n - 1;
  // 4.
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 5.
  let fr = path[0] as Uint8Array;
  let sr = path[0] as Uint8Array;
  // 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    if (sn === 0) fail('MERKLE_CONSISTENCY_INVALID', 'proof is longer than needed');
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 7.
  if (sn !== 0) fail('MERKLE_CONSISTENCY_INVALID', 'proof is shorter than needed');
  if (!hashEqual(fr, firstRoot)) fail('MERKLE_CONSISTENCY_INVALID', `proof does not reproduce the root of size ${m}`);
  if (!hashEqual(sr, secondRoot)) fail('MERKLE_CONSISTENCY_INVALID', `proof does not reproduce the root of size ${n}`);
}

export function isValidConsistencyProof(
  m: number,
  n: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  try {
    verifyConsistencyProof(m, n, firstRoot, secondRoot, proof);
    return true;
  } catch {
    return false;
  }
}
