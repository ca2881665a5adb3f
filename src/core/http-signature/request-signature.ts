import { createHash, createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { FirewallError } from '../errors.ts';
import { parseDictionary, serializeInnerList, type InnerList } from './structured-fields.ts';

/**
 * HTTP Message Signatures (RFC 9421) as the gateway accepts them on a session (docs/api.md
 * §Session-signed requests): one signature, `hmac-sha256`, over exactly these components, with
 * `created`, `keyid` (the session id) and `nonce`. Pure: the caller supplies the clock and the key.
 *
 * Codes (all 401): SIGNATURE_INPUT_INVALID, SIGNATURE_COMPONENTS_INVALID, SIGNATURE_COMPONENT_MISSING,
 * SIGNATURE_STALE, SIGNATURE_INVALID, CONTENT_DIGEST_INVALID, CONTENT_DIGEST_MISMATCH.
 */
export const REQUIRED_COMPONENTS = ['@method', '@target-uri', 'content-digest', 'idempotency-key'] as const;
export const SIGNATURE_ALGORITHM = 'hmac-sha256';
const ALLOWED_PARAMS = new Set(['created', 'keyid', 'nonce', 'alg', 'expires']);
const NONCE = /^[A-Za-z0-9_\-+/=.~]{16,128}$/;
const KEYID = /^[A-Za-z0-9_\-]{8,128}$/;

export interface SignedRequest {
  method: string;
  /** The full target URI as the client addressed it: the gateway's public origin and the request target. */
  targetUri: string;
  signatureInput: string | undefined;
  signature: string | undefined;
  contentDigest: string | undefined;
  idempotencyKey: string | undefined;
}

export interface RequestSignature {
  keyid: string;
  nonce: string;
  /** Seconds since the epoch. */
  created: number;
  /** RFC 9421 §2.5 signature base: what the HMAC covers. */
  base: string;
  signature: Buffer;
  /** The SHA-256 the Content-Digest header states; the body must hash to it. */
  contentSha256: Buffer;
}

function fail(code: string, message: string): FirewallError {
  return new FirewallError(code, message, { status: 401 });
}

/** The `sha-256` member of an RFC 9530 Content-Digest field. */
export function parseContentDigest(value: string | undefined): Buffer {
  if (value === undefined) throw fail('SIGNATURE_COMPONENT_MISSING', 'the signed request has no Content-Digest header');
  let dict;
  try {
    dict = parseDictionary(value, 'Content-Digest');
  } catch (cause) {
    throw new FirewallError('CONTENT_DIGEST_INVALID', 'Content-Digest is not an RFC 9530 dictionary of byte sequences', { status: 401, cause });
  }
  const d = dict.get('sha-256');
  if (!(d instanceof Uint8Array) || d.length !== 32) throw fail('CONTENT_DIGEST_INVALID', 'Content-Digest has no 32-byte sha-256 member');
  return Buffer.from(d);
}

/** The RFC 9530 Content-Digest field value for a body (sha-256 only). */
export function contentDigestOf(body: Uint8Array): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

/** Whether the body hashes to the stated digest. Not secret, but compared without early exit anyway. */
export function bodyMatchesDigest(expected: Buffer, body: Uint8Array): boolean {
  return timingSafeEqual(expected, createHash('sha256').update(body).digest());
}

/** RFC 9421 §2.5: one line per covered component, then `@signature-params`, joined by LF, no final LF. */
export function signatureBase(values: readonly (readonly [string, string])[], params: InnerList): string {
  let base = '';
  for (const [name, value] of values) base += `"${name}": ${value}\n`;
  return `${base}"@signature-params": ${serializeInnerList(params)}`;
}

function componentValue(name: string, r: SignedRequest): string {
  switch (name) {
    case '@method':
      return r.method.toUpperCase();
    case '@target-uri':
      return r.targetUri;
    case 'content-digest':
      if (r.contentDigest === undefined) throw fail('SIGNATURE_COMPONENT_MISSING', 'the signed request has no Content-Digest header');
      return r.contentDigest.trim();
    default:
      if (r.idempotencyKey === undefined) throw fail('SIGNATURE_COMPONENT_MISSING', 'the signed request has no Idempotency-Key header');
      return r.idempotencyKey.trim();
  }
}

/**
 * Parses and checks everything about a signed request that needs no key: the single signature's
 * form, its components, algorithm, parameters and freshness. Returns what the key check needs.
 */
export function readRequestSignature(r: SignedRequest, o: { nowMs: number; windowSec: number }): RequestSignature {
  if (r.signatureInput === undefined || r.signature === undefined) throw fail('SIGNATURE_INPUT_INVALID', 'a signed request needs both Signature-Input and Signature');
  const inputs = parseDictionary(r.signatureInput, 'Signature-Input');
  const sigs = parseDictionary(r.signature, 'Signature');
  if (inputs.size !== 1 || sigs.size !== 1) throw fail('SIGNATURE_INPUT_INVALID', 'exactly one signature is accepted per request');
  const [label, input] = [...inputs][0]!;
  const sig = sigs.get(label);
  if (input instanceof Uint8Array || !(sig instanceof Uint8Array)) throw fail('SIGNATURE_INPUT_INVALID', `Signature-Input and Signature must both name the signature "${label}"`);
  const covered = new Set(input.items);
  if (covered.size !== input.items.length || covered.size !== REQUIRED_COMPONENTS.length || !REQUIRED_COMPONENTS.every((c) => covered.has(c))) {
    throw fail('SIGNATURE_COMPONENTS_INVALID', `the signature must cover exactly ${REQUIRED_COMPONENTS.map((c) => `"${c}"`).join(' ')}`);
  }
  const p = new Map(input.params);
  for (const k of p.keys()) if (!ALLOWED_PARAMS.has(k)) throw fail('SIGNATURE_INPUT_INVALID', `signature parameter "${k}" is not accepted`);
  const alg = p.get('alg');
  if (alg !== undefined && alg !== SIGNATURE_ALGORITHM) throw fail('SIGNATURE_INPUT_INVALID', `alg must be "${SIGNATURE_ALGORITHM}"`);
  const created = p.get('created');
  const keyid = p.get('keyid');
  const nonce = p.get('nonce');
  const expires = p.get('expires');
  if (typeof created !== 'number' || created < 0) throw fail('SIGNATURE_INPUT_INVALID', 'created must be an integer (seconds since the epoch)');
  if (typeof keyid !== 'string' || !KEYID.test(keyid)) throw fail('SIGNATURE_INPUT_INVALID', 'keyid must be the session id, as a string');
  if (typeof nonce !== 'string' || !NONCE.test(nonce)) throw fail('SIGNATURE_INPUT_INVALID', 'nonce must be a string of 16 to 128 URL-safe characters');
  if (expires !== undefined && typeof expires !== 'number') throw fail('SIGNATURE_INPUT_INVALID', 'expires must be an integer');
  const nowSec = o.nowMs / 1000;
  if (Math.abs(nowSec - created) > o.windowSec) throw fail('SIGNATURE_STALE', `created is more than ${o.windowSec} s from the gateway's clock`);
  if (typeof expires === 'number' && expires < nowSec) throw fail('SIGNATURE_STALE', 'the signature has expired');
  if (sig.length !== 32) throw fail('SIGNATURE_INVALID', 'an hmac-sha256 signature is 32 bytes');
  const values = input.items.map((name) => [name, componentValue(name, r)] as const);
  return { keyid, nonce, created, base: signatureBase(values, input), signature: Buffer.from(sig), contentSha256: parseContentDigest(r.contentDigest) };
}

/** A KeyObject for a key used many times: createHmac imports a raw key on every call (about 4x the HMAC itself). */
export function hmacSha256(key: Uint8Array | KeyObject, base: string): Buffer {
  return createHmac('sha256', key).update(base).digest();
}

/** Constant-time check of the HMAC over the signature base. */
export function signatureVerifies(key: Uint8Array | KeyObject, s: RequestSignature): boolean {
  return timingSafeEqual(hmacSha256(key, s.base), s.signature);
}
