/**
 * AES-256-GCM inside the device (mechanism `AES-GCM`): 12-byte IVs the device draws itself, so no
 * caller can make it reuse one; the output is ciphertext followed by the 16-byte tag, as
 * CKM_AES_GCM returns it. Decryption that does not authenticate (another key, another AAD, a
 * changed byte) yields nothing, never partial plaintext.
 */
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';

export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

export function gcmEncrypt(key: KeyObject, plaintext: Uint8Array, aad: Uint8Array): { iv: Buffer; data: Buffer } {
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const data = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { iv, data };
}

export function gcmDecrypt(key: KeyObject, iv: Uint8Array, data: Uint8Array, aad: Uint8Array): Buffer | undefined {
  if (iv.length !== GCM_IV_BYTES || data.length < GCM_TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - GCM_TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
