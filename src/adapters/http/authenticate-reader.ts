import { clientAddress } from './client-address.ts';
import type { NextFunction, Request, Response } from 'express';
import { FirewallError, isFirewallError } from '../../core/errors.ts';
import type { AccessScope } from '../../core/access-token/access-token.ts';
import { looksLikeAccessToken } from '../../core/access-token/verify-access-token.ts';
import type { AccessTokens } from '../../gateway/access-tokens.ts';
import type { GatewayContext } from '../../gateway/context.ts';
import { authenticateRequest } from './authenticate-request.ts';

/** How a reader of the log authenticated: recorded in regulator.* entries. */
export type ReaderAccess = { via: 'assertion' } | { via: 'token'; jti: string; scopes: AccessScope[] };

export interface ReaderRequirement {
  /** Scope a regulator access token must carry. */
  scope: AccessScope;
  /** Roles a client assertion's principal may hold (any one). */
  roles: ReadonlySet<string>;
  /** Refusal detail when the principal holds none of them. */
  roleMessage: string;
}

/**
 * Express middleware for read-only regulator endpoints: accepts either a client assertion (as
 * every other endpoint, then a role check) or a regulator access token (then a scope check).
 * A token without the scope is 403 SCOPE_INSUFFICIENT; an expired, forged or revoked token is
 * 401 AUTH_INVALID and counts towards the address's lock-out like a failed assertion.
 */
export function authenticateReader(ctx: GatewayContext, tokens: AccessTokens, need: ReaderRequirement) {
  const assertion = authenticateRequest(ctx);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.headers.authorization;
    const bearer = header !== undefined && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (bearer === undefined || !looksLikeAccessToken(bearer)) {
      // authenticateRequest throws on failure and calls next() only on success.
      await assertion(req, res, () => {});
      const principal = res.locals['principal'] as { roles: string[] };
      if (!principal.roles.some((r) => need.roles.has(r))) throw new FirewallError('ROLE_FORBIDDEN', need.roleMessage, { status: 403 });
      res.locals['access'] = { via: 'assertion' } satisfies ReaderAccess;
      next();
      return;
    }
    const address = clientAddress(ctx, req);
    await ctx.limits.checkAuthLock(address);
    let authenticated;
    try {
      authenticated = await tokens.authenticate(bearer);
    } catch (e) {
      if (isFirewallError(e, 'AUTH_INVALID')) {
        await ctx.limits.authFailed(address);
        ctx.metrics.refusals.inc({ code: 'AUTH_INVALID' });
      }
      throw e;
    }
    if (!authenticated.token.scopes.includes(need.scope)) {
      throw new FirewallError('SCOPE_INSUFFICIENT', `this access token does not carry the scope '${need.scope}'`, {
        status: 403,
        detail: { requiredScope: need.scope },
      });
    }
    await ctx.limits.agent(authenticated.principal.id);
    res.locals['principal'] = authenticated.principal;
    res.locals['access'] = { via: 'token', jti: authenticated.token.jti, scopes: authenticated.token.scopes } satisfies ReaderAccess;
    next();
  };
}

export function readerAccessOf(res: Response): ReaderAccess {
  return res.locals['access'] as ReaderAccess;
}
