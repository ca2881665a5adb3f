/**
 * The narrow sealing seam, beside the Signer (src/core/signer.ts) and kept apart from it: secrets
 * the gateway must store but never hold in clear at rest (a signature challenge's nonce) are
 * encrypted by a key that lives in the HSM and never leaves it. AES-256-GCM: hsm-sim's `encrypt`
 * / `decrypt` (docs/hsm.md), CKM_AES_GCM on a PKCS#11 token.
 *
 * `aad` is authenticated, not encrypted: callers bind a sealed value to where it belongs (the
 * challenge id), so a blob copied into another row does not open. A blob whose ciphertext, tag,
 * IV or AAD was changed, or that another key sealed, does not open either (SEAL_INVALID).
 *
 * Errors (FirewallError codes): SEAL_INVALID (the blob does not open: tampered, moved, wrong key,
 * malformed), SIGNER_UNAVAILABLE (503: the device does not answer), and the backend's own
 * configuration codes.
 */
export interface Sealer {
  /** An opaque blob (see SEALED_FORMAT) that only this HSM key opens, with the same `aad`. */
  seal(plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** The plaintext of a blob `seal` made with the same `aad`; throws SEAL_INVALID otherwise. */
  open(sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
}

/**
 * The blob every backend produces: version byte 0x01, the 12-byte GCM IV, then the ciphertext
 * followed by its 16-byte tag (the layout CKM_AES_GCM outputs).
 */
export const SEALED_FORMAT = { version: 1, ivBytes: 12, tagBytes: 16 } as const;

/** Frames an IV and ciphertext||tag as the sealed blob. */
export function frameSealed(iv: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + iv.length + ciphertextAndTag.length);
  out[0] = SEALED_FORMAT.version;
  out.set(iv, 1);
  out.set(ciphertextAndTag, 1 + iv.length);
  return out;
}

/** The IV and ciphertext||tag of a sealed blob, or undefined when it is not one. */
export function unframeSealed(blob: Uint8Array): { iv: Uint8Array; ciphertextAndTag: Uint8Array } | undefined {
  const { version, ivBytes, tagBytes } = SEALED_FORMAT;
  if (blob.length < 1 + ivBytes + tagBytes || blob[0] !== version) return undefined;
  return { iv: blob.subarray(1, 1 + ivBytes), ciphertextAndTag: blob.subarray(1 + ivBytes) };
}
