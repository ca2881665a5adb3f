/**
 * Independent reference: RFC 9162 §2.1 definitions (MTH, PATH, PROOF/SUBPROOF) transcribed literally
 * and recursively over the list of entries. Shares no code with src/core/merkle. MTH results are
 * memoised per (start, end) so that exhaustive tests over many sizes stay fast.
 */
import { createHash } from 'node:crypto';

const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

export const refLeaf = (d: Uint8Array): Buffer => sha(Buffer.from([0]), d);
const refNode = (l: Uint8Array, r: Uint8Array): Buffer => sha(Buffer.from([1]), l, r);

/** Largest power of two smaller than n (n > 1). */
function k(n: number): number {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
}

export class ReferenceTree {
  readonly #d: readonly Uint8Array[];
  readonly #memo = new Map<string, Buffer>();

  constructor(entries: readonly Uint8Array[]) {
    this.#d = entries;
  }

  /** MTH(D[lo:hi]). */
  mth(lo: number, hi: number): Buffer {
    const key = `${lo}:${hi}`;
    const hit = this.#memo.get(key);
    if (hit) return hit;
    const n = hi - lo;
    let out: Buffer;
    if (n === 0) out = sha();
    else if (n === 1) out = refLeaf(this.#d[lo] as Uint8Array);
    else {
      const kk = k(n);
      out = refNode(this.mth(lo, lo + kk), this.mth(lo + kk, hi));
    }
    this.#memo.set(key, out);
    return out;
  }

  /** PATH(m, D[lo:hi]), m relative to lo. */
  path(m: number, lo: number, hi: number): Buffer[] {
    const n = hi - lo;
    if (n === 1) return [];
    const kk = k(n);
    if (m < kk) return [...this.path(m, lo, lo + kk), this.mth(lo + kk, hi)];
    return [...this.path(m - kk, lo + kk, hi), this.mth(lo, lo + kk)];
  }

  #subproof(m: number, lo: number, hi: number, b: boolean): Buffer[] {
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    const kk = k(n);
    if (m <= kk) return [...this.#subproof(m, lo, lo + kk, b), this.mth(lo + kk, hi)];
    return [...this.#subproof(m - kk, lo + kk, hi, false), this.mth(lo, lo + kk)];
  }

  /** PROOF(m, D[n]) for 0 < m <= n. */
  proof(m: number, n: number): Buffer[] {
    return this.#subproof(m, 0, n, true);
  }
}
