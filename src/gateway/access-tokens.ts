import { randomUUID } from 'node:crypto';
import type { CryptoKey } from 'jose';
import type { Clock } from '../core/clock.ts';
import { FirewallError, isFirewallError } from '../core/errors.ts';
import type { PublicKeyInfo, Signer } from '../core/signer.ts';
import { ACCESS_TOKEN_ROLE, normaliseScopes, normaliseTtl, type AccessScope } from '../core/access-token/access-token.ts';
import { signAccessToken } from '../core/access-token/sign-access-token.ts';
import { accessTokenKid, importTokenKey, verifyAccessToken, type VerifiedAccessToken } from '../core/access-token/verify-access-token.ts';
import type { PrincipalRecord } from './ports/principals.ts';
import type { Store } from './ports/store.ts';

export interface AccessTokensOptions {
  signer: Signer;
  store: Store;
  clock: Clock;
  /** The gateway's public origin: `iss` and `aud` of every token. */
  origin: string;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  scopes: AccessScope[];
  /** NumericDate (seconds). */
  exp: number;
  expiresIn: number;
  /** Log index of the regulator.token_issued entry. */
  logIndex: number;
}

type TokenKey = { info: PublicKeyInfo; key: CryptoKey | Uint8Array };

/**
 * Issues and checks regulator access tokens. Issuing signs in the HSM and records a
 * `regulator.token_issued` entry (jti, scopes, exp; never the token) before the token is handed
 * out. Checking verifies the signature against the HSM's token key and then the principal as it is
 * now: a disabled principal, or one that lost the regulator role, can no longer use its tokens.
 */
export class AccessTokens {
  readonly #o: AccessTokensOptions;
  #key: Promise<TokenKey> | undefined;

  constructor(o: AccessTokensOptions) {
    this.#o = o;
  }

  #loadKey(refresh = false): Promise<TokenKey> {
    if (refresh || this.#key === undefined) {
      const p = (async () => {
        const info = await this.#o.signer.publicKey('token');
        return { info, key: await importTokenKey(info) };
      })();
      p.catch(() => {
        if (this.#key === p) this.#key = undefined;
      });
      this.#key = p;
    }
    return this.#key;
  }

  async issue(principal: PrincipalRecord, request: { scopes?: unknown; ttlSeconds?: unknown }): Promise<IssuedAccessToken> {
    if (!principal.roles.includes(ACCESS_TOKEN_ROLE)) {
      throw new FirewallError('ROLE_FORBIDDEN', 'access tokens are issued to principals with the regulator role only', { status: 403 });
    }
    const scopes = normaliseScopes(request.scopes ?? ['log:read']);
    const ttl = normaliseTtl(request.ttlSeconds);
    const now = this.#o.clock.now();
    const iat = Math.floor(now / 1000);
    const jti = randomUUID();
    const claims = { iss: this.#o.origin, aud: this.#o.origin, sub: principal.id, iat, exp: iat + ttl, jti, scope: scopes.join(' '), role: ACCESS_TOKEN_ROLE } as const;
    let key = await this.#loadKey();
    let token: string;
    try {
      token = await signAccessToken(this.#o.signer, claims, { key: key.info });
    } catch (e) {
      // The key may have rotated since it was cached: look it up once more.
      if (!isFirewallError(e, 'TOKEN_SIGNING_FAILED')) throw e;
      key = await this.#loadKey(true);
      token = await signAccessToken(this.#o.signer, claims, { key: key.info });
    }
    // Recorded before the token leaves: an issued token is always in the log.
    const logIndex = await this.#o.store.tx(async (tx) =>
      tx.audit([{ v: 1, type: 'regulator.token_issued', ts: now, by: principal.id, jti, scopes, exp: claims.exp }]),
    );
    return { token, jti, scopes, exp: claims.exp, expiresIn: ttl, logIndex };
  }

  /** Verify a token and load its principal. Throws AUTH_INVALID (401) on any failure. */
  async authenticate(token: string): Promise<{ principal: PrincipalRecord; token: VerifiedAccessToken }> {
    let key = await this.#loadKey();
    if (accessTokenKid(token) !== key.info.kid) key = await this.#loadKey(true);
    const verified = await verifyAccessToken(token, key, { issuer: this.#o.origin, audience: this.#o.origin, now: this.#o.clock.now() });
    const principal = await this.#o.store.principals.get(verified.sub);
    if (principal === undefined || principal.disabled || !principal.roles.includes(ACCESS_TOKEN_ROLE)) {
      throw new FirewallError('AUTH_INVALID', 'the access token belongs to a principal that is unknown, disabled or no longer a regulator', { status: 401 });
    }
    return { principal, token: verified };
  }
}
