import type { RequestBinding } from '../action/descriptor.ts';
import { FirewallError } from '../errors.ts';
import { MAX_RECEIPT_LIFETIME_SEC, type ReceiptClaims } from './receipt.ts';
import { verifyReceiptQuorum } from './receipt-quorum.ts';

/**
 * The binding check: do these (already signature-checked, already parsed) receipt claims authorise
 * this exact request, now? Pure: the caller supplies the request as received and the time.
 * Throws FirewallError with a RECEIPT_* code: 401 when the receipt is not a valid credential here
 * (issuer, audience, time), 403 when it is valid but does not authorise this request.
 */

export interface VerifyReceiptClaimsOptions {
  /** Expected `iss` (the gateway id). Not checked when omitted. */
  issuer?: string;
  /** Expected `aud` (this actuator's name). Not checked when omitted. */
  audience?: string;
  /** Allowed clock skew, seconds. Default 5. */
  clockToleranceSec?: number;
  /** Longest accepted `exp` - `iat`, seconds. Default 300. */
  maxLifetimeSec?: number;
  /** Refuse CRITICAL receipts that carry no `quorum`. Default false. */
  requireQuorum?: boolean;
}

export const DEFAULT_CLOCK_TOLERANCE_SEC = 5;

function refuse(code: string, status: number, message: string, detail?: Record<string, unknown>): never {
  throw new FirewallError(code, message, { status, detail });
}

/**
 * @param request the request as the actuator received it: method, origin-form target (path and
 *   query), lower-case hex SHA-256 of the raw body bytes.
 * @param now milliseconds since the epoch.
 */
export function verifyReceiptClaims(claims: ReceiptClaims, request: RequestBinding, now: number, options: VerifyReceiptClaimsOptions = {}): void {
  const tol = options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
  const maxLifetime = options.maxLifetimeSec ?? MAX_RECEIPT_LIFETIME_SEC;
  const nowSec = Math.floor(now / 1000);

  if (options.issuer !== undefined && claims.iss !== options.issuer) {
    refuse('RECEIPT_ISSUER_MISMATCH', 401, `receipt was issued by '${claims.iss}', expected '${options.issuer}'`);
  }
  if (options.audience !== undefined && claims.aud !== options.audience) {
    refuse('RECEIPT_AUDIENCE_MISMATCH', 401, `receipt is for actuator '${claims.aud}', not '${options.audience}'`);
  }
  if (nowSec - tol >= claims.exp) {
    refuse('RECEIPT_EXPIRED', 401, `receipt expired at ${claims.exp} (now ${nowSec}, tolerance ${tol} s)`, { exp: claims.exp });
  }
  if (claims.nbf !== undefined && claims.nbf > nowSec + tol) {
    refuse('RECEIPT_NOT_YET_VALID', 401, `receipt is not valid before ${claims.nbf} (now ${nowSec}, tolerance ${tol} s)`);
  }
  if (claims.iat > nowSec + tol) {
    refuse('RECEIPT_NOT_YET_VALID', 401, `receipt was issued in the future (iat ${claims.iat}, now ${nowSec}, tolerance ${tol} s)`);
  }
  if (claims.exp - claims.iat > maxLifetime) {
    refuse('RECEIPT_LIFETIME_TOO_LONG', 401, `receipt lifetime ${claims.exp - claims.iat} s exceeds the accepted ${maxLifetime} s`);
  }

  const method = request.method.toUpperCase();
  if (claims.req.m !== method) {
    refuse('RECEIPT_METHOD_MISMATCH', 403, `receipt authorises ${claims.req.m}, request is ${method}`);
  }
  if (claims.req.p !== request.path) {
    refuse('RECEIPT_PATH_MISMATCH', 403, 'receipt authorises a different path or query than this request', { expected: claims.req.p });
  }
  if (claims.req.b !== request.bodySha256.toLowerCase()) {
    refuse('RECEIPT_BODY_MISMATCH', 403, 'SHA-256 of the request body differs from the one the receipt authorises');
  }

  if ((claims.tier === 'HIGH' || claims.tier === 'CRITICAL') && claims.apv.length === 0) {
    refuse('RECEIPT_APPROVALS_MISSING', 403, `a ${claims.tier} receipt must list the approvals that authorised it`);
  }
  if (claims.quorum !== undefined) {
    verifyReceiptQuorum(claims.quorum, claims.apv);
  } else if (claims.tier === 'CRITICAL' && options.requireQuorum === true) {
    refuse('RECEIPT_QUORUM_MISSING', 403, 'CRITICAL receipt carries no quorum and this actuator requires one');
  }
}
