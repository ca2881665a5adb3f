import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { AgentSigningKey } from './keys.ts';

/**
 * The per-request credential (RFC 7523-style client assertion, DPoP-style request binding):
 * a JWT signed by the agent's key with iss = sub = agent id, aud = gateway origin, a short
 * lifetime, a unique jti (the gateway refuses reuse), htm = HTTP method, htu = request URL
 * without query or fragment.
 */

export const MAX_ASSERTION_LIFETIME_SEC = 300;

export interface AssertionParams {
  agentId: string;
  /** Gateway origin, e.g. 'http://127.0.0.1:8080'. */
  audience: string;
  method: string;
  url: URL;
  /** Seconds since the epoch. */
  nowSec: number;
  lifetimeSec: number;
}

/** `htu` as DPoP (RFC 9449 §4.2) defines it: the URL without query and fragment. */
export function htuOf(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

export async function mintClientAssertion(key: AgentSigningKey, p: AssertionParams): Promise<string> {
  const header: { alg: string; typ: string; kid?: string } = { alg: key.alg, typ: 'JWT' };
  if (key.kid !== undefined) header.kid = key.kid;
  return new SignJWT({ htm: p.method.toUpperCase(), htu: htuOf(p.url) })
    .setProtectedHeader(header)
    .setIssuer(p.agentId)
    .setSubject(p.agentId)
    .setAudience(p.audience)
    .setIssuedAt(p.nowSec)
    .setExpirationTime(p.nowSec + Math.min(p.lifetimeSec, MAX_ASSERTION_LIFETIME_SEC))
    .setJti(randomUUID())
    .sign(key.key);
}
