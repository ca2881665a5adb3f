/** The token's records as its callers and its own methods see them (token.ts). */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../src/core/clock.ts';
import type { AuditDetail } from '../audit/entry.ts';
import type { DeviceLog } from '../log.ts';
import type { DevicePaths } from '../store/paths.ts';
import type { KEY_ATTRIBUTES, KeyAlgorithm, KeyRecord, Mechanism, Purpose, Role } from '../store/schema.ts';
import type { CommitProbe } from '../store/store.ts';

export type SessionRole = 'public' | Role;

export interface Session {
  readonly id: number;
  role: SessionRole;
}

/** What a request did, for its audit entry. Handlers fill it in as they go. */
export interface OpRecord {
  key?: { label: string; id: string };
  mechanism?: string;
  purpose?: string;
  inputDigest?: string;
  counter?: number;
  count?: number;
  detail?: AuditDetail;
}

export interface TokenOptions {
  paths: DevicePaths;
  masterSecret: Buffer;
  clock: Clock;
  log: DeviceLog;
  maxPinFailures: number;
  probe?: CommitProbe;
}

export interface KeyInfo {
  label: string;
  id: string;
  algorithm: KeyAlgorithm;
  purposes: Purpose[];
  mechanisms: Mechanism[];
  attributes: typeof KEY_ATTRIBUTES;
  createdAt: string;
  jwk: JsonWebKey;
  /** Leaf (key attestation certificate) then device root, base64 DER. */
  x5c: string[];
}

/** A key as the token holds it while powered: its record and its key objects. */
export interface LiveKey {
  record: KeyRecord;
  /** The private key, or the secret key of an AES key. */
  privateKey: KeyObject;
  /** Absent for a secret (AES) key. */
  publicKey: KeyObject | undefined;
  jwk: JsonWebKey;
}
