/** The EC keys the PKCS#11 signer makes and reads: Ed25519 and P-256 mechanisms, parameters and public points. */
import { createPublicKey } from 'node:crypto';
import { FirewallError } from '../../core/errors.ts';
import type { SigningAlgorithm } from '../../core/signer.ts';

// Vendor-neutral mechanisms and parameters pkcs11js does not export (PKCS#11 v3.0).
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_EDDSA = 0x1057;
export const CKK_EC_EDWARDS = 0x40;
/** DER of OID 1.3.101.112 (id-Ed25519), and PrintableString "edwards25519" for older tokens. */
export const ED25519_PARAMS_OID = Buffer.from('06032b6570', 'hex');
export const ED25519_PARAMS_NAME = Buffer.from('130c656477617264733235353139', 'hex');
/** DER of OID 1.2.840.10045.3.1.7 (P-256). */
export const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

/** A CK_BBOOL attribute value. */
export const bool = (b: Buffer | undefined): boolean => b !== undefined && b.length > 0 && b[0] !== 0;

function unwrapPoint(raw: Buffer, size: number): Buffer {
  // CKA_EC_POINT is a DER OCTET STRING per the spec; some tokens return the bare point.
  if (raw.length === size) return raw;
  if (raw.length === size + 2 && raw[0] === 0x04 && raw[1] === size) return raw.subarray(2);
  throw new FirewallError('PKCS11_ERROR', `unexpected CKA_EC_POINT of ${raw.length} bytes`);
}

export function jwkFromPoint(alg: SigningAlgorithm, ecPoint: Buffer): JsonWebKey {
  let jwk: JsonWebKey;
  if (alg === 'EdDSA') jwk = { kty: 'OKP', crv: 'Ed25519', x: unwrapPoint(ecPoint, 32).toString('base64url') };
  else {
    const p = unwrapPoint(ecPoint, 65);
    if (p[0] !== 0x04) throw new FirewallError('PKCS11_ERROR', 'P-256 public point is not uncompressed');
    jwk = { kty: 'EC', crv: 'P-256', x: p.subarray(1, 33).toString('base64url'), y: p.subarray(33).toString('base64url') };
  }
  createPublicKey({ key: jwk, format: 'jwk' }); // rejects a point not on the curve
  return jwk;
}
