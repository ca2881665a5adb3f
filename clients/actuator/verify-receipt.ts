import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey, type RemoteJWKSetOptions } from 'jose';
import { FirewallError } from '../../src/core/errors.ts';
import { parseReceiptClaims } from '../../src/core/receipt/parse-receipt-claims.ts';
import { RECEIPT_ALGORITHMS, RECEIPT_TYP, type ReceiptHeader, type VerifiedReceipt } from '../../src/core/receipt/receipt.ts';

/**
 * Signature-level verification of a receipt JWS with jose: key from the gateway's JWKS, `typ`,
 * `alg`, `iss`, `aud`, `exp`/`nbf`/`iat`; then strict parsing of every claim. The request binding
 * is checked separately (verifyReceiptClaims), because it needs the request.
 */

/** The gateway's receipt keys: its `/.well-known/jwks.json` URL, or the key set itself. */
export function receiptKeySet(jwks: URL | JSONWebKeySet, options?: RemoteJWKSetOptions): JWTVerifyGetKey {
  return jwks instanceof URL ? createRemoteJWKSet(jwks, options) : createLocalJWKSet(jwks);
}

export interface VerifyReceiptOptions {
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  clockToleranceSec: number;
  /** Milliseconds since the epoch. */
  now: number;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_RECEIPT_CHARS = 16 * 1024;

function refuse(code: string, message: string, status = 401, cause?: unknown): never {
  throw new FirewallError(code, message, { status, cause });
}

export async function verifyReceipt(jws: string, options: VerifyReceiptOptions): Promise<VerifiedReceipt> {
  if (jws.length > MAX_RECEIPT_CHARS) refuse('RECEIPT_MALFORMED', `receipt is longer than ${MAX_RECEIPT_CHARS} characters`);
  if (!COMPACT_JWS.test(jws)) refuse('RECEIPT_MALFORMED', 'receipt is not a compact JWS (three base64url parts)');
  let verified;
  try {
    verified = await jwtVerify(jws, options.keys, {
      issuer: options.issuer,
      audience: options.audience,
      typ: RECEIPT_TYP,
      algorithms: [...RECEIPT_ALGORITHMS],
      clockTolerance: options.clockToleranceSec,
      currentDate: new Date(options.now),
      requiredClaims: ['iss', 'sub', 'aud', 'jti', 'iat', 'exp'],
    });
  } catch (e) {
    throw mapJoseError(e, options);
  }
  const { protectedHeader, payload } = verified;
  if (typeof protectedHeader.kid !== 'string' || protectedHeader.kid.length === 0) refuse('RECEIPT_MALFORMED', "receipt header has no 'kid'");
  if (protectedHeader.crit !== undefined) refuse('RECEIPT_MALFORMED', "receipt header must not carry 'crit'");
  const header: ReceiptHeader = { alg: protectedHeader.alg as ReceiptHeader['alg'], kid: protectedHeader.kid, typ: RECEIPT_TYP };
  return { header, claims: parseReceiptClaims(payload) };
}

function mapJoseError(e: unknown, options: VerifyReceiptOptions): FirewallError {
  if (e instanceof FirewallError) return e;
  if (e instanceof errors.JWTExpired) return new FirewallError('RECEIPT_EXPIRED', `receipt expired: ${e.message}`, { status: 401, cause: e });
  if (e instanceof errors.JWTClaimValidationFailed) {
    switch (e.claim) {
      case 'iss':
        return new FirewallError('RECEIPT_ISSUER_MISMATCH', `receipt was not issued by '${options.issuer}'`, { status: 401, cause: e });
      case 'aud':
        return new FirewallError('RECEIPT_AUDIENCE_MISMATCH', `receipt is not for actuator '${options.audience}'`, { status: 401, cause: e });
      case 'nbf':
        return new FirewallError('RECEIPT_NOT_YET_VALID', `receipt is not valid yet: ${e.message}`, { status: 401, cause: e });
      case 'iat':
        return new FirewallError('RECEIPT_NOT_YET_VALID', `receipt 'iat' is invalid: ${e.message}`, { status: 401, cause: e });
      default:
        return new FirewallError('RECEIPT_MALFORMED', `receipt '${e.claim}' is invalid: ${e.message}`, { status: 401, cause: e });
    }
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) {
    return new FirewallError('RECEIPT_SIGNATURE_INVALID', 'receipt signature does not verify with the gateway key it names', { status: 401, cause: e });
  }
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) {
    return new FirewallError('RECEIPT_KEY_UNKNOWN', "no single gateway receipt key matches the receipt's 'kid' and 'alg'", { status: 401, cause: e });
  }
  if (e instanceof errors.JOSEAlgNotAllowed) {
    return new FirewallError('RECEIPT_MALFORMED', `receipt 'alg' is not one of ${RECEIPT_ALGORITHMS.join(', ')}`, { status: 401, cause: e });
  }
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) {
    return new FirewallError('RECEIPT_KEYS_UNAVAILABLE', `gateway receipt keys could not be loaded: ${e.message}`, { status: 503, cause: e });
  }
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid || e instanceof errors.JOSENotSupported || e instanceof errors.JWKInvalid) {
    return new FirewallError('RECEIPT_MALFORMED', `receipt is not a valid JWS/JWT: ${e.message}`, { status: 401, cause: e });
  }
  if (e instanceof errors.JOSEError) {
    return new FirewallError('RECEIPT_MALFORMED', `receipt rejected: ${e.message}`, { status: 401, cause: e });
  }
  // Network failure fetching the JWKS, or anything else outside the token itself.
  return new FirewallError('RECEIPT_KEYS_UNAVAILABLE', 'gateway receipt keys could not be loaded', { status: 503, cause: e });
}
