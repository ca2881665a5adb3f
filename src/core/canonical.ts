import { createHash } from 'node:crypto';
import canonicalizeImport from 'canonicalize';
import { FirewallError } from './errors.ts';

// canonicalize ships CJS typings; normalise the default export.
const canonicalizeFn = canonicalizeImport as unknown as (v: unknown) => string | undefined;

/** RFC 8785 (JCS) canonical JSON. Throws on values JSON cannot carry (undefined, functions, non-finite numbers). */
export function canonicalJson(value: unknown): string {
  const out = canonicalizeFn(value);
  if (out === undefined) throw new FirewallError('CANONICAL_JSON_INVALID', 'value has no canonical JSON form', { status: 400 });
  return out;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** SHA-256 over the RFC 8785 form: the digest every signature, receipt and log entry binds to. */
export function canonicalDigest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
