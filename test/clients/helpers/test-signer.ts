import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { KeyPurpose, PublicKeyInfo, Signature, Signer, SigningAlgorithm } from '../../../src/core/signer.ts';

/**
 * A Signer backed by node:crypto keys held in the test process: tests only. (The gateway's real
 * signers live behind hsm-sim or PKCS#11 and never expose a private key.)
 */
export class TestSigner implements Signer {
  readonly keys = new Map<KeyPurpose, { kid: string; alg: SigningAlgorithm; privateKey: KeyObject; publicJwk: JsonWebKeyLike }>();
  #counter = 0;

  constructor(algs: Partial<Record<KeyPurpose, SigningAlgorithm>> = {}) {
    for (const purpose of ['receipt', 'checkpoint', 'challenge', 'token', 'webhook'] as const) {
      this.rotate(purpose, algs[purpose] ?? 'EdDSA');
    }
  }

  /** Replace the key for `purpose` (a new kid). */
  rotate(purpose: KeyPurpose, alg: SigningAlgorithm = 'EdDSA'): void {
    const { privateKey, publicKey } = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = `${purpose}-${randomBytes(4).toString('hex')}`;
    const publicJwk = { ...(publicKey.export({ format: 'jwk' }) as JsonWebKeyLike), kid, alg, use: 'sig' };
    this.keys.set(purpose, { kid, alg, privateKey: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })), publicJwk });
  }

  async sign(purpose: KeyPurpose, data: Uint8Array): Promise<Signature> {
    const k = this.keys.get(purpose)!;
    const signature =
      k.alg === 'EdDSA' ? sign(null, data, k.privateKey) : sign('sha256', data, { key: k.privateKey, dsaEncoding: 'ieee-p1363' });
    return { kid: k.kid, alg: k.alg, signature: new Uint8Array(signature), counter: ++this.#counter };
  }

  async signBatch(purpose: KeyPurpose, data: Uint8Array[]): Promise<Signature[]> {
    return Promise.all(data.map((d) => this.sign(purpose, d)));
  }

  async publicKey(purpose: KeyPurpose): Promise<PublicKeyInfo> {
    const k = this.keys.get(purpose)!;
    return { kid: k.kid, purpose, alg: k.alg, jwk: k.publicJwk as PublicKeyInfo['jwk'], x5c: [] };
  }

  /** The JWKS the gateway would serve for `purpose`. */
  jwks(purpose: KeyPurpose = 'receipt'): { keys: JsonWebKeyLike[] } {
    return { keys: [this.keys.get(purpose)!.publicJwk] };
  }

  async random(length: number): Promise<Uint8Array> {
    return new Uint8Array(randomBytes(length));
  }

  async health(): Promise<{ ok: boolean }> {
    return { ok: true };
  }

  async close(): Promise<void> {}
}

export type JsonWebKeyLike = { kty?: string; crv?: string; x?: string; y?: string; kid?: string; alg?: string; use?: string; [k: string]: unknown };
