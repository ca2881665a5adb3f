/**
 * Synchronous verification of a compact JWS (RFC 7515 §7.1) against a JWK Set, with @noble/curves
 * (pure JavaScript: the same rule runs in Node and in the regulator console's browser page):
 * EdDSA (Ed25519) and ES256 (P-256, JOSE r||s signatures) only, an expected `typ`, a `kid` that
 * names exactly one matching key, no `crit`. Everything is attacker input and parsed strictly.
 */
import { Buffer } from 'buffer';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { decodeBase64Url } from '../../../src/core/checkpoint/base64.ts';
import { isObj, shown, type Obj } from './fields.ts';

const B64URL = /^[A-Za-z0-9_-]*$/;
const MAX_JWS = 16 * 1024;

export class JwsError extends Error {}

function part(s: string, what: string): Buffer {
  const out = B64URL.test(s) ? decodeBase64Url(s) : null;
  if (out === null) throw new JwsError(`${what} is not base64url`);
  return out;
}

function json(buf: Buffer, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf));
  } catch {
    throw new JwsError(`${what} is not UTF-8 JSON`);
  }
}

interface PublicKey {
  alg: 'EdDSA' | 'ES256';
  /** Ed25519: 32 raw bytes; P-256: the uncompressed SEC 1 point (0x04 || x || y). */
  raw: Uint8Array;
}

function coordinate(v: unknown): Buffer | null {
  const b = typeof v === 'string' ? decodeBase64Url(v) : null;
  return b !== null && b.length === 32 ? b : null;
}

function publicKeyOf(jwk: Obj, alg: 'EdDSA' | 'ES256'): PublicKey {
  const unusable = (): never => {
    throw new JwsError(`key ${shown(jwk['kid'])} is not a usable public JWK`);
  };
  const x = coordinate(jwk['x']);
  let key: PublicKey;
  if (jwk['kty'] === 'OKP' && jwk['crv'] === 'Ed25519') {
    if (!x || jwk['y'] !== undefined) unusable();
    key = { alg: 'EdDSA', raw: x as Buffer };
    try {
      ed25519.Point.fromBytes(key.raw);
    } catch {
      unusable();
    }
  } else if (jwk['kty'] === 'EC' && jwk['crv'] === 'P-256') {
    const y = coordinate(jwk['y']);
    if (!x || !y) unusable();
    key = { alg: 'ES256', raw: Buffer.concat([Buffer.from([0x04]), x as Buffer, y as Buffer]) };
    try {
      p256.Point.fromBytes(key.raw).assertValidity();
    } catch {
      unusable();
    }
  } else {
    return unusable();
  }
  if (key.alg !== alg) throw new JwsError(`key ${shown(jwk['kid'])} does not fit alg ${alg}`);
  return key;
}

/** RFC 8032 strictly (no ZIP-215 leniency) and ES256 with JOSE r||s, high S accepted, as OpenSSL does. */
function verifySignature(key: PublicKey, input: Uint8Array, sig: Uint8Array): boolean {
  try {
    return key.alg === 'EdDSA'
      ? ed25519.verify(sig, input, key.raw, { zip215: false })
      : p256.verify(sig, input, key.raw, { prehash: true, lowS: false, format: 'compact' });
  } catch {
    return false;
  }
}

export interface VerifiedJws {
  header: Obj;
  payload: unknown;
}

/**
 * @param purpose when given, keys whose `af:purpose` is present and different are not considered.
 */
export function verifyCompactJws(jws: string, keys: readonly unknown[], expect: { typ: string; purpose?: string }): VerifiedJws {
  if (jws.length > MAX_JWS) throw new JwsError('is longer than 16 KiB');
  const parts = jws.split('.');
  if (parts.length !== 3) throw new JwsError('is not a compact JWS (three dot-separated parts)');
  const [h, p, s] = parts as [string, string, string];
  const header = json(part(h, 'protected header'), 'protected header');
  if (!isObj(header)) throw new JwsError('protected header is not an object');
  const alg = header['alg'];
  if (alg !== 'EdDSA' && alg !== 'ES256') throw new JwsError(`alg ${JSON.stringify(alg)} is not EdDSA or ES256`);
  if (header['typ'] !== expect.typ) throw new JwsError(`typ ${JSON.stringify(header['typ'])} is not ${expect.typ}`);
  if (header['crit'] !== undefined) throw new JwsError('has a crit header');
  const kid = header['kid'];
  if (typeof kid !== 'string' || kid.length === 0) throw new JwsError('names no kid');
  const candidates = keys.filter(
    (k): k is Obj =>
      isObj(k) && k['kid'] === kid && (expect.purpose === undefined || k['af:purpose'] === undefined || k['af:purpose'] === expect.purpose) && (k['alg'] === undefined || k['alg'] === alg),
  );
  if (candidates.length === 0) throw new JwsError(`no ${expect.purpose ?? ''} key '${kid}' (${alg}) in the bundle's JWKS`);
  if (candidates.length > 1) throw new JwsError(`the bundle's JWKS has ${candidates.length} keys '${kid}'`);
  const key = publicKeyOf(candidates[0]!, alg);
  const sig = part(s, 'signature');
  if (sig.length !== 64) throw new JwsError(`${alg} signature is ${sig.length} bytes, not 64`);
  const input = Buffer.from(`${h}.${p}`, 'ascii');
  if (!verifySignature(key, input, sig)) throw new JwsError(`signature does not verify with key '${kid}'`);
  return { header, payload: json(part(p, 'payload'), 'payload') };
}
