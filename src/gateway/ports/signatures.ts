import type { Fingerprint, PersonProfile } from '../../core/liveness/types.ts';
import type { Modality } from '../../core/policy/modality.ts';

/**
 * The signature aggregate (docs/protocol.md): people and their declared modalities, devices
 * (passkey PUBLIC keys and counters), WebAuthn ceremonies, challenges, liveness fingerprints,
 * enrolment summaries and erasure records. Stored beside the actions, so that a challenge's
 * consumption, a counter update, a lock and the action's transition commit together with their
 * log entries in one transaction.
 *
 * Nothing here is secret or a raw sample: no nonce in clear (its SHA-256 commitment, and while the
 * challenge is open the nonce sealed by the HSM, bound to the challenge id: gateway/signatures/
 * challenge-nonces.ts), no private key, no biometric stream (only liveness features and MinHash
 * fingerprints, see docs/privacy.md).
 */

export const DEVICE_KINDS = ['phone', 'wearable'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
export type ChallengeState = 'issued' | 'active' | 'succeeded' | 'failed' | 'expired' | 'cancelled';

/** Rows removed by one erasure, per table (docs/privacy.md §Erasure). */
export interface ErasedRows {
  people: number;
  devices: number;
  fingerprints: number;
  enrolments: number;
  ceremonies: number;
}

export interface ErasureRow {
  person: string;
  erasedAt: number;
  basis: string;
  logIndex: number;
}

export interface PersonRow {
  id: string;
  modalities: Modality[];
  displayName: string | null;
  failures: number;
  lockedAt: number | null;
  profile: PersonProfile | null;
  createdAt: number;
  updatedAt: number;
}

export interface DeviceRow {
  credentialId: string;
  person: string;
  kind: DeviceKind;
  name: string | null;
  /** COSE_Key, base64url. */
  publicKey: string;
  alg: number;
  counter: number;
  transports: string[];
  fmt: string | null;
  aaguid: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface CeremonyRow {
  id: string;
  /** 'cosign': a comparator's co-sign ceremony (comparator.ts), which any replica completes. */
  kind: 'registration' | 'authentication' | 'cosign';
  person: string;
  challenge: string;
  deviceKind: string | null;
  deviceName: string | null;
  credentialId: string | null;
  expiresAt: number;
  usedAt: number | null;
  /** What a ceremony of its kind needs beyond the WebAuthn challenge (JSON; null for most kinds). */
  payload: string | null;
}

export interface ChallengeRow {
  id: string;
  purpose: 'action' | 'enrolment';
  mode: 'biological' | 'witness';
  actionId: string | null;
  digest: string;
  person: string;
  role: 'authorizer' | 'comparator';
  modalities: Modality[];
  sustainedMs: number;
  nonceSha256: string;
  state: ChallengeState;
  issuedAt: number;
  expiresAt: number;
  startedAt: number | null;
  endedAt: number | null;
  outcome: string | null;
  device: string | null;
}

/** A challenge as issued: `sealedNonce` is the nonce sealed by the HSM (base64url), kept while it is open. */
export type NewChallenge = Omit<ChallengeRow, 'state' | 'startedAt' | 'endedAt' | 'outcome' | 'device'> & { sealedNonce: string };

/** The signature aggregate inside a transaction (StoreTx.signatures). */
export interface SignaturesTx {
  person(id: string): Promise<PersonRow | undefined>;
  /** Declares (or re-declares) a person's modalities; keeps the display name unless a new one is given. */
  putPerson(id: string, modalities: Modality[], displayName: string | null, now: number): Promise<void>;
  /** A record with no modalities, if the person has none yet. */
  ensurePerson(id: string, now: number): Promise<void>;
  setFailures(id: string, failures: number, lockedAt: number | null, now: number): Promise<void>;
  setProfile(id: string, profile: PersonProfile, now: number): Promise<void>;
  device(credentialId: string): Promise<DeviceRow | undefined>;
  insertDevice(d: Omit<DeviceRow, 'lastUsedAt' | 'revokedAt'>): Promise<void>;
  /** Atomic counter step: true only if `counter` is above the stored one (or both are 0), on a device not revoked. */
  advanceCounter(credentialId: string, counter: number, now: number): Promise<boolean>;
  revokeDevice(credentialId: string, now: number): Promise<boolean>;
  insertCeremony(c: CeremonyRow): Promise<void>;
  /** Inserts the ceremony, or replaces the one with its id (used or not): a new ceremony supersedes it. */
  replaceCeremony(c: CeremonyRow): Promise<void>;
  /** Single use: returns the ceremony if this call consumed it (and purges ceremonies a day past expiry). */
  useCeremony(id: string, now: number): Promise<CeremonyRow | undefined>;
  challenge(id: string): Promise<ChallengeRow | undefined>;
  /** False when an open challenge for the same (action, person), or the person's open enrolment, already exists. */
  insertChallenge(c: NewChallenge): Promise<boolean>;
  /** issued -> active (single use). */
  startChallenge(id: string, credentialId: string | null, now: number): Promise<boolean>;
  /** (issued|active) -> a final state, dropping its sealed nonce; true if this call closed it. */
  endChallenge(id: string, state: ChallengeState, outcome: string, now: number): Promise<boolean>;
  /** Sessions started by `person` for `actionId` (each consumed a challenge). */
  attempts(actionId: string, personId: string): Promise<number>;
  /** Whether the person declined to sign this action (approver/decline.ts): final for that action. */
  declined(actionId: string, personId: string): Promise<boolean>;
  insertFingerprint(personId: string, challengeId: string, fp: Fingerprint, now: number): Promise<void>;
  insertEnrolment(challengeId: string, personId: string, summary: unknown, accepted: boolean, now: number): Promise<void>;
  acceptedEnrolments(personId: string): Promise<unknown[]>;
  /** Open challenges the person answers, and those they witness with one of their devices. */
  openChallengesInvolving(personId: string): Promise<ChallengeRow[]>;
  /** Raises the person's interaction floor (never lowers it). */
  raiseInteractionFloor(personId: string, lastInteractionAt: number): Promise<void>;
  /** The person's last interaction (docs/privacy.md §Retention), computed exactly. */
  lastInteraction(personId: string): Promise<number | undefined>;
  credentialsOf(personId: string): Promise<string[]>;
  /**
   * Deletes every row holding the person's biometric or device data. Challenge rows stay (closed
   * before this): they mirror log entries and carry no biometric data.
   */
  eraseRows(personId: string): Promise<ErasedRows>;
  recordErasure(e: ErasureRow): Promise<void>;
}

/** Committed reads of the signature aggregate (Store.signatures). */
export interface SignatureReads {
  getPerson(id: string): Promise<PersonRow | undefined>;
  people(): Promise<PersonRow[]>;
  getDevice(credentialId: string): Promise<DeviceRow | undefined>;
  devicesOf(personId: string): Promise<DeviceRow[]>;
  getChallenge(id: string): Promise<ChallengeRow | undefined>;
  openChallengesOf(personId: string): Promise<ChallengeRow[]>;
  openChallengesForAction(actionId: string): Promise<ChallengeRow[]>;
  allOpenChallenges(): Promise<ChallengeRow[]>;
  /**
   * The sealed nonce of an open (issued or active) challenge; undefined when it is closed, unknown,
   * or was issued before nonces were stored sealed.
   */
  sealedNonce(challengeId: string): Promise<string | undefined>;
  /** This person's fingerprints plus the most recent `globalLimit` of everyone's. */
  fingerprintHistory(personId: string, globalLimit: number): Promise<Fingerprint[]>;
  /** The record that `person` was erased (the last time), if they were. */
  getErasure(personId: string): Promise<ErasureRow | undefined>;
  /**
   * Up to `limit` people whose interaction floor is before `before`, lowest floor first, each with
   * their exact last interaction: those still before `before` are inactive, the others only had a
   * stale floor (raise it with raiseInteractionFloor).
   */
  retentionCandidates(before: number, limit: number): Promise<{ id: string; lastInteractionAt: number }[]>;
}
