/**
 * Signed-note verifier keys (golang.org/x/mod/sumdb/note, C2SP signed-note):
 *
 *   key ID       = SHA-256(name || 0x0A || type || public key)[:4]   (big-endian uint32)
 *   verifier key = <name>+<8 lowercase hex key ID>+<base64(type || public key)>
 *
 * Type 0x01 is an Ed25519 note signature; 0x04 an Ed25519 timestamped witness cosignature
 * (C2SP tlog-cosignature).
 */
import { Buffer } from 'buffer';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '#sha256';
import { FirewallError } from '../errors.ts';
import { decodeBase64Strict, decodeBase64Url, encodeBase64 } from './base64.ts';

export const SIG_TYPE_ED25519 = 0x01;
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;

const NAME_FORBIDDEN = /[\p{Z}\t\n\v\f\r\u0085+]/u;

/** Key names are non-empty and contain no Unicode spaces and no '+'. */
export function isValidKeyName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.length <= 1024 && !NAME_FORBIDDEN.test(name) && name.isWellFormed();
}

export function keyId(name: string, type: number, publicKey: Uint8Array): number {
  if (!isValidKeyName(name)) throw new FirewallError('VKEY_INVALID', 'key name must be non-empty without spaces or +', { status: 400 });
  const h = sha256(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([0x0a, type]), publicKey]));
  return new DataView(h.buffer, h.byteOffset, 4).getUint32(0);
}

export function keyIdHex(id: number): string {
  return id.toString(16).padStart(8, '0');
}

export function encodeVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  const id = keyId(name, type, publicKey);
  return `${name}+${keyIdHex(id)}+${encodeBase64(Buffer.concat([Buffer.from([type]), publicKey]))}`;
}

export interface VerifierKey {
  name: string;
  keyId: number;
  type: number;
  /** Raw public key (32 bytes for Ed25519 types). */
  publicKey: Buffer;
}

const HEX8 = /^[0-9a-f]{8}$/;

/** Parse `<name>+<hex id>+<base64>`; checks the id against the key and the key length for known types. */
export function parseVerifierKey(vkey: unknown): VerifierKey {
  if (typeof vkey !== 'string' || vkey.length > 4096) throw new FirewallError('VKEY_INVALID', 'verifier key must be a string', { status: 400 });
  // Names and hex ids contain no '+'; the base64 key material may.
  const p1 = vkey.indexOf('+');
  const p2 = p1 < 0 ? -1 : vkey.indexOf('+', p1 + 1);
  if (p1 < 0 || p2 < 0) throw new FirewallError('VKEY_INVALID', 'verifier key must be <name>+<hex key id>+<base64 key>', { status: 400 });
  const name = vkey.slice(0, p1);
  const idHex = vkey.slice(p1 + 1, p2);
  const b64 = vkey.slice(p2 + 1);
  if (!isValidKeyName(name)) throw new FirewallError('VKEY_INVALID', 'verifier key name is empty or contains spaces', { status: 400 });
  if (!HEX8.test(idHex)) throw new FirewallError('VKEY_INVALID', 'verifier key id must be 8 lowercase hex digits', { status: 400 });
  const raw = decodeBase64Strict(b64, 'verifier key material', 'VKEY_INVALID');
  if (raw.length < 2) throw new FirewallError('VKEY_INVALID', 'verifier key material is empty', { status: 400 });
  const type = raw[0] as number;
  const publicKey = raw.subarray(1);
  if ((type === SIG_TYPE_ED25519 || type === SIG_TYPE_COSIGNATURE_V1) && publicKey.length !== 32) {
    throw new FirewallError('VKEY_INVALID', `Ed25519 verifier key must carry 32 bytes, got ${publicKey.length}`, { status: 400 });
  }
  const id = keyId(name, type, publicKey);
  if (keyIdHex(id) !== idHex) throw new FirewallError('VKEY_INVALID', 'verifier key id does not match name and key', { status: 400 });
  return { name, keyId: id, type, publicKey: Buffer.from(publicKey) };
}

/** A checked 32-byte Ed25519 public key (raw, RFC 8032 §5.1.5 encoding). */
export type Ed25519PublicKey = Uint8Array;

export function ed25519PublicKey(raw: Uint8Array): Ed25519PublicKey {
  if (raw.length !== 32) throw new FirewallError('VKEY_INVALID', 'Ed25519 public key must be 32 bytes', { status: 400 });
  try {
    ed25519.Point.fromBytes(raw);
  } catch (cause) {
    throw new FirewallError('VKEY_INVALID', 'Ed25519 public key is not a point on the curve', { status: 400, cause });
  }
  return Uint8Array.from(raw);
}

/** Raw 32-byte Ed25519 public key from a JWK (kty OKP, crv Ed25519). */
export function ed25519RawFromJwk(jwk: JsonWebKey): Buffer {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new FirewallError('VKEY_INVALID', 'expected an Ed25519 OKP JWK', { status: 400 });
  }
  const raw = decodeBase64Url(jwk.x);
  if (raw === null || raw.length !== 32) throw new FirewallError('VKEY_INVALID', 'JWK x is not a 32-byte base64url key', { status: 400 });
  return raw;
}

/**
 * RFC 8032 verification (@noble/curves, pure JavaScript so the same code runs in a browser), strict
 * as OpenSSL is: `zip215: false` rejects non-canonical encodings that ZIP-215 would accept.
 */
export function ed25519Verify(key: Ed25519PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, message, key, { zip215: false });
  } catch {
    return false;
  }
}
