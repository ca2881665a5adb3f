/**
 * RFC 9162 §2.1.1 hashing with SHA-256:
 *   leaf  = SHA-256(0x00 || entry)
 *   node  = SHA-256(0x01 || left || right)
 *   empty = SHA-256("")
 */
// Buffer from 'buffer': Node's own, or the npm package in a browser bundle.
import { Buffer } from 'buffer';
import { sha256 } from '#sha256';

export const HASH_SIZE = 32;

function digest(data: Uint8Array): Buffer {
  const h = sha256(data);
  return Buffer.isBuffer(h) ? h : Buffer.from(h.buffer, h.byteOffset, h.length);
}

export const EMPTY_ROOT: Buffer = digest(new Uint8Array(0));

// Reused for leaf inputs: the log and the verifier hash millions of entries, and a fresh buffer per
// entry was a measurable share of their time and GC. Entries over 64 KiB get their own buffer, so
// one huge (hostile) entry cannot pin memory here.
const LEAF_SCRATCH_BYTES = 64 * 1024;
const leafScratch = Buffer.allocUnsafe(LEAF_SCRATCH_BYTES);

/** Leaf hash of an entry. A string is hashed as its UTF-8 bytes. */
export function leafHash(entry: Uint8Array | string): Buffer {
  if (typeof entry === 'string') {
    // A UTF-16 code unit is at most 3 bytes of UTF-8: a string that surely fits is written without counting first.
    const len = entry.length * 3 < LEAF_SCRATCH_BYTES ? -1 : Buffer.byteLength(entry, 'utf8');
    const buf = len < LEAF_SCRATCH_BYTES ? leafScratch : Buffer.allocUnsafe(1 + len);
    buf[0] = 0x00;
    const written = buf.write(entry, 1, 'utf8');
    return digest(buf.subarray(0, 1 + written));
  }
  const buf = Buffer.allocUnsafe(1 + entry.length);
  buf[0] = 0x00;
  buf.set(entry, 1);
  return digest(buf);
}

const nodeScratch = Buffer.allocUnsafe(1 + 2 * HASH_SIZE);

/** Interior node hash. Both inputs must be 32 bytes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new RangeError(`node hash inputs must be ${HASH_SIZE} bytes (got ${left.length} and ${right.length})`);
  }
  nodeScratch[0] = 0x01;
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_SIZE);
  return digest(nodeScratch);
}

/** Byte equality for public values (hashes). Not for secrets: use constantTimeEqual. */
export function hashEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
