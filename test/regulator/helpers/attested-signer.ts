import { createPublicKey, type JsonWebKey as NodeJwk } from 'node:crypto';
import type { KeyPurpose, PublicKeyInfo, Signature, Signer } from '../../../src/core/signer.ts';
import { MemorySigner } from '../../helpers/memory-signer.ts';
import type { TestPki } from '../../log/helpers/pki.ts';

/**
 * A MemorySigner whose keys carry x5c attestation chains issued by a throwaway test PKI, as the
 * HSM's would: the export's verifier key and JWKS then chain to a pinned root.
 */
export class AttestedSigner implements Signer {
  readonly inner = new MemorySigner();
  readonly #pki: TestPki;
  readonly #chains = new Map<KeyPurpose, string[]>();

  constructor(pki: TestPki) {
    this.#pki = pki;
  }

  async publicKey(purpose: KeyPurpose): Promise<PublicKeyInfo> {
    const info = await this.inner.publicKey(purpose);
    let chain = this.#chains.get(purpose);
    if (chain === undefined) {
      const pub = createPublicKey({ key: info.jwk as NodeJwk, format: 'jwk' });
      chain = [this.#pki.issue(pub, `test hsm ${purpose} key`), this.#pki.rootB64];
      this.#chains.set(purpose, chain);
    }
    return { ...info, x5c: [...chain] };
  }

  sign(purpose: KeyPurpose, data: Uint8Array): Promise<Signature> {
    return this.inner.sign(purpose, data);
  }

  signBatch(purpose: KeyPurpose, data: Uint8Array[]): Promise<Signature[]> {
    return this.inner.signBatch(purpose, data);
  }

  random(length: number): Promise<Uint8Array> {
    return this.inner.random(length);
  }

  health(): Promise<{ ok: boolean; reason?: string }> {
    return this.inner.health();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
