import { decodeProtectedHeader, importJWK, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import { FirewallError } from '../errors.ts';
import type { PublicKeyInfo } from '../signer.ts';
import { ACCESS_TOKEN_ROLE, ACCESS_TOKEN_TYP, MAX_ACCESS_TOKEN_TTL_SEC, parseScopeClaim, type AccessScope } from './access-token.ts';

export interface VerifiedAccessToken {
  sub: string;
  jti: string;
  scopes: AccessScope[];
  iat: number;
  exp: number;
}

export interface VerifyAccessTokenOptions {
  issuer: string;
  audience: string;
  /** Milliseconds since the epoch. */
  now: number;
  clockToleranceSec?: number;
}

const MAX_TOKEN_CHARS = 4096;

function unauthorised(message: string, cause?: unknown): FirewallError {
  // The same code as a failed client assertion: the caller learns nothing about which check failed.
  return new FirewallError('AUTH_INVALID', message, { status: 401, cause });
}

/** True when the compact JWS's protected header says it is an access token (not yet verified). */
export function looksLikeAccessToken(token: string): boolean {
  if (token.length > MAX_TOKEN_CHARS) return false;
  try {
    return decodeProtectedHeader(token).typ === ACCESS_TOKEN_TYP;
  } catch {
    return false;
  }
}

/** Key id named in the token's protected header, if any. */
export function accessTokenKid(token: string): string | undefined {
  try {
    const kid = decodeProtectedHeader(token).kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

/** Import the HSM's token public key for jose. */
export async function importTokenKey(info: PublicKeyInfo): Promise<CryptoKey | Uint8Array> {
  if (info.purpose !== 'token') throw new FirewallError('TOKEN_KEY_INVALID', `key '${info.kid}' is not a token key`, { status: 500 });
  return importJWK(info.jwk as Parameters<typeof importJWK>[0], info.alg);
}

/**
 * Verify an access token with jose against the HSM's token public key: signature, `typ`, `alg`,
 * `kid`, issuer, audience, expiry (with tolerance), lifetime <= 1 h, `iat` not in the future, the
 * role and the scope syntax. Throws AUTH_INVALID (401) on any failure.
 */
export async function verifyAccessToken(token: string, key: { info: PublicKeyInfo; key: CryptoKey | Uint8Array }, o: VerifyAccessTokenOptions): Promise<VerifiedAccessToken> {
  if (token.length > MAX_TOKEN_CHARS) throw unauthorised('the access token is too long');
  if (accessTokenKid(token) !== key.info.kid) throw unauthorised('the access token names an unknown key');
  const tolerance = o.clockToleranceSec ?? 5;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.key, {
      issuer: o.issuer,
      audience: o.audience,
      algorithms: [key.info.alg],
      typ: ACCESS_TOKEN_TYP,
      clockTolerance: tolerance,
      currentDate: new Date(o.now),
      requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti'],
    }));
  } catch (cause) {
    throw unauthorised('the access token did not verify or has expired', cause);
  }
  const { sub, jti, iat, exp } = payload as { sub: unknown; jti: unknown; iat: unknown; exp: unknown };
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) throw unauthorised('the access token has no subject');
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 200) throw unauthorised('the access token jti is malformed');
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) throw unauthorised('the access token times are malformed');
  if ((exp as number) - (iat as number) > MAX_ACCESS_TOKEN_TTL_SEC) throw unauthorised(`the access token lives longer than ${MAX_ACCESS_TOKEN_TTL_SEC} s`);
  if ((iat as number) > Math.floor(o.now / 1000) + tolerance) throw unauthorised('the access token was issued in the future');
  if (payload['role'] !== ACCESS_TOKEN_ROLE) throw unauthorised('the access token is not a regulator token');
  const scopes = parseScopeClaim(payload['scope']);
  if (scopes === null) throw unauthorised('the access token scope is malformed');
  return { sub, jti, scopes, iat: iat as number, exp: exp as number };
}
