import { createHash } from 'node:crypto';

/** A bearer secret (invitation, session) as it is stored: its SHA-256, hex. Looking up by hash keeps the secret out of the database and makes the lookup independent of how much of a guess matches. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 32 random bytes (from the HSM's generator), base64url. */
export function newToken(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** The form of every token the app hands out: refuse anything else before touching the database. */
export function isTokenShaped(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(v);
}
