/**
 * Key pairs generated inside the device, and the one signing path per mechanism:
 * EdDSA = Ed25519 over the message; ECDSA-SHA256 = ECDSA P-256 over SHA-256(message), returned as
 * raw r||s (IEEE P1363, the JOSE form), 64 bytes.
 */
import { createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm, SigningMechanism } from '../store/schema.ts';

export interface KeyPairObjects {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function generateKeyPair(algorithm: Exclude<KeyAlgorithm, 'AES-256'>): KeyPairObjects {
  return algorithm === 'Ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function signWith(mechanism: SigningMechanism, key: KeyObject, data: Uint8Array): Buffer {
  return mechanism === 'EdDSA' ? sign(null, data, key) : sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
}

export function verifyWith(mechanism: SigningMechanism, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return mechanism === 'EdDSA'
      ? verify(null, data, key, signature)
      : verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** Key id: first 16 bytes of SHA-256 over the SubjectPublicKeyInfo, hex. Stable and derivable by anyone. */
export function keyIdFor(spkiDer: Buffer): string {
  return createHash('sha256').update(spkiDer).digest('hex').slice(0, 32);
}
