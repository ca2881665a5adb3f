import { FirewallError } from './errors.ts';

/**
 * RFC 8785 (JCS) canonical JSON. Throws CANONICAL_JSON_INVALID on values JSON cannot carry: a
 * top-level undefined, functions, symbols, bigints, non-finite numbers, strings with lone
 * surrogates (I-JSON, RFC 7493) and cycles. Object members whose value is undefined are left out
 * and undefined array elements become null, as JSON.stringify does.
 *
 * Hand-written (README, design notes): JCS is ECMAScript's own JSON serialisation of strings and
 * numbers with object keys in UTF-16 code-unit order (ECMAScript's default sort), so the whole
 * algorithm is the walk below. The `canonicalize` package, the reference the tests compare this
 * with, allocated about 30 % of all memory on the LOW path and cost 9 % of its CPU (a fresh Set per
 * key, arrays of parts); it also writes invalid JSON for functions and array holes.
 * safe-stable-stringify is faster but orders typed arrays' keys numerically and lets NaN through
 * there.
 */
export function canonicalJson(value: unknown): string {
  try {
    return write(value, []);
  } catch (cause) {
    if (cause instanceof FirewallError) throw cause;
    // A getter or toJSON that threw, or a stack overflow on absurd depth.
    throw invalid('value has no canonical JSON form', cause);
  }
}

function invalid(message: string, cause?: unknown): FirewallError {
  return new FirewallError('CANONICAL_JSON_INVALID', message, { status: 400, ...(cause === undefined ? {} : { cause }) });
}

// Code units JSON escapes, and surrogates (checked for pairing): without any, a string is its own form.
// eslint-disable-next-line no-control-regex
const NEEDS_CARE = /[\u0000-\u001f"\\\ud800-\udfff]/;

function str(s: string): string {
  if (!NEEDS_CARE.test(s)) return `"${s}"`;
  if (!s.isWellFormed()) throw invalid('a string holds a lone surrogate');
  return JSON.stringify(s);
}

/**
 * Keys in UTF-16 code-unit order (RFC 8785 §3.2.3), which is what `<` on strings compares. Few keys
 * (every object here has a handful) are sorted in place by insertion: Array#sort allocates a work
 * area on every call, and this runs for every object of every log entry.
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 32) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i;
    while (j > 0 && keys[j - 1]! > k) {
      keys[j] = keys[j - 1]!;
      j--;
    }
    keys[j] = k;
  }
  return keys;
}

/**
 * Nesting deeper than this is refused: no record here comes near it, and it bounds both the stack
 * and the cycle check below (quadratic in the depth) on attacker-supplied parameters.
 */
const MAX_DEPTH = 1000;

/** `ancestors`: the objects being written around this one (a cycle would never end). */
function write(v: unknown, ancestors: object[]): string {
  switch (typeof v) {
    case 'string':
      return str(v);
    case 'number':
      if (!Number.isFinite(v)) throw invalid(`${v} has no JSON form`);
      // ECMAScript Number::toString is JCS's number form (RFC 8785 §3.2.2.3), -0 included ("0").
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (ancestors.length >= MAX_DEPTH) throw invalid(`nested deeper than ${MAX_DEPTH} levels`);
      if (ancestors.includes(v)) throw invalid('circular reference');
      ancestors.push(v);
      let out: string;
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') out = write(toJSON.call(v), ancestors);
      else if (Array.isArray(v)) {
        out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ',';
          const x: unknown = v[i];
          out += x === undefined ? 'null' : write(x, ancestors);
        }
        out += ']';
      } else {
        const keys = sortKeys(Object.keys(v));
        out = '{';
        let first = true;
        for (const k of keys) {
          const x: unknown = (v as Record<string, unknown>)[k];
          if (x === undefined) continue;
          out += (first ? '' : ',') + str(k) + ':' + write(x, ancestors);
          first = false;
        }
        out += '}';
      }
      ancestors.pop();
      return out;
    }
    default:
      throw invalid(`a value of type ${typeof v} has no JSON form`);
  }
}
