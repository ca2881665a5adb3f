import { decodeJwt, importJWK, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import type { Clock } from '../core/clock.ts';
import { FirewallError } from '../core/errors.ts';
import type { PrincipalRecord } from './ports/principals.ts';
import type { Store } from './ports/store.ts';
import type { ReplayCache } from './ports/replay-cache.ts';
import { useOnce } from './single-use.ts';

export interface AuthenticatorOptions {
  store: Store;
  clock: Clock;
  /** The gateway's public origin, e.g. http://127.0.0.1:8080: the assertions' `aud`. */
  audience: string;
  /**
   * Single use of assertion ids: in this process (jti-cache.ts MemoryReplayCache), or shared by
   * the replicas. Assertions issued before the cache can vouch for them are refused.
   */
  replay: ReplayCache;
  maxLifetimeSec?: number;
  clockToleranceSec?: number;
}

const ALGORITHMS = ['EdDSA', 'ES256'];

function unauthorised(message: string, cause?: unknown): FirewallError {
  // One code for every failure: the caller learns nothing about which check failed.
  return new FirewallError('AUTH_INVALID', message, { status: 401, cause });
}

/**
 * Codes: AUTH_INVALID (401, every verification failure); after a valid signature, the 503s of
 * single-use.ts (ReplayCheckCode) that refuse what might be a replay.
 */

/**
 * Verifies a JWT client assertion (RFC 7523 style, bound to the request like DPoP's htm/htu):
 * signed by the principal's registered key, for this gateway, fresh, single use.
 */
export class Authenticator {
  readonly #o: AuthenticatorOptions;
  readonly #keys = new Map<string, { jwk: string; key: CryptoKey | Uint8Array }>();

  constructor(o: AuthenticatorOptions) {
    this.#o = o;
  }

  async verify(authorization: string | undefined, method: string, pathname: string): Promise<PrincipalRecord> {
    if (authorization === undefined || !authorization.startsWith('Bearer ')) throw unauthorised('missing bearer client assertion');
    const token = authorization.slice(7).trim();
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch (cause) {
      throw unauthorised('the client assertion is not a JWT', cause);
    }
    const id = unverified.iss;
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw unauthorised('the client assertion has no issuer');
    const principal = await this.#o.store.principals.get(id);
    if (principal === undefined || principal.disabled) throw unauthorised('unknown or disabled principal');
    const key = await this.#keyFor(principal);
    const now = this.#o.clock.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        issuer: id,
        subject: id,
        audience: this.#o.audience,
        algorithms: ALGORITHMS,
        maxTokenAge: this.#o.maxLifetimeSec ?? 300,
        clockTolerance: this.#o.clockToleranceSec ?? 5,
        currentDate: new Date(now),
        requiredClaims: ['iat', 'exp', 'jti'],
      }));
    } catch (cause) {
      throw unauthorised('the client assertion did not verify', cause);
    }
    const maxLife = this.#o.maxLifetimeSec ?? 300;
    if ((payload.exp as number) - (payload.iat as number) > maxLife) throw unauthorised(`the client assertion lives longer than ${maxLife} s`);
    if (payload['htm'] !== method) throw unauthorised('the client assertion is bound to another HTTP method');
    if (payload['htu'] !== this.#o.audience + pathname) throw unauthorised('the client assertion is bound to another URL');
    if (typeof payload.jti !== 'string' || payload.jti.length < 8 || payload.jti.length > 200) throw unauthorised('the client assertion jti is malformed');
    const fresh = await useOnce(this.#o.replay, `${id}\n${payload.jti}`, { issuedAt: (payload.iat as number) * 1000, expiresAt: (payload.exp as number) * 1000 + 10_000 }, now, 'client assertion');
    if (!fresh) throw unauthorised('the client assertion was already used');
    return principal;
  }

  async #keyFor(p: PrincipalRecord): Promise<CryptoKey | Uint8Array> {
    const fingerprint = JSON.stringify(p.publicJwk);
    const cached = this.#keys.get(p.id);
    if (cached !== undefined && cached.jwk === fingerprint) return cached.key;
    const jwk = p.publicJwk as Record<string, unknown>;
    const alg = jwk['crv'] === 'Ed25519' ? 'EdDSA' : 'ES256';
    try {
      const key = await importJWK(p.publicJwk as Parameters<typeof importJWK>[0], alg);
      this.#keys.set(p.id, { jwk: fingerprint, key });
      return key;
    } catch (cause) {
      throw unauthorised('the registered key of this principal cannot be used', cause);
    }
  }
}
