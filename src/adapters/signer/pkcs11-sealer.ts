/**
 * The Sealer (src/core/sealer.ts) on a PKCS#11 token: an AES-256 secret key labelled
 * `<labelPrefix>-seal` (CKK_AES, made on the token by CKM_AES_KEY_GEN on first use, CKA_SENSITIVE,
 * never CKA_EXTRACTABLE, encrypt/decrypt only), and CKM_AES_GCM with a 12-byte IV from
 * C_GenerateRandom and a 128-bit tag. Calls are synchronous on the signer's control session, so
 * they never share a session with another thread (pkcs11-signer.ts).
 */
import pkcs11js from 'pkcs11js';
import { FirewallError } from '../../core/errors.ts';
import { SEALED_FORMAT, frameSealed, unframeSealed, type Sealer } from '../../core/sealer.ts';

type Handle = Buffer;
type PKCS11 = InstanceType<typeof pkcs11js.PKCS11>;

export interface Pkcs11SealerDeps {
  p11: PKCS11;
  /** The signer's control session (throws SIGNER_UNAVAILABLE once closed). */
  session: () => Handle;
  label: string;
  /** The signer's PKCS#11 error mapping (SIGNER_UNAVAILABLE for a token that is gone). */
  mapError: (e: unknown, what: string) => FirewallError;
}

const bool = (b: Buffer | undefined): boolean => b !== undefined && b.length > 0 && b[0] !== 0;
/** A CK_ULONG attribute (8 bytes on 64-bit platforms, 4 on others), host byte order (little-endian here). */
const ulong = (b: Buffer | undefined): number | undefined => (b === undefined ? undefined : b.length === 8 ? Number(b.readBigUInt64LE(0)) : b.length === 4 ? b.readUInt32LE(0) : undefined);

export class Pkcs11Sealer implements Sealer {
  readonly #d: Pkcs11SealerDeps;
  #key: Handle | undefined;

  constructor(deps: Pkcs11SealerDeps) {
    this.#d = deps;
  }

  #find(s: Handle): Handle[] {
    const { p11, label } = this.#d;
    p11.C_FindObjectsInit(s, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    try {
      return p11.C_FindObjects(s, 2);
    } finally {
      p11.C_FindObjectsFinal(s);
    }
  }

  /** The seal key, made on the token the first time; refused unless it is sensitive and never extractable. */
  #resolve(): Handle {
    if (this.#key !== undefined) return this.#key;
    const { p11, label } = this.#d;
    const s = this.#d.session();
    let found = this.#find(s);
    if (found.length === 0) {
      p11.C_GenerateKey(s, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_ENCRYPT, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: true },
        // Sealing only: never a wrapping, signing or derivation key.
        { type: pkcs11js.CKA_WRAP, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
        { type: pkcs11js.CKA_SIGN, value: false },
        { type: pkcs11js.CKA_DERIVE, value: false },
      ]);
      found = this.#find(s);
    }
    if (found.length !== 1) throw new FirewallError('PKCS11_ERROR', `expected one secret key labelled "${label}", found ${found.length}`);
    const a = p11.C_GetAttributeValue(s, found[0]!, [{ type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_NEVER_EXTRACTABLE }, { type: pkcs11js.CKA_KEY_TYPE }]);
    const v = (i: number) => a[i]?.value as Buffer | undefined;
    if (!bool(v(0)) || bool(v(1)) || !bool(v(2))) throw new FirewallError('SIGNER_KEY_EXTRACTABLE', `secret key "${label}" on the token is not protected (sensitive, never extractable); refusing to seal with it`, { detail: { label } });
    if (ulong(v(3)) !== pkcs11js.CKK_AES) throw new FirewallError('SIGNER_KEY_MISMATCH', `secret key "${label}" is not an AES key`);
    this.#key = found[0]!;
    return this.#key;
  }

  #mechanism(iv: Buffer, aad: Uint8Array): pkcs11js.Mechanism {
    const parameter: pkcs11js.AesGCM = { type: pkcs11js.CK_PARAMS_AES_GCM, iv, aad: Buffer.from(aad), ivBits: SEALED_FORMAT.ivBytes * 8, tagBits: SEALED_FORMAT.tagBytes * 8 };
    return { mechanism: pkcs11js.CKM_AES_GCM, parameter };
  }

  async seal(plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    try {
      const { p11 } = this.#d;
      const key = this.#resolve();
      const s = this.#d.session();
      const iv = p11.C_GenerateRandom(s, Buffer.alloc(SEALED_FORMAT.ivBytes));
      p11.C_EncryptInit(s, this.#mechanism(iv, aad), key);
      const out = p11.C_Encrypt(s, Buffer.from(plaintext), Buffer.alloc(plaintext.length + SEALED_FORMAT.tagBytes));
      return frameSealed(iv, out);
    } catch (e) {
      this.#forgetOnLoss(e);
      throw this.#d.mapError(e, 'seal');
    }
  }

  async open(sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    const parts = unframeSealed(sealed);
    if (parts === undefined) throw new FirewallError('SEAL_INVALID', 'not a sealed blob');
    let key: Handle;
    let s: Handle;
    try {
      key = this.#resolve();
      s = this.#d.session();
    } catch (e) {
      this.#forgetOnLoss(e);
      throw this.#d.mapError(e, 'open');
    }
    const { p11 } = this.#d;
    try {
      p11.C_DecryptInit(s, this.#mechanism(Buffer.from(parts.iv), aad), key);
      const plain = p11.C_Decrypt(s, Buffer.from(parts.ciphertextAndTag), Buffer.alloc(parts.ciphertextAndTag.length));
      return new Uint8Array(plain);
    } catch (e) {
      const mapped = this.#d.mapError(e, 'open');
      if (mapped.code === 'SIGNER_UNAVAILABLE') {
        this.#key = undefined;
        throw mapped;
      }
      // The tag did not verify (another key, another AAD, a changed byte): the token says so as an error.
      throw new FirewallError('SEAL_INVALID', 'the sealed blob does not open under this key and AAD', { cause: mapped });
    }
  }

  /** A token that went away invalidates the key handle. */
  #forgetOnLoss(e: unknown): void {
    if (this.#d.mapError(e, 'seal').code === 'SIGNER_UNAVAILABLE') this.#key = undefined;
  }
}
