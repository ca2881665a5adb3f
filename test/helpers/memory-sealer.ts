import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { FirewallError } from '../../src/core/errors.ts';
import { SEALED_FORMAT, frameSealed, unframeSealed, type Sealer } from '../../src/core/sealer.ts';

/**
 * In-process Sealer for tests above the sealing seam (as MemorySigner is for signing): AES-256-GCM
 * with a key in this process, the same blob format as the HSM backends. Production seals in the
 * HSM (hsm-sim's encrypt/decrypt, CKM_AES_GCM); those are tested against the real devices.
 */
export class MemorySealer implements Sealer {
  readonly #key = randomBytes(32);
  healthy = true;

  #down(): void {
    if (!this.healthy) throw new FirewallError('SIGNER_UNAVAILABLE', 'sealer down (test)', { status: 503 });
  }

  async seal(plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    this.#down();
    const iv = randomBytes(SEALED_FORMAT.ivBytes);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(aad);
    return frameSealed(iv, Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
  }

  async open(sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    this.#down();
    const parts = unframeSealed(sealed);
    if (parts === undefined) throw new FirewallError('SEAL_INVALID', 'not a sealed blob');
    const body = parts.ciphertextAndTag;
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, parts.iv);
      d.setAAD(aad);
      d.setAuthTag(body.subarray(body.length - SEALED_FORMAT.tagBytes));
      return new Uint8Array(Buffer.concat([d.update(body.subarray(0, body.length - SEALED_FORMAT.tagBytes)), d.final()]));
    } catch (e) {
      throw new FirewallError('SEAL_INVALID', 'the sealed blob does not open under this key and AAD', { cause: e });
    }
  }
}
