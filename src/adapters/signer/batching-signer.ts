import type { KeyPurpose, PublicKeyInfo, Signature, Signer } from '../../core/signer.ts';

interface Waiting {
  data: Uint8Array;
  resolve: (s: Signature) => void;
  reject: (e: unknown) => void;
}

/**
 * Folds concurrent `sign` calls into one `signBatch` round trip per purpose (a "group commit" for
 * signatures): under load the HSM socket carries one frame for many receipts, so the gateway is
 * not bound by round trips. A lone call waits only for the current turn of the event loop.
 */
export class BatchingSigner implements Signer {
  readonly #inner: Signer;
  readonly #maxBatch: number;
  readonly #queues = new Map<KeyPurpose, Waiting[]>();

  constructor(inner: Signer, opts: { maxBatch?: number } = {}) {
    this.#inner = inner;
    this.#maxBatch = opts.maxBatch ?? 256;
  }

  sign(purpose: KeyPurpose, data: Uint8Array): Promise<Signature> {
    return new Promise<Signature>((resolve, reject) => {
      let q = this.#queues.get(purpose);
      if (q === undefined) {
        q = [];
        this.#queues.set(purpose, q);
        setImmediate(() => this.#flush(purpose));
      }
      q.push({ data, resolve, reject });
    });
  }

  #flush(purpose: KeyPurpose): void {
    const q = this.#queues.get(purpose);
    this.#queues.delete(purpose);
    if (q === undefined) return;
    for (let i = 0; i < q.length; i += this.#maxBatch) {
      const chunk = q.slice(i, i + this.#maxBatch);
      this.#inner.signBatch(
        purpose,
        chunk.map((w) => w.data),
      ).then(
        (sigs) => {
          chunk.forEach((w, j) => {
            const s = sigs[j];
            if (s === undefined) w.reject(new Error('signer returned fewer signatures than requested'));
            else w.resolve(s);
          });
        },
        (e: unknown) => {
          for (const w of chunk) w.reject(e);
        },
      );
    }
  }

  signBatch(purpose: KeyPurpose, data: Uint8Array[]): Promise<Signature[]> {
    return this.#inner.signBatch(purpose, data);
  }
  publicKey(purpose: KeyPurpose): Promise<PublicKeyInfo> {
    return this.#inner.publicKey(purpose);
  }
  random(length: number): Promise<Uint8Array> {
    return this.#inner.random(length);
  }
  health(): Promise<{ ok: boolean; reason?: string }> {
    return this.#inner.health();
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
