/**
 * The comparator's evidence package (docs/protocol.md §9) as a device reads it, and what checking
 * it reports. Built by the gateway (src/gateway/comparator.ts); checked by
 * clients/regulator/evidence.ts in Node and in the approver app's page, before it is believed.
 * Types only: the page and the checker agree on them by construction.
 */
export interface EvidenceApproval {
  who: string;
  device: string;
  role: 'authorizer' | 'comparator' | 'witness';
  /** NumericDate seconds. */
  at: number;
  liveness?: { modality?: string; modalities?: string[]; score?: number };
  logIndex?: number;
  group?: string;
  onBehalfOf?: string;
}

export interface EvidenceInclusion {
  logIndex: number;
  type: string;
  who: string | null;
  leafHash: string;
  hashes: string[];
  /** The exact leaf text (canonical JSON). */
  entry: string;
}

export interface EvidencePackage {
  v: 1;
  type: 'comparator-evidence';
  action: { id: string; status: string; tier: string; agent: string; createdAt: string; expiresAt?: string };
  digest: string;
  descriptor: Record<string, unknown> & { operation: string; target: string; actuator: string; agent: string; amount?: number; currency?: string };
  summary: { text: string };
  policy: { hash: string; rule: string; reasons: string[]; quorum: unknown };
  approvals: EvidenceApproval[];
  quorum: null | { satisfied: boolean; quorumMet: boolean; quorumMetAt?: string; reasons?: string[] };
  log: { origin: string; treeSize: number; rootHash: string; checkpoint: string; inclusion: EvidenceInclusion[] };
}

/** GET /log/v1/verifier-key: the C2SP verifier key and its HSM attestation chain (leaf first, base64 DER). */
export interface LogVerifierKey {
  vkey: string;
  x5c?: string[];
}

export type CheckId = 'digest' | 'key.attestation' | 'checkpoint.signature' | 'log.inclusion' | 'approvals.logged';

export interface Check {
  id: CheckId;
  ok: boolean;
  /** What was checked, in plain words. */
  label: string;
  /** What was found: for a failure, what failed. */
  detail: string;
  /** Passed, but leaves something for the person to compare out of band (e.g. a log key without an attestation chain). */
  warning?: boolean;
}

/** One approval as the log proves it: the signature entry and the quorum's record of it. */
export interface ProvenApproval {
  approval: EvidenceApproval;
  /** The proven `signature.verified` entry (or the `action.approval_recorded` one of a signature-less approval). */
  entry?: Record<string, unknown>;
  /** False when the quorum recorded it without counting it (a witness where the policy allows none). */
  counted: boolean;
  ok: boolean;
}

export interface EvidenceReport {
  ok: boolean;
  checks: Check[];
  approvals: ProvenApproval[];
  /** The checkpoint the proofs were checked against, once its signature verified. */
  checkpoint?: { origin: string; size: number; rootHash: string };
  /**
   * What the checks rest on, for the person to compare with what their institution pinned: the
   * SHA-256 of the HSM attestation root certificate (DER), or of the log key itself when the HSM
   * gives no chain; hex in groups of four.
   */
  anchor?: { kind: 'hsm-root' | 'log-key'; fingerprint: string };
}

/** Every check over a package, with the log's verifier key; never throws (anything malformed is a failed check). */
export type CheckEvidence = (e: EvidencePackage, vk: LogVerifierKey, now?: Date) => Promise<EvidenceReport>;
