import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

/** Mints a client assertion by hand, so tests can also mint wrong ones. */
export async function mintAssertion(
  key: KeyObject,
  o: { id: string; aud: string; method: string; path: string; lifetimeSec?: number; iat?: number; jti?: string; alg?: string; overrides?: Record<string, unknown> },
): Promise<string> {
  const iat = o.iat ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ htm: o.method, htu: o.aud + o.path, ...(o.overrides ?? {}) })
    .setProtectedHeader({ alg: o.alg ?? 'EdDSA' })
    .setIssuer(o.id)
    .setSubject(o.id)
    .setAudience(o.aud)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (o.lifetimeSec ?? 120))
    .setJti(o.jti ?? randomUUID())
    .sign(key);
}
