/**
 * The audit export bundle: everything a regulator needs to verify a range of the transparency log
 * offline. Built by src/adapters/log/export-bundle.ts, verified by clients/regulator. Specified in
 * docs/transparency-log.md ("Export bundle").
 */

export const EXPORT_BUNDLE_FORMAT = 'analog-firewall.dev/log-export/v1';

export interface ExportBundle {
  format: typeof EXPORT_BUNDLE_FORMAT;
  /** Checkpoint origin line; also the log key's name. */
  origin: string;
  /** Informational (ms since epoch). Not covered by any signature. */
  generatedAt: number;
  /** Entries [start, end) are in `entries`; end <= size of the last checkpoint. */
  range: { start: number; end: number };
  entries: BundleEntry[];
  /** Signed checkpoints, strictly ascending by tree size; the last one is "the latest". */
  checkpoints: BundleCheckpoint[];
  proofs: BundleProofs;
  /** The log's checkpoint verifier key and its attestation chain (leaf first, base64 DER). */
  verifierKey: { vkey: string; x5c: string[] };
  /** Public keys the gateway signs receipts and tokens with (each ideally with x5c). */
  jwks: { keys: JsonWebKey[] };
  policyVersions: PolicyVersionRecord[];
  /**
   * Optional: entries before `range.start` that the entries in range depend on (the earlier
   * entries of every action that appears in range, and every policy.activated entry), each with
   * an RFC 9162 inclusion proof in the tree of the latest checkpoint. Ascending, unique indexes.
   */
  context?: ContextEntry[];
}

export interface ContextEntry {
  /** 0-based leaf index, < range.start. */
  index: number;
  /** The exact leaf bytes (canonical JSON). */
  entry: string;
  /** Base64 hashes of PATH(index, D[latest size]), bottom up. */
  inclusion: string[];
}

export interface BundleEntry {
  /** 0-based leaf index in the log. */
  index: number;
  /** The exact leaf bytes: RFC 8785 canonical JSON text of the entry envelope. */
  entry: string;
}

export interface BundleCheckpoint {
  /** The signed note text (C2SP tlog-checkpoint). */
  note: string;
  /** Informational: the HSM operation counter of the signature. */
  hsmCounter?: number;
  /** Informational: when the log signed it (ms). */
  signedAt?: number;
}

export interface ConsistencyRecord {
  from: number;
  to: number;
  /** Base64 hashes, RFC 9162 PROOF(from, D[to]) order. */
  hashes: string[];
}

export interface BundleProofs {
  /** Base64 of the concatenated 32-byte leaf hashes of entries [start, end). */
  leafHashes: string;
  /** Base64 hashes of the complete subtrees decomposing D[0:start], largest (leftmost) first. */
  leftFrontier: string[];
  /** RFC 9162 consistency proof from tree size `range.end` to the latest checkpoint's size. */
  toLatest: string[];
  /** One proof per pair of successive checkpoints: checkpoints[i].size -> checkpoints[i+1].size. */
  checkpointConsistency: ConsistencyRecord[];
}

export interface PolicyVersionRecord {
  /** Label; in gateway exports the policy hash. */
  version: string;
  /** Policy name (informational). */
  name?: string;
  /** Log index of the policy.activated entry it was taken from. */
  logIndex?: number;
  /** Lowercase hex SHA-256 of `source` (UTF-8). */
  digest: string;
  /** The policy document as loaded (YAML or JSON text). */
  source?: string;
  activatedAt?: number;
}
