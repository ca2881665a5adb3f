/**
 * The narrow signing seam. The gateway never holds a private key: every signature is asked of a
 * Signer, which is backed by hsm-sim (default) or a PKCS#11 token. Keys are chosen by purpose.
 */
/**
 * 'session' is never published: its Ed25519 signatures are deterministic (RFC 8032) and serve as
 * the HSM-keyed pseudo-random function that derives per-session request-signing keys
 * (src/gateway/sessions/session-keys.ts).
 */
export type KeyPurpose = 'receipt' | 'checkpoint' | 'challenge' | 'token' | 'webhook' | 'session';
export type SigningAlgorithm = 'EdDSA' | 'ES256';

export interface PublicKeyInfo {
  /** Stable key id (label-derived), used as JWS `kid`. */
  kid: string;
  purpose: KeyPurpose;
  alg: SigningAlgorithm;
  /** Public key as JWK (no private members, ever). */
  jwk: JsonWebKey;
  /** Attestation chain, leaf first, base64 DER (JWK x5c). Empty when the backend cannot attest. */
  x5c: string[];
}

export interface Signature {
  kid: string;
  alg: SigningAlgorithm;
  /** Raw signature bytes: Ed25519 64 bytes; ES256 r||s 64 bytes (JOSE form). */
  signature: Uint8Array;
  /** The HSM's monotonic operation counter for this signature (gaps are visible to a regulator). */
  counter: number;
}

export interface Signer {
  /** Sign `data` with the key for `purpose`. Ed25519 signs the message; ES256 signs SHA-256(data). */
  sign(purpose: KeyPurpose, data: Uint8Array): Promise<Signature>;
  /** Sign many messages in one round trip. Order of results matches input. */
  signBatch(purpose: KeyPurpose, data: Uint8Array[]): Promise<Signature[]>;
  publicKey(purpose: KeyPurpose): Promise<PublicKeyInfo>;
  /** Random bytes from the device. */
  random(length: number): Promise<Uint8Array>;
  /** Ready when the device answers and is not tampered. */
  health(): Promise<{ ok: boolean; reason?: string }>;
  close(): Promise<void>;
}
