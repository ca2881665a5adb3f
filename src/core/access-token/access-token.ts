import { FirewallError } from '../errors.ts';
import type { SigningAlgorithm } from '../signer.ts';

/**
 * Regulator access tokens (docs/regulator.md): short-lived, scoped bearer tokens the gateway signs
 * in the HSM (Signer purpose 'token') for a principal with role `regulator`, so an auditor's tools
 * can read the log for up to an hour without holding a key of their own on the machine that reads.
 */

/** JOSE `typ` of an access token (RFC 8725 §3.11): no receipt or client assertion can pass as one. */
export const ACCESS_TOKEN_TYP = 'af-access+jwt';

/** What a token may be used for. */
export const ACCESS_SCOPES = ['log:read', 'log:export'] as const;
export type AccessScope = (typeof ACCESS_SCOPES)[number];

/** The only role tokens are issued to. */
export const ACCESS_TOKEN_ROLE = 'regulator';

export const DEFAULT_ACCESS_TOKEN_TTL_SEC = 900;
export const MAX_ACCESS_TOKEN_TTL_SEC = 3600;
export const MIN_ACCESS_TOKEN_TTL_SEC = 60;

export interface AccessTokenHeader {
  alg: SigningAlgorithm;
  kid: string;
  typ: typeof ACCESS_TOKEN_TYP;
}

export interface AccessTokenClaims {
  /** The gateway's public origin (PUBLIC_URL). */
  iss: string;
  /** The gateway's public origin: tokens are good at this gateway only. */
  aud: string;
  /** Principal id of the regulator. */
  sub: string;
  /** Issued at, NumericDate (seconds). */
  iat: number;
  /** Expiry, NumericDate; exp - iat <= 3600. */
  exp: number;
  /** Unique token id; recorded in the log's regulator.token_issued entry. */
  jti: string;
  /** Space-separated scopes, sorted, each once (RFC 8693 §4.2 style). */
  scope: string;
  /** Always 'regulator'. */
  role: typeof ACCESS_TOKEN_ROLE;
}

function invalid(message: string): never {
  throw new FirewallError('TOKEN_REQUEST_INVALID', message, { status: 400 });
}

export function isAccessScope(v: unknown): v is AccessScope {
  return typeof v === 'string' && (ACCESS_SCOPES as readonly string[]).includes(v);
}

/** Validate a requested scope list: non-empty, known scopes; returns them sorted and unique. */
export function normaliseScopes(v: unknown): AccessScope[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > ACCESS_SCOPES.length * 2) invalid(`'scopes' must be a non-empty array of ${ACCESS_SCOPES.join(', ')}`);
  for (const s of v) if (!isAccessScope(s)) invalid(`unknown scope ${JSON.stringify(s)}: known scopes are ${ACCESS_SCOPES.join(', ')}`);
  return [...new Set(v as AccessScope[])].sort();
}

/** Parse the `scope` claim of a verified token strictly: known scopes, single spaces, each once. */
export function parseScopeClaim(v: unknown): AccessScope[] | null {
  if (typeof v !== 'string' || v.length === 0 || v.length > 200) return null;
  const parts = v.split(' ');
  if (!parts.every(isAccessScope) || new Set(parts).size !== parts.length) return null;
  return parts as AccessScope[];
}

/** Validate a requested lifetime in seconds (default 900, 60..3600). */
export function normaliseTtl(v: unknown): number {
  if (v === undefined) return DEFAULT_ACCESS_TOKEN_TTL_SEC;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < MIN_ACCESS_TOKEN_TTL_SEC || v > MAX_ACCESS_TOKEN_TTL_SEC) {
    invalid(`'ttlSeconds' must be a whole number from ${MIN_ACCESS_TOKEN_TTL_SEC} to ${MAX_ACCESS_TOKEN_TTL_SEC}`);
  }
  return v;
}
