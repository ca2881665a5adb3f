import type { Request, Response } from 'express';
import { parse as parseCookie } from 'cookie';

/**
 * The regulator console's cookie: the session's access token, HttpOnly (no script reads it),
 * SameSite=Strict, Path=/. On an https origin `__Host-af_regulator` (Secure, no Domain: set by
 * this exact origin over TLS); on loopback http, where a Secure cookie is not kept by every
 * browser, `af_regulator`. It outlives the token by a day, so that an expired session can be
 * named as such instead of looking like no session.
 */
const SECURE = '__Host-af_regulator';
const LOOPBACK = 'af_regulator';
const OUTLIVES_MS = 24 * 3600_000;

const nameFor = (origin: string): string => (origin.startsWith('https:') ? SECURE : LOOPBACK);

export function setConsoleCookie(res: Response, origin: string, token: string, expiresAtMs: number, now: number): void {
  res.cookie(nameFor(origin), token, { httpOnly: true, secure: origin.startsWith('https:'), sameSite: 'strict', path: '/', maxAge: Math.max(0, expiresAtMs - now) + OUTLIVES_MS });
}

export function clearConsoleCookie(res: Response, origin: string): void {
  res.clearCookie(nameFor(origin), { httpOnly: true, secure: origin.startsWith('https:'), sameSite: 'strict', path: '/' });
}

export function consoleCookie(req: Request, origin: string): string | undefined {
  return parseCookie(req.get('cookie') ?? '')[nameFor(origin)];
}
