/**
 * The Sealer (src/core/sealer.ts) on hsm-sim: an AES-256 key labelled `<labelPrefix>-seal`, made in
 * the device on first use (by whichever replica comes first) and never extractable; `encrypt` /
 * `decrypt` with AES-GCM there (docs/hsm.md). It rides on the signer's logged-in connection
 * (HsmSimSigner.sealer()), so it reconnects and fails (SIGNER_UNAVAILABLE) exactly as signing does.
 */
import { FirewallError, isFirewallError } from '../../core/errors.ts';
import { frameSealed, unframeSealed, type Sealer } from '../../core/sealer.ts';

type Call = <T>(op: string, fields?: Record<string, unknown>) => Promise<T>;
type KeyRef = { label: string; id: string };

export class HsmSimSealer implements Sealer {
  readonly #call: Call;
  readonly #label: string;
  #key: Promise<KeyRef> | undefined;

  constructor(call: Call, label: string) {
    this.#call = call;
    this.#label = label;
  }

  /** The seal key, made on first use; a failed look-up is not remembered. */
  #resolve(): Promise<KeyRef> {
    this.#key ??= (async () => {
      const label = this.#label;
      type Info = KeyRef & { algorithm: string; purposes: string[] };
      const k = await this.#call<Info>('getPublicKey', { key: { label } }).catch(async (e: unknown) => {
        if (!isFirewallError(e, 'KEY_NOT_FOUND')) throw e;
        return this.#call<Info>('generateKey', { label, algorithm: 'AES-256', purposes: ['seal'], mechanisms: ['AES-GCM'] }).catch((e2: unknown) => {
          // Another replica made it first: use theirs.
          if (!isFirewallError(e2, 'KEY_EXISTS')) throw e2;
          return this.#call<Info>('getPublicKey', { key: { label } });
        });
      });
      if (k.algorithm !== 'AES-256' || !k.purposes.includes('seal')) throw new FirewallError('SIGNER_KEY_MISMATCH', `device key "${k.label}" is ${k.algorithm} for ${k.purposes.join(',')}; sealing needs AES-256 for seal`);
      return { label: k.label, id: k.id };
    })();
    this.#key.catch(() => (this.#key = undefined));
    return this.#key;
  }

  /** The seal key was destroyed (or replaced under its label): look it up again next time. */
  #keyGone(e: unknown): never {
    if (isFirewallError(e, 'KEY_NOT_FOUND')) this.#key = undefined;
    throw e;
  }

  async seal(plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    const key = await this.#resolve();
    const r = await this.#call<{ iv: string; data: string }>('encrypt', { key, purpose: 'seal', mechanism: 'AES-GCM', data: Buffer.from(plaintext).toString('base64'), aad: Buffer.from(aad).toString('base64') }).catch((e: unknown) => this.#keyGone(e));
    return frameSealed(Buffer.from(r.iv, 'base64'), Buffer.from(r.data, 'base64'));
  }

  async open(sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    const parts = unframeSealed(sealed);
    if (parts === undefined) throw new FirewallError('SEAL_INVALID', 'not a sealed blob');
    const key = await this.#resolve();
    try {
      const r = await this.#call<{ data: string }>('decrypt', {
        key,
        purpose: 'seal',
        mechanism: 'AES-GCM',
        iv: Buffer.from(parts.iv).toString('base64'),
        data: Buffer.from(parts.ciphertextAndTag).toString('base64'),
        aad: Buffer.from(aad).toString('base64'),
      });
      return new Uint8Array(Buffer.from(r.data, 'base64'));
    } catch (e) {
      // REQUEST_INVALID: a blob whose parts the device cannot even read (sizes) is no sealed blob of ours either.
      if (isFirewallError(e, 'DECRYPT_FAILED') || isFirewallError(e, 'REQUEST_INVALID')) throw new FirewallError('SEAL_INVALID', 'the sealed blob does not open under this key and AAD', { cause: e });
      return this.#keyGone(e);
    }
  }
}
