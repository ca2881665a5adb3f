import { createHash, generateKeyPairSync, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { FirewallError } from '../../src/core/errors.ts';
import type { KeyPurpose, PublicKeyInfo, Signature, Signer, SigningAlgorithm } from '../../src/core/signer.ts';

/**
 * In-process Signer for tests of code above the signing seam. Production never holds keys in
 * process (the gateway refuses to start without hsm-sim or PKCS#11); tests of the seam itself
 * run against the real backends.
 */
export class MemorySigner implements Signer {
  readonly #keys = new Map<KeyPurpose, { priv: KeyObject; info: PublicKeyInfo }>();
  #counter = 0;
  healthy = true;

  constructor() {
    for (const purpose of ['receipt', 'checkpoint', 'challenge', 'webhook', 'token', 'session'] as KeyPurpose[]) {
      const alg: SigningAlgorithm = purpose === 'token' ? 'ES256' : 'EdDSA';
      const { privateKey, publicKey } = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' }) as JsonWebKey;
      const kid = createHash('sha256').update(JSON.stringify(jwk)).digest('base64url').slice(0, 16);
      this.#keys.set(purpose, { priv: privateKey, info: { kid, purpose, alg, jwk, x5c: [] } });
    }
  }

  #down(): void {
    if (!this.healthy) throw new FirewallError('SIGNER_UNAVAILABLE', 'signer down (test)', { status: 503 });
  }

  async sign(purpose: KeyPurpose, data: Uint8Array): Promise<Signature> {
    this.#down();
    const k = this.#keys.get(purpose)!;
    const signature =
      k.info.alg === 'EdDSA' ? cryptoSign(null, data, k.priv) : cryptoSign('sha256', data, { key: k.priv, dsaEncoding: 'ieee-p1363' });
    return { kid: k.info.kid, alg: k.info.alg, signature: new Uint8Array(signature), counter: ++this.#counter };
  }

  async signBatch(purpose: KeyPurpose, data: Uint8Array[]): Promise<Signature[]> {
    return Promise.all(data.map((d) => this.sign(purpose, d)));
  }

  async publicKey(purpose: KeyPurpose): Promise<PublicKeyInfo> {
    this.#down();
    return this.#keys.get(purpose)!.info;
  }

  async random(length: number): Promise<Uint8Array> {
    this.#down();
    return new Uint8Array(randomBytes(length));
  }

  async health(): Promise<{ ok: boolean; reason?: string }> {
    return this.healthy ? { ok: true } : { ok: false, reason: 'signer down' };
  }

  async close(): Promise<void> {}
}
