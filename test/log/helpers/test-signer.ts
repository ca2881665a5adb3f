/**
 * In-process Ed25519 Signer for tests only (production keys live in hsm-sim / PKCS#11). The
 * checkpoint key's certificate is issued by a throwaway test PKI so attestation chains verify.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { KeyPurpose, PublicKeyInfo, Signature, Signer } from '../../../src/core/signer.ts';
import type { TestPki } from './pki.ts';

export class TestEd25519Signer implements Signer {
  readonly privateKey: KeyObject;
  readonly publicKeyObject: KeyObject;
  readonly x5c: string[];
  counter = 0;
  signCalls = 0;

  constructor(pki?: TestPki, keys?: { privateKey: KeyObject; publicKey: KeyObject }) {
    const kp = keys ?? generateKeyPairSync('ed25519');
    this.privateKey = kp.privateKey;
    this.publicKeyObject = kp.publicKey;
    this.x5c = pki ? [pki.issue(kp.publicKey, 'tlog checkpoint key'), pki.rootB64] : [];
  }

  get rawPublicKey(): Buffer {
    return Buffer.from(this.publicKeyObject.export({ format: 'jwk' }).x as string, 'base64url');
  }

  async sign(purpose: KeyPurpose, data: Uint8Array): Promise<Signature> {
    if (purpose !== 'checkpoint') throw new Error(`test signer has no ${purpose} key`);
    this.signCalls++;
    return { kid: 'test-checkpoint', alg: 'EdDSA', signature: sign(null, data, this.privateKey), counter: ++this.counter };
  }

  async signBatch(purpose: KeyPurpose, data: Uint8Array[]): Promise<Signature[]> {
    return Promise.all(data.map((d) => this.sign(purpose, d)));
  }

  async publicKey(purpose: KeyPurpose): Promise<PublicKeyInfo> {
    if (purpose !== 'checkpoint') throw new Error(`test signer has no ${purpose} key`);
    const jwk = this.publicKeyObject.export({ format: 'jwk' });
    return { kid: 'test-checkpoint', purpose, alg: 'EdDSA', jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, x5c: [...this.x5c] };
  }

  async random(length: number): Promise<Uint8Array> {
    return randomBytes(length);
  }

  async health(): Promise<{ ok: boolean }> {
    return { ok: true };
  }

  async close(): Promise<void> {}
}
