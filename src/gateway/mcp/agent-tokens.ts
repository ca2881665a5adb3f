import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import type { Clock } from '../../core/clock.ts';
import { FirewallError } from '../../core/errors.ts';
import { signCompactJws } from '../../core/jws/sign-compact-jws.ts';
import {
  AGENT_TOKEN_TYP,
  DEFAULT_AGENT_TOKEN_TTL_SEC,
  MAX_AGENT_TOKEN_TTL_SEC,
  MCP_SCOPE,
  mcpResource,
  type AgentTokenClaims,
} from '../../core/mcp/agent-token.ts';
import type { PublicKeyInfo, Signer } from '../../core/signer.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { Store } from '../ports/store.ts';
import type { ReplayCache } from '../ports/replay-cache.ts';
import { useOnce } from '../single-use.ts';
import type { RevokedTokens } from './revoked-tokens.ts';

/**
 * Error codes of the token endpoint, in OAuth's own vocabulary (RFC 6749 §5.2), so an OAuth client
 * library understands them: `invalid_request`, `invalid_client`, `unsupported_grant_type`,
 * `invalid_scope`, `invalid_target` (RFC 8707), `invalid_dpop_proof` (RFC 9449 §5). A failed
 * bearer token is `invalid_token` (RFC 6750 §3.1). They travel as FirewallError codes and are rendered as OAuth error bodies.
 */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope' | 'invalid_target' | 'invalid_token' | 'invalid_dpop_proof';

export function oauthError(code: OAuthErrorCode, message: string, cause?: unknown): FirewallError {
  const status = code === 'invalid_client' || code === 'invalid_token' ? 401 : 400;
  return new FirewallError(code, message, { status, cause });
}

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface TokenRequest {
  grant_type?: unknown;
  client_id?: unknown;
  client_assertion_type?: unknown;
  client_assertion?: unknown;
  scope?: unknown;
  resource?: unknown;
}

export interface IssuedAgentToken {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
}

export interface AgentTokensOptions {
  store: Store;
  signer: Signer;
  clock: Clock;
  /** The gateway's public origin: issuer of the tokens, audience of the client assertions. */
  origin: string;
  ttlSec?: number;
  /** Client-assertion ids, single use across the replicas (the cache the other entrances use). */
  replay: ReplayCache;
  /** Tokens revoked through any replica. */
  revoked: RevokedTokens;
}

/**
 * The gateway as OAuth 2.1 authorization server for its agents (client credentials with
 * private_key_jwt). Client assertions are single use across the replicas (the shared replay
 * cache), and a revocation reaches every replica through the log (revoked-tokens.ts), also after
 * a restart.
 */
export class AgentTokens {
  readonly #o: AgentTokensOptions;
  readonly #clientKeys = new Map<string, { jwk: string; key: CryptoKey | Uint8Array }>();
  #tokenKey: Promise<{ info: PublicKeyInfo; key: CryptoKey | Uint8Array }> | undefined;

  constructor(o: AgentTokensOptions) {
    this.#o = o;
  }

  get resource(): string {
    return mcpResource(this.#o.origin);
  }

  get tokenEndpoint(): string {
    return `${this.#o.origin}/oauth/token`;
  }

  /** RFC 6749 §4.4 with RFC 7523 §2.2 client authentication; the request is the form body. */
  async issue(req: TokenRequest, o: { dpopJkt?: string } = {}): Promise<{ token: IssuedAgentToken; principal: PrincipalRecord; jti: string; logIndex: number }> {
    if (req.grant_type !== 'client_credentials') throw oauthError('unsupported_grant_type', "only grant_type=client_credentials is supported");
    const principal = await this.authenticateClient(req);
    if (req.scope !== undefined && req.scope !== '' && req.scope !== MCP_SCOPE) throw oauthError('invalid_scope', `the only scope is '${MCP_SCOPE}'`);
    if (req.resource !== undefined && req.resource !== this.resource) throw oauthError('invalid_target', `the only resource is ${this.resource}`);
    const now = this.#o.clock.now();
    const iat = Math.floor(now / 1000);
    const ttl = Math.min(this.#o.ttlSec ?? DEFAULT_AGENT_TOKEN_TTL_SEC, MAX_AGENT_TOKEN_TTL_SEC);
    const jti = randomUUID();
    const claims: AgentTokenClaims = {
      iss: this.#o.origin,
      sub: principal.id,
      aud: this.resource,
      client_id: principal.id,
      iat,
      exp: iat + ttl,
      jti,
      scope: MCP_SCOPE,
      ...(o.dpopJkt === undefined ? {} : { cnf: { jkt: o.dpopJkt } }),
    };
    const key = await this.#loadTokenKey();
    const token = await signCompactJws(this.#o.signer, 'token', AGENT_TOKEN_TYP, { ...claims }, { key: key.info, code: 'TOKEN_SIGNING_FAILED' });
    // Recorded before the token leaves (its id and expiry, never the token).
    const logIndex = await this.#o.store.tx(async (tx) =>
      tx.audit([{ v: 1, type: 'agent.token_issued', ts: now, by: principal.id, jti, aud: this.resource, exp: claims.exp }]),
    );
    return { token: { access_token: token, token_type: o.dpopJkt === undefined ? 'Bearer' : 'DPoP', expires_in: ttl, scope: MCP_SCOPE }, principal, jti, logIndex };
  }

  /** Verifies the client assertion of a token or revocation request: the agent's registered key, for this gateway, single use. */
  async authenticateClient(req: TokenRequest): Promise<PrincipalRecord> {
    if (req.client_assertion_type !== CLIENT_ASSERTION_TYPE || typeof req.client_assertion !== 'string') {
      throw oauthError('invalid_client', `client authentication must be private_key_jwt (client_assertion_type=${CLIENT_ASSERTION_TYPE})`);
    }
    const assertion = req.client_assertion;
    if (assertion.length > 8192) throw oauthError('invalid_client', 'the client assertion is too long');
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(assertion);
    } catch (cause) {
      throw oauthError('invalid_client', 'the client assertion is not a JWT', cause);
    }
    const id = unverified.iss;
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw oauthError('invalid_client', 'the client assertion has no issuer');
    if (req.client_id !== undefined && req.client_id !== id) throw oauthError('invalid_client', 'client_id and the assertion issuer differ');
    const principal = await this.#o.store.principals.get(id);
    if (principal === undefined || principal.disabled || !principal.roles.includes('agent')) throw oauthError('invalid_client', 'unknown or disabled agent');
    const key = await this.#clientKey(principal);
    const now = this.#o.clock.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, key, {
        issuer: id,
        subject: id,
        // RFC 7523 §3: the authorization server's issuer or its token endpoint.
        audience: [this.#o.origin, this.tokenEndpoint, `${this.#o.origin}/`],
        algorithms: ['EdDSA', 'ES256'],
        maxTokenAge: 300,
        clockTolerance: 5,
        currentDate: new Date(now),
        requiredClaims: ['exp', 'jti'],
      }));
    } catch (cause) {
      throw oauthError('invalid_client', 'the client assertion did not verify', cause);
    }
    const exp = payload.exp as number;
    if (exp * 1000 - now > 300_000 + 5_000) throw oauthError('invalid_client', 'the client assertion lives longer than 300 s');
    if (typeof payload.jti !== 'string' || payload.jti.length < 8 || payload.jti.length > 200) throw oauthError('invalid_client', 'the client assertion jti is malformed');
    // iat is present: maxTokenAge above requires it.
    if (!(await useOnce(this.#o.replay, `${id}\n${payload.jti}`, { issuedAt: (payload.iat as number) * 1000, expiresAt: exp * 1000 + 10_000 }, now, 'client assertion'))) {
      throw oauthError('invalid_client', 'the client assertion was already used');
    }
    return principal;
  }

  /** Verifies a bearer token presented at /mcp and loads its agent as it is now. */
  async authenticate(token: string): Promise<{ principal: PrincipalRecord; jti: string; exp: number; jkt?: string }> {
    if (token.length > 4096) throw oauthError('invalid_token', 'the access token is too long');
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch (cause) {
      throw oauthError('invalid_token', 'the access token is not a JWS', cause);
    }
    let key = await this.#loadTokenKey();
    if (kid !== key.info.kid) key = await this.#loadTokenKey(true);
    const now = this.#o.clock.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.key, {
        issuer: this.#o.origin,
        audience: this.resource,
        algorithms: [key.info.alg],
        typ: AGENT_TOKEN_TYP,
        clockTolerance: 5,
        currentDate: new Date(now),
        requiredClaims: ['sub', 'iat', 'exp', 'jti', 'client_id'],
      }));
    } catch (cause) {
      throw oauthError('invalid_token', 'the access token did not verify or has expired', cause);
    }
    const { sub, jti, iat, exp, scope, cnf } = payload as { sub: string; jti: unknown; iat: number; exp: number; scope: unknown; cnf?: { jkt?: unknown } };
    if (typeof jti !== 'string') throw oauthError('invalid_token', 'the access token has no jti');
    if (scope !== MCP_SCOPE) throw oauthError('invalid_token', `the access token is not for scope '${MCP_SCOPE}'`);
    if (exp - iat > MAX_AGENT_TOKEN_TTL_SEC) throw oauthError('invalid_token', `the access token lives longer than ${MAX_AGENT_TOKEN_TTL_SEC} s`);
    if (await this.#o.revoked.isRevoked(jti)) throw oauthError('invalid_token', 'the access token was revoked');
    const principal = await this.#o.store.principals.get(sub);
    if (principal === undefined || principal.disabled || !principal.roles.includes('agent')) throw oauthError('invalid_token', 'the token belongs to an agent that is unknown or disabled');
    if (cnf !== undefined && typeof cnf.jkt !== 'string') throw oauthError('invalid_token', 'the access token has a malformed cnf');
    return { principal, jti, exp, ...(typeof cnf?.jkt === 'string' ? { jkt: cnf.jkt } : {}) };
  }

  /**
   * RFC 7009: the agent revokes one of its own tokens. Per the RFC an unknown or foreign token is
   * not an error (200), so revocation reveals nothing; the revocation is logged when it applies.
   */
  async revoke(req: TokenRequest & { token?: unknown }): Promise<void> {
    const principal = await this.authenticateClient(req);
    if (typeof req.token !== 'string' || req.token.length === 0) throw oauthError('invalid_request', "'token' is required");
    let payload: JWTPayload;
    try {
      const key = await this.#loadTokenKey();
      ({ payload } = await jwtVerify(req.token, key.key, { issuer: this.#o.origin, audience: this.resource, typ: AGENT_TOKEN_TYP, algorithms: [key.info.alg], clockTolerance: 5, currentDate: new Date(this.#o.clock.now()) }));
    } catch {
      return;
    }
    if (payload.sub !== principal.id || typeof payload.jti !== 'string' || typeof payload.exp !== 'number') return;
    const now = this.#o.clock.now();
    // Logged before it answers: the other replicas read their revocations from the log.
    await this.#o.store.tx(async (tx) => tx.audit([{ v: 1, type: 'agent.token_revoked', ts: now, by: principal.id, jti: payload.jti }]));
    this.#o.revoked.add(payload.jti);
  }

  #loadTokenKey(refresh = false): Promise<{ info: PublicKeyInfo; key: CryptoKey | Uint8Array }> {
    if (refresh || this.#tokenKey === undefined) {
      const p = (async () => {
        const info = await this.#o.signer.publicKey('token');
        return { info, key: await importJWK(info.jwk as Parameters<typeof importJWK>[0], info.alg) };
      })();
      p.catch(() => {
        if (this.#tokenKey === p) this.#tokenKey = undefined;
      });
      this.#tokenKey = p;
    }
    return this.#tokenKey;
  }

  async #clientKey(p: PrincipalRecord): Promise<CryptoKey | Uint8Array> {
    const fingerprint = JSON.stringify(p.publicJwk);
    const cached = this.#clientKeys.get(p.id);
    if (cached !== undefined && cached.jwk === fingerprint) return cached.key;
    const jwk = p.publicJwk as Record<string, unknown>;
    try {
      const key = await importJWK(p.publicJwk as Parameters<typeof importJWK>[0], jwk['crv'] === 'Ed25519' ? 'EdDSA' : 'ES256');
      this.#clientKeys.set(p.id, { jwk: fingerprint, key });
      return key;
    } catch (cause) {
      throw oauthError('invalid_client', 'the registered key of this agent cannot be used', cause);
    }
  }
}
