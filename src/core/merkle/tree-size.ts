/**
 * Defensive parsing of tree sizes and leaf indexes arriving as text (checkpoints, URLs, query strings)
 * or as JSON numbers (bundles).
 *
 * On the wire a tree size is a uint64 bounded by 2^63 - 1 (tlog-checkpoint, tlog-cosignature), written
 * in ASCII decimal with no sign and no leading zeros (`0` itself is allowed). In memory this code
 * works with JavaScript numbers, so a value that parses but exceeds Number.MAX_SAFE_INTEGER is rejected
 * with its own code: it is well-formed, just larger than any tree this implementation can hold.
 */
import { FirewallError } from '../errors.ts';

export const MAX_UINT63 = (1n << 63n) - 1n;

/** The largest tree this implementation stores: node ids pack (level, index) into a safe integer. */
export const MAX_LOG_SIZE = 2 ** 47;

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** Parse a canonical ASCII decimal in [0, 2^63 - 1]. */
export function parseUint63(text: unknown, what = 'value'): bigint {
  if (typeof text !== 'string') {
    throw new FirewallError('MERKLE_BAD_NUMBER', `${what} must be a decimal string`, { status: 400 });
  }
  if (text.length === 0 || text.length > 19 || !DECIMAL.test(text)) {
    throw new FirewallError(
      'MERKLE_BAD_NUMBER',
      `${what} must be an unsigned decimal integer without sign, spaces or leading zeros (got ${JSON.stringify(text.slice(0, 32))})`,
      { status: 400 },
    );
  }
  const v = BigInt(text);
  if (v > MAX_UINT63) {
    throw new FirewallError('MERKLE_BAD_NUMBER', `${what} exceeds 2^63-1`, { status: 400 });
  }
  return v;
}

/** Parse a canonical decimal tree size or index and return it as a safe integer. */
export function parseSafeUint(text: unknown, what = 'value'): number {
  const v = parseUint63(text, what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FirewallError('MERKLE_NUMBER_UNSUPPORTED', `${what} ${v} is larger than this implementation supports (2^53-1)`, {
      status: 400,
    });
  }
  return Number(v);
}

/** True for a JSON/JS number usable as a tree size or index. */
export function isUint(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

export function assertUint(n: unknown, what = 'value'): asserts n is number {
  if (!isUint(n)) {
    throw new FirewallError('MERKLE_BAD_NUMBER', `${what} must be a non-negative safe integer`, { status: 400 });
  }
}

/** 2^k for the largest k with 2^k < n (RFC 9162's split point). Requires n >= 2. */
export function splitPoint(n: number): number {
  let k = 2 ** Math.floor(Math.log2(n));
  // Math.log2 is not guaranteed exact near powers of two for large n; correct either way.
  while (k >= n) k /= 2;
  while (k * 2 < n) k *= 2;
  return k;
}

/** True when n is a positive power of two. */
export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  const k = 2 ** Math.round(Math.log2(n));
  return k === n;
}

/** floor(log2(n)) for a power of two n. */
export function log2Exact(n: number): number {
  return Math.round(Math.log2(n));
}

/** Number of set bits of a safe non-negative integer. */
export function popcount(n: number): number {
  let c = 0;
  while (n > 0) {
    c += n % 2;
    n = Math.floor(n / 2);
  }
  return c;
}
