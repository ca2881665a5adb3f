/** What the transparency log stores and answers (docs/transparency-log.md). */

export interface LogEntry {
  index: number;
  leafHash: Buffer;
  /** The exact leaf bytes (canonical JSON). */
  body: string;
  entry: Record<string, unknown>;
  type: string;
  ts: number | null;
  actionId: string | null;
}

export interface SignedCheckpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  /** The C2SP signed note, ready to serve at /checkpoint. */
  note: string;
  signedAt: number;
  hsmCounter: number | null;
}

export interface InclusionProof {
  index: number;
  size: number;
  leafHash: Buffer;
  rootHash: Buffer;
  hashes: Buffer[];
}

export interface ConsistencyProof {
  from: number;
  to: number;
  fromRoot: Buffer;
  toRoot: Buffer;
  hashes: Buffer[];
}

export interface LogVerifierKey {
  origin: string;
  /** Signed-note verifier key `<name>+<hex id>+<base64(0x01||key)>`. */
  vkey: string;
  keyId: string;
  /** Raw 32-byte Ed25519 key, base64. */
  publicKey: string;
  kid: string;
  jwk: JsonWebKey;
  /** Attestation chain, leaf first, base64 DER. */
  x5c: string[];
}

export interface EntryQuery {
  type?: string;
  actionId?: string;
  /** ts >= since (ms). */
  since?: number;
  /** ts < until (ms). */
  until?: number;
  /** Only entries with index > afterIndex (pagination). */
  afterIndex?: number;
  /** Entries concerning this person: `by`, `who` or `approvals[].who` (see entry-terms.ts). */
  person?: string;
  /** Entries naming this policy rule: `rule` or `matchedRules[]`. */
  rule?: string;
  /** Default 100, at most 10,000. */
  limit?: number;
}

export interface AppendResult {
  firstIndex: number;
  leafHashes: Buffer[];
}
