import type { AccessScope } from '../../core/access-token/access-token.ts';
import type { Clock } from '../../core/clock.ts';
import { FirewallError } from '../../core/errors.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { RegulatorSessionRow } from '../ports/regulator-console.ts';
import type { Store } from '../ports/store.ts';
import { tokenDigest } from '../approver/secret-token.ts';
import type { AccessTokens } from '../access-tokens.ts';
import { consoleError } from './console-errors.ts';
import type { ConsoleAssertion } from './console-passkeys.ts';

/** What a console request acts as: the regulator, and the session (scopes, expiry, token id). */
export interface ConsoleAccess {
  principal: PrincipalRecord;
  session: RegulatorSessionRow;
}

export interface OpenedSession {
  /** The access token: goes into the HttpOnly cookie and nowhere else. */
  token: string;
  person: string;
  jti: string;
  scopes: AccessScope[];
  /** NumericDate (seconds). */
  exp: number;
  logIndex: number;
}

/** Rows of expired sessions are kept this long, so the page can say "expired" rather than "sign in". */
const KEEP_EXPIRED_MS = 24 * 3600_000;
/** Longest access token the console accepts in a cookie (the token format is far shorter). */
const MAX_TOKEN_CHARS = 4096;

/**
 * Console sessions are regulator access tokens (docs/regulator.md §2) held in an HttpOnly cookie:
 * the same scopes, the same lifetime limits (60 s–1 h, never extended), the same HSM signature,
 * the same `regulator.token_issued` entry (with `via: "passkey"`, the passkey and its counter).
 * A row keyed by the token's SHA-256 binds it to the origin it was opened on, lets sign-out end
 * it before its expiry, and lets an expired session be told apart from no session at all.
 */
export class ConsoleSessions {
  readonly #d: { store: Store; clock: Clock; tokens: AccessTokens };

  constructor(d: { store: Store; clock: Clock; tokens: AccessTokens }) {
    this.#d = d;
  }

  /** After a verified passkey assertion: the counter advances, the token is issued and logged, the session recorded, in one transaction. */
  async open(a: ConsoleAssertion, request: { scopes?: unknown; ttlSeconds?: unknown }, origin: string): Promise<OpenedSession> {
    const now = this.#d.clock.now();
    const issued = await this.#d.tokens.issue(a.principal, request, {
      entry: { via: 'passkey', device: a.passkey.credentialId, counter: a.newCounter },
      alongside: async (tx, { token, jti, scopes, exp }) => {
        if (!(await tx.regulatorConsole.advanceCounter(a.passkey.credentialId, a.newCounter))) {
          throw consoleError('COUNTER_REGRESSION', 'the signature counter did not advance: a cloned authenticator?');
        }
        await tx.regulatorConsole.purgeSessions(now - KEEP_EXPIRED_MS);
        await tx.regulatorConsole.insertSession({ tokenSha256: tokenDigest(token), jti, person: a.principal.id, origin, scopes, createdAt: now, expiresAt: exp * 1000 });
      },
    });
    return { token: issued.token, person: a.principal.id, jti: issued.jti, scopes: issued.scopes, exp: issued.exp, logIndex: issued.logIndex };
  }

  /**
   * The access a cookie's token gives on `origin`: SESSION_REQUIRED without a session there,
   * REGULATOR_SESSION_EXPIRED once it has expired, AUTH_INVALID when the token no longer verifies
   * or its regulator was disabled or lost the role since.
   */
  async resolve(token: string | undefined, origin: string): Promise<ConsoleAccess> {
    if (token === undefined || token.length === 0 || token.length > MAX_TOKEN_CHARS) throw consoleError('SESSION_REQUIRED', 'sign in with your passkey');
    const session = await this.#d.store.regulatorConsole.session(tokenDigest(token));
    if (session === undefined || session.origin !== origin) throw consoleError('SESSION_REQUIRED', 'sign in with your passkey');
    if (session.expiresAt <= this.#d.clock.now()) {
      throw consoleError('REGULATOR_SESSION_EXPIRED', `your regulator session expired at ${new Date(session.expiresAt).toISOString()}; sign in again`, { detail: { expiredAt: new Date(session.expiresAt).toISOString() } });
    }
    const { principal, token: verified } = await this.#d.tokens.authenticate(token);
    if (verified.jti !== session.jti || principal.id !== session.person) throw new FirewallError('AUTH_INVALID', 'the session does not match its token', { status: 401 });
    return { principal, session };
  }

  /** Sign-out: the session ends before its expiry (logged); the token is refused from then on. */
  async end(access: ConsoleAccess): Promise<void> {
    const now = this.#d.clock.now();
    await this.#d.store.tx(async (tx) => {
      await tx.regulatorConsole.deleteSession(access.session.tokenSha256);
      await tx.audit([{ v: 1, type: 'regulator.session_ended', ts: now, by: access.principal.id, tokenJti: access.session.jti }]);
    });
  }
}

/** 403 SCOPE_INSUFFICIENT unless the session carries the scope (as for a regulator access token). */
export function requireScope(access: ConsoleAccess, scope: AccessScope): void {
  if (!access.session.scopes.includes(scope)) {
    throw new FirewallError('SCOPE_INSUFFICIENT', `this session does not carry the scope '${scope}': sign in again and ask for it`, { status: 403, detail: { requiredScope: scope } });
  }
}
