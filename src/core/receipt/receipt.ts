import type { SigningAlgorithm } from '../signer.ts';
import type { Tier } from '../tier.ts';

/**
 * The execution receipt (docs/receipts.md): a compact JWS the gateway signs (through the Signer,
 * purpose 'receipt') for every request it forwards to an actuator. The actuator checks it before it
 * acts, so an agent that reaches the actuator directly, or replays or alters a forwarded request,
 * is refused there too.
 */

/** JOSE `typ` of a receipt (RFC 8725 §3.11 explicit typing). */
export const RECEIPT_TYP = 'af-receipt+jwt';

/** Request header that carries the receipt on every forwarded request. */
export const RECEIPT_HEADER = 'Analog-Firewall-Receipt';

/** Request header that carries the action id on every forwarded request (the actuator's dedup key). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Default lifetime of a receipt: `exp` = `iat` + this. */
export const DEFAULT_RECEIPT_TTL_SEC = 60;

/** Longest lifetime (`exp` - `iat`) a verifier accepts by default. */
export const MAX_RECEIPT_LIFETIME_SEC = 300;

/** Algorithms a receipt may be signed with: the Signer's. EdDSA (Ed25519) is the default key. */
export const RECEIPT_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256'];

export interface ReceiptHeader {
  alg: SigningAlgorithm;
  /** Key id of the gateway's receipt key, as published in /.well-known/jwks.json. */
  kid: string;
  typ: typeof RECEIPT_TYP;
}

/** The exact request the receipt authorises, as the actuator receives it. */
export interface ReceiptRequestBinding {
  /** HTTP method, upper case. */
  m: string;
  /** Request target in origin form (absolute path plus query), exactly as sent upstream. */
  p: string;
  /** Lower-case hex SHA-256 of the exact body bytes sent upstream (an empty body hashes too). */
  b: string;
}

/** Outcome of the liveness check that accompanied a biological signature. */
export interface ReceiptLiveness {
  /** Modality that was checked (e.g. 'face', 'voice', 'ppg'). */
  modality: string;
  /** Verifier score in [0, 1], when the modality yields one. */
  score?: number;
}

/** One human approval (biological signature) counted towards the authorisation. */
export interface ReceiptApproval {
  /** Stable id of the person who approved. */
  who: string;
  /** Id of the device (phone, wearable, security key) that carried the signature. */
  device: string;
  /** When the approval was given: NumericDate (seconds since the epoch). */
  at: number;
  /** Quorum group this approval was counted in (CRITICAL only). */
  group?: string;
  liveness?: ReceiptLiveness;
  /** Transparency log index of the approval entry. */
  logIndex?: number;
}

/** One AND-ed group of a quorum: at least `min` distinct people of `group`. */
export interface ReceiptQuorumGroup {
  group: string;
  min: number;
}

/**
 * The quorum a CRITICAL action required. Every group must be met by distinct people, nobody counts
 * in two groups (separation of duties), and when `comparator` names a group, at least one person of
 * that group (the institutional comparator) approved, who is not counted in any other group.
 */
export interface ReceiptQuorum {
  all_of: ReceiptQuorumGroup[];
  comparator?: string;
}

/** The decision a receipt carries. A receipt is only ever issued for an allowed action. */
export type ReceiptDecision = 'ALLOW';

export interface ReceiptClaims {
  /** Gateway id. */
  iss: string;
  /** Action id (also sent as Idempotency-Key). */
  sub: string;
  /** Actuator name. */
  aud: string;
  /** Unique receipt id; an actuator accepts each jti once. */
  jti: string;
  /** Issued at, NumericDate (seconds). */
  iat: number;
  nbf?: number;
  /** Expiry, NumericDate (seconds); short (default iat + 60 s). */
  exp: number;
  /** Canonical action digest (lower-case hex SHA-256 of the RFC 8785 descriptor). */
  act: string;
  req: ReceiptRequestBinding;
  tier: Tier;
  dec: ReceiptDecision;
  /** Approvals; empty for LOW and MEDIUM. */
  apv: ReceiptApproval[];
  /** Quorum the action required (CRITICAL). */
  quorum?: ReceiptQuorum;
  /** Hash of the policy that classified the action. */
  pol: string;
  /** Transparency log index of the authorisation entry. */
  log: number;
}

/** A receipt after its signature and claims were checked. */
export interface VerifiedReceipt {
  header: ReceiptHeader;
  claims: ReceiptClaims;
}
