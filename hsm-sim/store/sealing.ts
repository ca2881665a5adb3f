/**
 * Key hierarchy under the operator's master secret. scrypt stretches the secret (it may be a
 * passphrase), HKDF then separates one key per use so a MAC key can never double as a sealing key.
 * Private keys are sealed with AES-256-GCM; the AAD binds each ciphertext to the key's identity and
 * attributes, so moving a sealed blob onto another record fails authentication.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { constantTimeEqual } from '../../src/core/constant-time.ts';

export interface DeviceKeys {
  seal: Buffer;
  storeMac: Buffer;
  anchorMac: Buffer;
  check: Buffer;
}

export interface Sealed {
  nonce: string;
  ciphertext: string;
  tag: string;
}

const SCRYPT = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
export const MIN_MASTER_SECRET_BYTES = 32;

export function deriveDeviceKeys(masterSecret: Buffer, salt: Buffer): DeviceKeys {
  const root = scryptSync(masterSecret, salt, 32, SCRYPT);
  const sub = (info: string): Buffer => Buffer.from(hkdfSync('sha256', root, salt, `analog-firewall/hsm-sim/v1/${info}`, 32));
  const keys = { seal: sub('seal'), storeMac: sub('store-mac'), anchorMac: sub('anchor-mac'), check: sub('check') };
  root.fill(0);
  return keys;
}

/** A value that proves which master secret a store was made with, without revealing it. */
export function secretCheck(keys: DeviceKeys): string {
  return mac(keys.check, 'master-secret-check');
}

export function secretMatches(keys: DeviceKeys, check: string): boolean {
  return constantTimeEqual(secretCheck(keys), check);
}

export function mac(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

export function macMatches(key: Buffer, data: string, expected: string): boolean {
  return constantTimeEqual(mac(key, data), expected);
}

export function seal(key: Buffer, plaintext: Buffer, aad: string): Sealed {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce: nonce.toString('base64'), ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/** Returns undefined when authentication fails (wrong key, edited blob, or blob moved to another record). */
export function unseal(key: Buffer, sealed: Sealed, aad: string): Buffer | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.nonce, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
  } catch {
    return undefined;
  }
}

export function newSalt(): Buffer {
  return randomBytes(32);
}
