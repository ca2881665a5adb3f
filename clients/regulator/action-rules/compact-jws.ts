/**
 * Synchronous verification of a compact JWS (RFC 7515 §7.1) against a JWK Set, with node:crypto:
 * EdDSA (Ed25519) and ES256 (P-256, JOSE r||s signatures) only, an expected `typ`, a `kid` that
 * names exactly one matching key, no `crit`. Everything is attacker input and parsed strictly.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { isObj, type Obj } from './fields.ts';

const B64URL = /^[A-Za-z0-9_-]*$/;
const MAX_JWS = 16 * 1024;

export class JwsError extends Error {}

function part(s: string, what: string): Buffer {
  if (!B64URL.test(s) || s.length % 4 === 1) throw new JwsError(`${what} is not base64url`);
  return Buffer.from(s, 'base64url');
}

function json(buf: Buffer, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf));
  } catch {
    throw new JwsError(`${what} is not UTF-8 JSON`);
  }
}

function publicKeyOf(jwk: Obj, alg: string): KeyObject {
  const pub: Record<string, unknown> = { kty: jwk['kty'], crv: jwk['crv'], x: jwk['x'] };
  if (jwk['y'] !== undefined) pub['y'] = jwk['y'];
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pub as JsonWebKey, format: 'jwk' });
  } catch {
    throw new JwsError(`key '${String(jwk['kid'])}' is not a usable public JWK`);
  }
  const ok = alg === 'EdDSA' ? key.asymmetricKeyType === 'ed25519' : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (!ok) throw new JwsError(`key '${String(jwk['kid'])}' does not fit alg ${alg}`);
  return key;
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
  const ok = alg === 'EdDSA' ? verify(null, input, key, sig) : verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, sig);
  if (!ok) throw new JwsError(`signature does not verify with key '${kid}'`);
  return { header, payload: json(part(p, 'payload'), 'payload') };
}
