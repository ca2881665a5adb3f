import type { NextFunction, Request, Response } from 'express';
import { FirewallError } from '../../core/errors.ts';
import type { GatewayContext } from '../../gateway/context.ts';
import type { PrincipalRecord } from '../../gateway/ports/principals.ts';
import { appSessionPrincipal, hasAppSessionCookie, refuseCrossSite, type AppSessionDeps } from './app-guard.ts';
import { authenticateRequest } from './authenticate-request.ts';

/**
 * The app's sessions, once the approver app is mounted (it mounts after the signature routes, and
 * a gateway may run without it): read on each request.
 */
export type AppSessionSource = () => AppSessionDeps | undefined;

/**
 * A person's own signature routes (docs/protocol.md §1: their record, their challenges, their
 * enrolment sessions) as the approver app calls them: a request without a client assertion or
 * session signature that carries the app's session cookie is authenticated by that session
 * (docs/approver-app.md §Sessions), under the app's cross-site rules (Fetch Metadata; Origin on
 * POST). Everything else goes through authenticateRequest as before.
 */
export function personCredential(ctx: GatewayContext, appSessions: AppSessionSource) {
  const assertion = authenticateRequest(ctx);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const deps = appSessions();
    const machine = req.headers.authorization !== undefined || req.headers['signature-input'] !== undefined || req.headers['signature'] !== undefined;
    if (machine || deps === undefined || !hasAppSessionCookie(req.headers.cookie)) return assertion(req, res, next);
    refuseCrossSite(req, deps.origins);
    const got = await appSessionPrincipal({ origin: req.get('origin'), host: req.get('host'), cookie: req.headers.cookie }, deps);
    if (got === undefined) throw new FirewallError('SESSION_REQUIRED', 'sign in with your passkey', { status: 401 });
    await ctx.limits.agent(got.principal.id);
    res.locals['principal'] = got.principal;
    res.locals['credential'] = 'app-session';
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

/**
 * The person a WebSocket upgrade's app session cookie names (the live signing session opened by
 * the app's page), or undefined when the upgrade carries no app cookie (a device then
 * authenticates with a client assertion, in the Authorization header or the hello). An Origin
 * outside the WebAuthn origins was refused before this (challenge-socket.ts); the cookie must name
 * a live session on that origin.
 */
export async function upgradeSessionPrincipal(
  headers: { origin?: string | undefined; host?: string | undefined; cookie?: string | undefined },
  appSessions: AppSessionSource,
): Promise<{ principal: PrincipalRecord } | { refused: { status: number; code: string; detail: string } } | undefined> {
  const deps = appSessions();
  if (deps === undefined || !hasAppSessionCookie(headers.cookie)) return undefined;
  // A browser always sends Origin on a WebSocket upgrade; a cookie without one is not the app's page.
  if (headers.origin === undefined) return { refused: { status: 403, code: 'ORIGIN_REFUSED', detail: 'a session cookie is honoured only from the approver app\'s own origin' } };
  const got = await appSessionPrincipal(headers, deps);
  if (got === undefined) return { refused: { status: 401, code: 'SESSION_REQUIRED', detail: 'sign in with your passkey' } };
  return { principal: got.principal };
}
