import type { RequestBinding } from '../action/descriptor.ts';
import type { Tier } from '../tier.ts';
import { parseReceiptClaims } from './parse-receipt-claims.ts';
import { DEFAULT_RECEIPT_TTL_SEC, type ReceiptApproval, type ReceiptClaims, type ReceiptQuorum } from './receipt.ts';

/** What the gateway knows when it authorises a forwarded request. */
export interface ReceiptInput {
  /** Gateway id (`iss`). */
  issuer: string;
  /** Action id (`sub`). */
  actionId: string;
  /** Actuator name (`aud`). */
  actuator: string;
  /** Canonical action digest, lower-case hex (`act`). */
  actionDigest: string;
  /** The request exactly as it will be sent upstream (`req`); `path` is the origin-form target the actuator will see. */
  request: RequestBinding;
  tier: Tier;
  approvals?: ReceiptApproval[];
  quorum?: ReceiptQuorum;
  /** `pol` */
  policyHash: string;
  /** Transparency log index of the authorisation entry (`log`). */
  logIndex: number;
}

export interface ReceiptTiming {
  /** Milliseconds since the epoch (from the injected Clock). */
  now: number;
  /** Unique receipt id (from injected randomness). */
  jti: string;
  /** Lifetime in seconds; default 60. */
  ttlSec?: number;
  /** Emit `nbf` = `iat` when true. Default false. */
  notBefore?: boolean;
}

/** Assemble and validate the claims of a receipt. Pure: time and jti are injected. */
export function buildReceiptClaims(input: ReceiptInput, timing: ReceiptTiming): ReceiptClaims {
  const iat = Math.floor(timing.now / 1000);
  const claims: Record<string, unknown> = {
    iss: input.issuer,
    sub: input.actionId,
    aud: input.actuator,
    jti: timing.jti,
    iat,
    exp: iat + (timing.ttlSec ?? DEFAULT_RECEIPT_TTL_SEC),
    act: input.actionDigest,
    req: { m: input.request.method.toUpperCase(), p: input.request.path, b: input.request.bodySha256.toLowerCase() },
    tier: input.tier,
    dec: 'ALLOW',
    apv: input.approvals ?? [],
    pol: input.policyHash,
    log: input.logIndex,
  };
  if (timing.notBefore === true) claims.nbf = iat;
  if (input.quorum !== undefined) claims.quorum = input.quorum;
  return parseReceiptClaims(claims);
}
