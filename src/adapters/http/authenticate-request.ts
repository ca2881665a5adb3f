import type { NextFunction, Request, Response } from 'express';
import { isFirewallError } from '../../core/errors.ts';
import type { PrincipalRecord } from '../store/store.ts';
import type { GatewayContext } from '../../gateway/context.ts';

/** Express middleware: verifies the client assertion, with a lock-out after repeated failures. */
export function authenticateRequest(ctx: GatewayContext) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    // Already authenticated by a client assertion for THIS request, in an earlier router it passed
    // through (e.g. the actions router before a capability's /v1/actions/... route): the assertion
    // is single use. (A reader access token never counts: only this middleware sets the flag.)
    if (res.locals['assertionVerified'] === true && res.locals['principal'] !== undefined) {
      next();
      return;
    }
    const address = req.socket.remoteAddress ?? 'unknown';
    await ctx.limits.checkAuthLock(address);
    try {
      const principal = await ctx.auth.verify(req.headers.authorization, req.method, req.path === '/' ? req.baseUrl : req.baseUrl + req.path);
      res.locals['principal'] = principal;
      res.locals['assertionVerified'] = true;
    } catch (e) {
      if (isFirewallError(e, 'AUTH_INVALID')) {
        await ctx.limits.authFailed(address);
        ctx.metrics.refusals.inc({ code: 'AUTH_INVALID' });
      }
      throw e;
    }
    await ctx.limits.agent((res.locals['principal'] as PrincipalRecord).id);
    next();
  };
}

export function principalOf(res: Response): PrincipalRecord {
  return res.locals['principal'] as PrincipalRecord;
}
