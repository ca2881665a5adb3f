import type { NextFunction, Request, Response } from 'express';
import { parse as parseCookie } from 'cookie';
import { FirewallError } from '../../core/errors.ts';
import type { PrincipalRecord } from '../../gateway/ports/principals.ts';
import type { Store } from '../../gateway/ports/store.ts';
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

/** Whether a Cookie header carries an app session cookie (under either name). */
export function hasAppSessionCookie(cookie: string | undefined): boolean {
  if (cookie === undefined) return false;
  const c = parseCookie(cookie);
  return c[SECURE_COOKIE] !== undefined || c[LOOPBACK_COOKIE] !== undefined;
}

/**
 * Refuses what a browser marks as coming from another site (Fetch Metadata), and a state-changing
 * request whose Origin is not one of the app's origins (a cross-site POST, or a client that sends
 * none: the app's own page always sends it on POST/PUT/DELETE). Returns that Origin, if checked.
 */
export function refuseCrossSite(req: Request, origins: readonly string[]): string | undefined {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new FirewallError('CROSS_SITE_REFUSED', 'requests from another site are refused', { status: 403 });
  }
  if (SAFE.has(req.method)) return undefined;
  const origin = req.get('origin');
  if (origin === undefined || !origins.includes(origin)) throw new FirewallError('ORIGIN_REFUSED', 'this request must come from the approver app\'s own origin', { status: 403 });
  return origin;
}

/** Every app API request passes refuseCrossSite; nothing it answers is cached. */
export function appRequestGuard(origins: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = refuseCrossSite(req, origins);
    if (origin !== undefined) res.locals['origin'] = origin;
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

export interface AppSessionDeps {
  sessions: AppSessions;
  store: Store;
  origins: readonly string[];
  personExists: (id: string) => Promise<boolean>;
}

/** The app origin a request comes from: its Origin when it sends one (it must be one of the app's), else the one whose host it names. */
export function appOriginOf(headers: { origin?: string | undefined; host?: string | undefined }, origins: readonly string[]): string | undefined {
  return headers.origin !== undefined ? (origins.includes(headers.origin) ? headers.origin : undefined) : origins.find((x) => new URL(x).host === headers.host);
}

/**
 * The person a request's app session cookie names, for any Node request (an express route, or a
 * WebSocket upgrade such as the live signing session's): undefined without a live session on the
 * request's own origin, or for a person disabled or erased since.
 */
export async function appSessionPrincipal(
  headers: { origin?: string | undefined; host?: string | undefined; cookie?: string | undefined },
  o: AppSessionDeps,
): Promise<{ principal: PrincipalRecord; origin: string; token: string; device: string | null } | undefined> {
  const origin = appOriginOf(headers, o.origins);
  if (origin === undefined) return undefined;
  const token = parseCookie(headers.cookie ?? '')[cookieNameFor(origin)];
  const s = await o.sessions.resolve(token);
  // Bound to its origin: a cookie replayed on another of the app's origins is not a session there.
  if (s === undefined || s.origin !== origin || token === undefined) return undefined;
  const p = await o.store.principals.get(s.person);
  if (p === undefined || p.disabled || !(await o.personExists(p.id))) return undefined;
  return { principal: p, origin, token, device: s.device };
}

/** Requires a live session; sets res.locals.principal to the person it is bound to. */
export function requireAppSession(o: AppSessionDeps) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const got = await appSessionPrincipal({ origin: req.get('origin'), host: req.get('host'), cookie: req.get('cookie') }, o);
    if (got === undefined) throw new FirewallError('SESSION_REQUIRED', 'sign in with your passkey', { status: 401 });
    res.locals['principal'] = got.principal;
    res.locals['sessionToken'] = got.token;
    res.locals['origin'] = got.origin;
    res.locals['sessionDevice'] = got.device;
    next();
  };
}
