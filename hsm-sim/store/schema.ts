/**
 * What the device keeps at rest. The whole body is covered by the store MAC; private keys inside it
 * are additionally sealed one by one (store/sealing.ts).
 */
import type { Sealed } from './sealing.ts';
import type { AuditHead } from '../audit/audit-log.ts';

export const STORE_FORMAT = 'analog-firewall/hsm-sim-store/1';

/** 'seal': an AES key that encrypts what its owner stores but must not hold in clear (the gateway's challenge nonces). */
export const PURPOSES = ['receipt', 'checkpoint', 'challenge', 'token', 'webhook', 'session', 'seal'] as const;
export type Purpose = (typeof PURPOSES)[number];
export const ALGORITHMS = ['Ed25519', 'P-256', 'AES-256'] as const;
export type KeyAlgorithm = (typeof ALGORITHMS)[number];
export const SIGNING_MECHANISMS = ['EdDSA', 'ECDSA-SHA256'] as const;
export type SigningMechanism = (typeof SIGNING_MECHANISMS)[number];
export const CIPHER_MECHANISMS = ['AES-GCM'] as const;
export type CipherMechanism = (typeof CIPHER_MECHANISMS)[number];
export const MECHANISMS = [...SIGNING_MECHANISMS, ...CIPHER_MECHANISMS] as const;
export type Mechanism = (typeof MECHANISMS)[number];

/**
 * The one mechanism each algorithm can do: Ed25519 signs messages; P-256 signs SHA-256(message),
 * raw r||s; AES-256 encrypts and decrypts with GCM (a secret key: no public half, no certificate).
 */
export const MECHANISMS_FOR: Record<KeyAlgorithm, readonly Mechanism[]> = { Ed25519: ['EdDSA'], 'P-256': ['ECDSA-SHA256'], 'AES-256': ['AES-GCM'] };

export function isSecretKeyAlgorithm(a: KeyAlgorithm): boolean {
  return a === 'AES-256';
}

export type DeviceState = 'uninitialized' | 'active' | 'zeroized';
export type Role = 'so' | 'user';

export interface PinRecord {
  salt: string;
  hash: string;
  /** Consecutive wrong PINs since the last success. */
  failures: number;
  locked: boolean;
}

/** Fixed for every key this device makes; recorded so a reader never has to guess. */
export interface KeyAttributes {
  sensitive: true;
  extractable: false;
  neverExtractable: true;
  alwaysSensitive: true;
  local: true;
}

export const KEY_ATTRIBUTES: KeyAttributes = { sensitive: true, extractable: false, neverExtractable: true, alwaysSensitive: true, local: true };

export interface KeyRecord {
  id: string;
  label: string;
  algorithm: KeyAlgorithm;
  purposes: Purpose[];
  mechanisms: Mechanism[];
  attributes: KeyAttributes;
  createdAt: string;
  /** SubjectPublicKeyInfo, base64 DER; empty for a secret (AES) key. */
  spki: string;
  /** Attestation certificate issued by the device root, base64 DER; empty for a secret (AES) key. */
  certificate: string;
  /** PKCS#8 private key (raw key bytes for AES), sealed; AAD = sealAad(record). */
  sealed: Sealed;
}

export interface SignedTamperRecord {
  record: TamperRecord;
  /** RS256 (RSASSA-PKCS1-v1_5, SHA-256) by the device key over JCS(record); null when the device key was unrecoverable. */
  signature: string | null;
  alg: 'RS256';
}

export interface TamperRecord {
  type: 'analog-firewall/hsm-sim-tamper/1';
  deviceSerial: string;
  reason: string;
  message: string;
  detectedAt: string;
  storeGeneration: number;
  counter: number;
  auditHead: AuditHead;
  keysZeroized: { label: string; id: string }[];
}

export interface StoreBody {
  format: typeof STORE_FORMAT;
  generation: number;
  /** base64, 32 bytes: scrypt/HKDF salt for every key derived from the master secret. */
  salt: string;
  /** Proves which master secret made this store (sealing.ts secretCheck). */
  check: string;
  state: DeviceState;
  device: {
    serial: string;
    createdAt: string;
    /** Device root certificate, base64 DER. */
    certificate: string;
    /** RSA-3072 device identity key, PKCS#8, sealed. Absent once zeroized. */
    sealedKey?: Sealed;
  };
  token: { label: string; initializedAt: string } | null;
  pins: { so: PinRecord | null; user: PinRecord | null };
  /** The operation counter never resumes below this after a restart. */
  counterReserved: number;
  /** Audit log head just before this generation's store.commit entry. */
  auditHead: AuditHead;
  keys: KeyRecord[];
  tamper?: SignedTamperRecord;
}

export function keySealAad(k: Pick<KeyRecord, 'id' | 'label' | 'algorithm' | 'purposes' | 'mechanisms' | 'spki'>): string {
  return JSON.stringify(['key', k.id, k.label, k.algorithm, k.purposes, k.mechanisms, k.spki]);
}

export function deviceSealAad(serial: string): string {
  return JSON.stringify(['device', serial]);
}

function fail(what: string): never {
  throw new Error(`store body: ${what}`);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isSealed(v: unknown): v is Sealed {
  return isObj(v) && typeof v.nonce === 'string' && typeof v.ciphertext === 'string' && typeof v.tag === 'string';
}

function isPin(v: unknown): v is PinRecord | null {
  return v === null || (isObj(v) && typeof v.salt === 'string' && typeof v.hash === 'string' && Number.isSafeInteger(v.failures) && typeof v.locked === 'boolean');
}

const isList = <T extends string>(v: unknown, allowed: readonly T[]): v is T[] =>
  Array.isArray(v) && v.length > 0 && v.every((x) => (allowed as readonly unknown[]).includes(x));

/**
 * Shape check after the MAC has verified. A MAC-valid body that fails it means a bug or a format
 * the code does not know, and the device refuses to guess.
 */
export function assertStoreBody(v: unknown): asserts v is StoreBody {
  if (!isObj(v)) fail('not an object');
  if (v.format !== STORE_FORMAT) fail(`unknown format ${JSON.stringify(v.format)}`);
  if (!Number.isSafeInteger(v.generation) || (v.generation as number) < 1) fail('generation');
  if (typeof v.salt !== 'string' || typeof v.check !== 'string') fail('salt/check');
  if (!['uninitialized', 'active', 'zeroized'].includes(v.state as string)) fail('state');
  const d = v.device;
  if (!isObj(d) || typeof d.serial !== 'string' || typeof d.certificate !== 'string' || typeof d.createdAt !== 'string') fail('device');
  if (d.sealedKey !== undefined && !isSealed(d.sealedKey)) fail('device.sealedKey');
  if (v.token !== null && !(isObj(v.token) && typeof v.token.label === 'string' && typeof v.token.initializedAt === 'string')) fail('token');
  if (!isObj(v.pins) || !isPin(v.pins.so) || !isPin(v.pins.user)) fail('pins');
  if (!Number.isSafeInteger(v.counterReserved) || (v.counterReserved as number) < 0) fail('counterReserved');
  if (!isObj(v.auditHead) || !Number.isSafeInteger(v.auditHead.index) || typeof v.auditHead.hash !== 'string') fail('auditHead');
  if (!Array.isArray(v.keys)) fail('keys');
  for (const k of v.keys as unknown[]) {
    if (!isObj(k) || typeof k.id !== 'string' || typeof k.label !== 'string' || typeof k.spki !== 'string' || typeof k.certificate !== 'string') fail('key record');
    if (!(ALGORITHMS as readonly unknown[]).includes(k.algorithm) || !isList(k.purposes, PURPOSES) || !isList(k.mechanisms, MECHANISMS)) fail(`key ${k.label as string} attributes`);
    if (!isSealed(k.sealed) || typeof k.createdAt !== 'string' || !isObj(k.attributes)) fail(`key ${k.label as string} sealed`);
  }
}
