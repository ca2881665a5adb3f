import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { FirewallError } from '../../../core/errors.ts';

/**
 * Content-Security-Policy of every app response: scripts, styles, images, fonts, connections,
 * the manifest and the service worker from this origin only; nothing inline, no eval, no frames,
 * no plugins, no <base>, no form posts.
 */
export const APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** The sensors the live signing screen may use, for this origin only (Web Bluetooth has no policy-controlled feature in Chromium). */
const PERMISSIONS = 'accelerometer=(self), gyroscope=(self), magnetometer=(self), microphone=(self), camera=(), geolocation=(), payment=(), usb=(), display-capture=()';

export function appSecurityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', APP_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', PERMISSIONS);
  res.setHeader('X-Frame-Options', 'DENY');
  if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
  next();
}

/** Where `npm run build:app` (run by npm's prepare) writes the app. */
export function appDistDir(projectRoot: string): string {
  return join(projectRoot, 'web/app/dist');
}

/** Client-side routes answered with index.html (the app routes with the History API). */
export const APP_PAGES = ['/', '/enrol', '/signin', '/inbox', '/actions/:id', '/sign/:id', '/comparator/:id', '/witness/:id'] as const;
/** The regulator console's pages: their own shell (a separate entry, which the approver's pages never load). */
export const REGULATOR_PAGES = ['/regulator', '/regulator/enrol', '/regulator/signin', '/regulator/search', '/regulator/actions/:id', '/regulator/charts', '/regulator/export', '/regulator/verify'] as const;

/** The built app under /app/: hashed assets cached for good, the shell and the service worker revalidated. */
export function appStaticRouter(projectRoot: string): Router {
  const r = express.Router();
  const dist = appDistDir(projectRoot);
  r.use(appSecurityHeaders);
  r.use((req: Request, _res: Response, next: NextFunction) => {
    if (!existsSync(join(dist, 'index.html'))) {
      throw new FirewallError('APP_NOT_BUILT', 'the approver app is not built: run `npm install` (its prepare step builds it) or `npm run build:app`', { status: 503 });
    }
    next();
  });
  r.use(
    express.static(dist, {
      index: false,
      redirect: false,
      setHeaders(res, path) {
        if (path.includes('/assets/')) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
        else res.setHeader('Cache-Control', 'no-cache');
        if (path.endsWith('sw.js')) res.setHeader('Service-Worker-Allowed', '/app/');
      },
    }),
  );
  for (const [pages, shell] of [[APP_PAGES, 'index.html'], [REGULATOR_PAGES, 'regulator.html']] as const) {
    for (const page of pages) {
      r.get(page, (_req: Request, res: Response) => {
        res.setHeader('Cache-Control', 'no-cache');
        res.sendFile(join(dist, shell));
      });
    }
  }
  return r;
}
