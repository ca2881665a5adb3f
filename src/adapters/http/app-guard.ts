import type { NextFunction, Request, Response } from 'express';
import { parse as parseCookie } from 'cookie';
import { FirewallError } from '../../core/errors.ts';
import type { PrincipalRecord, Store } from '../store/store.ts';
import type { AppSessions } from '../../gateway/approver/sessions.ts';

/**
 * The approver app's session cookie. On an https origin it is `__Host-af_session` (Secure, Path=/,
 * no Domain: the browser guarantees it was set by this exact origin over TLS). A plain-http origin
 * is only ever loopback (passkeys need a secure context, and http://localhost is one): there the
 * cookie cannot be Secure in every browser, so it is `af_session` without the prefix. Both are
 * HttpOnly and SameSite=Strict; the session row records its origin and a cookie is honoured only
 * under the name that origin's scheme gives (docs/approver-app.md §Sessions).
 */
export const SECURE_COOKIE = '__Host-af_session';
export const LOOPBACK_COOKIE = 'af_session';

export function cookieNameFor(origin: string): string {
  return origin.startsWith('https:') ? SECURE_COOKIE : LOOPBACK_COOKIE;
}

export function setSessionCookie(res: Response, origin: string, token: string, maxAgeMs: number): void {
  const secure = origin.startsWith('https:');
  res.cookie(cookieNameFor(origin), token, { httpOnly: true, secure, sameSite: 'strict', path: '/', maxAge: maxAgeMs });
}

export function clearSessionCookie(res: Response, origin: string): void {
  res.clearCookie(cookieNameFor(origin), { httpOnly: true, secure: origin.startsWith('https:'), sameSite: 'strict', path: '/' });
}

const SAFE = new Set(['GET', 'HEAD']);

/**
 * Every app API request: refuse what a browser marks as coming from another site (Fetch Metadata),
 * and every state-changing request whose Origin is not one of the app's origins (a cross-site POST,
 * or a client that sends none: the app's own page always sends it on POST/PUT/DELETE).
 */
export function appRequestGuard(origins: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const site = req.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new FirewallError('CROSS_SITE_REFUSED', 'requests from another site are refused', { status: 403 });
    }
    if (!SAFE.has(req.method)) {
      const origin = req.get('origin');
      if (origin === undefined || !origins.includes(origin)) throw new FirewallError('ORIGIN_REFUSED', 'this request must come from the approver app\'s own origin', { status: 403 });
      res.locals['origin'] = origin;
    }
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

/** The request's origin as the app sees it: the Origin header, else (a same-origin GET) the first app origin whose host matches. */
export function requestOrigin(req: Request, origins: readonly string[]): string | undefined {
  const o = req.get('origin');
  if (o !== undefined) return origins.includes(o) ? o : undefined;
  const host = req.get('host');
  return origins.find((x) => new URL(x).host === host);
}

/** Requires a live session; sets res.locals.principal to the person it is bound to. */
export function requireAppSession(o: { sessions: AppSessions; store: Store; origins: readonly string[]; personExists: (id: string) => boolean }) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const origin = requestOrigin(req, o.origins);
    const none = () => new FirewallError('SESSION_REQUIRED', 'sign in with your passkey', { status: 401 });
    if (origin === undefined) throw none();
    const cookies = parseCookie(req.get('cookie') ?? '');
    const token = cookies[cookieNameFor(origin)];
    const s = await o.sessions.resolve(token);
    // Bound to its origin: a cookie replayed on another of the app's origins is not a session there.
    if (s === undefined || s.origin !== origin) throw none();
    const p = await o.store.getPrincipal(s.person);
    if (p === undefined || p.disabled || !o.personExists(p.id)) throw none();
    res.locals['principal'] = p satisfies PrincipalRecord;
    res.locals['sessionToken'] = token;
    res.locals['origin'] = origin;
    next();
  };
}
