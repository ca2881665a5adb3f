import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { JSONWebKeySet, RemoteJWKSetOptions } from 'jose';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import { sha256Hex } from '../../src/core/canonical.ts';
import { FirewallError, isFirewallError } from '../../src/core/errors.ts';
import { IDEMPOTENCY_KEY_HEADER, RECEIPT_HEADER, type ReceiptClaims } from '../../src/core/receipt/receipt.ts';
import { DEFAULT_CLOCK_TOLERANCE_SEC, verifyReceiptClaims } from '../../src/core/receipt/verify-receipt-claims.ts';
import { checkStrictJson } from '../../src/core/wire/strict-json.ts';
import { sendProblem } from './problem.ts';
import { DEFAULT_BODY_LIMIT_BYTES, isJsonContentType, readRawBody } from './raw-body.ts';
import { claimReceiptOnce, MemoryReplayCache, type ReplayCache } from './replay-cache.ts';
import { receiptKeySet, verifyReceipt } from './verify-receipt.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** Claims of the receipt analogFirewall() verified for this request. */
    analogFirewall?: ReceiptClaims;
  }
}

export interface AnalogFirewallOptions {
  /** The gateway's receipt keys: `new URL('https://gateway/.well-known/jwks.json')` or the key set. */
  jwks: URL | JSONWebKeySet;
  /** The gateway id the receipts must carry as `iss`. */
  issuer: string;
  /** This actuator's name, which receipts must carry as `aud`. */
  audience: string;
  /** Allowed clock skew, seconds. Default 5. */
  clockToleranceSec?: number;
  /** Where used `jti`s are remembered. Default: a MemoryReplayCache (one process only). */
  replayCache?: ReplayCache;
  /** Refuse CRITICAL receipts that carry no `quorum`. Default false. */
  requireQuorum?: boolean;
  /** Longest accepted receipt lifetime (`exp` - `iat`), seconds. Default 300. */
  maxLifetimeSec?: number;
  /** Largest accepted body, bytes. Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Options for jose's createRemoteJWKSet when `jwks` is a URL. */
  jwksOptions?: RemoteJWKSetOptions;
  clock?: Clock;
}

/**
 * Express middleware that lets a request through only with a valid, unexpired, unreplayed receipt
 * bound to this exact request (method, path and query, SHA-256 of the raw body), issued by
 * `issuer` for `audience`. Refusals are RFC 9457 problem+json: 401 when there is no valid
 * receipt, 403 when the receipt does not authorise this request, 413/400 for bodies, 503 when the
 * keys or the replay cache are unreachable (fail closed).
 *
 * Mount it before any body parser: it reads the raw body itself, then sets `req.body` to the
 * parsed JSON for JSON media types (a Buffer for other non-empty bodies). On success
 * `req.analogFirewall` holds the verified claims.
 */
export function analogFirewall(options: AnalogFirewallOptions): RequestHandler {
  if (!options.issuer) throw new FirewallError('ACTUATOR_MISCONFIGURED', 'analogFirewall() needs an issuer', { status: 500 });
  if (!options.audience) throw new FirewallError('ACTUATOR_MISCONFIGURED', 'analogFirewall() needs an audience (this actuator name)', { status: 500 });
  const keys = receiptKeySet(options.jwks, options.jwksOptions);
  const clock = options.clock ?? systemClock;
  const replayCache = options.replayCache ?? new MemoryReplayCache({ clock });
  const tol = options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;

  async function verify(req: Request): Promise<ReceiptClaims> {
    const jws = single(req, RECEIPT_HEADER);
    if (jws === undefined) {
      throw new FirewallError('RECEIPT_MISSING', `request carries no ${RECEIPT_HEADER} header`, { status: 401 });
    }
    const { claims } = await verifyReceipt(jws.trim(), { keys, issuer: options.issuer, audience: options.audience, clockToleranceSec: tol, now: clock.now() });

    const body = await readRawBody(req, limit);
    verifyReceiptClaims(claims, { method: req.method, path: req.originalUrl, bodySha256: sha256Hex(body) }, clock.now(), {
      issuer: options.issuer,
      audience: options.audience,
      clockToleranceSec: tol,
      maxLifetimeSec: options.maxLifetimeSec,
      requireQuorum: options.requireQuorum,
    });

    const idempotencyKey = single(req, IDEMPOTENCY_KEY_HEADER);
    if (idempotencyKey !== undefined && idempotencyKey !== claims.sub) {
      throw new FirewallError('RECEIPT_IDEMPOTENCY_KEY_MISMATCH', `${IDEMPOTENCY_KEY_HEADER} differs from the action id the receipt authorises`, { status: 403 });
    }

    // Parse before using up the receipt, so a refused request never burns it.
    let parsed: unknown = undefined;
    if (body.length > 0) {
      if (isJsonContentType(req.headers['content-type'])) {
        // The gateway forwards only JSON with one reading; refuse anything else here too (JSON_* codes).
        try {
          checkStrictJson(body);
        } catch (e) {
          if (isFirewallError(e, 'BODY_MALFORMED')) throw new FirewallError('BODY_INVALID_JSON', 'request body is not valid JSON', { status: 400, cause: e });
          throw e;
        }
        parsed = JSON.parse(body.toString('utf8'));
      } else {
        parsed = body;
      }
    }

    // Last: only a request that passed every other check uses up its receipt.
    await claimReceiptOnce(replayCache, claims, tol);

    if (parsed !== undefined) req.body = parsed;
    return claims;
  }

  return function analogFirewallMiddleware(req: Request, res: Response, next: NextFunction): void {
    verify(req).then(
      (claims) => {
        req.analogFirewall = claims;
        next();
      },
      (err: unknown) => sendProblem(res, err),
    );
  };
}

/** One header value; a header sent twice is ambiguous and refused as malformed. */
function single(req: Request, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) {
    throw new FirewallError('RECEIPT_MALFORMED', `${name} header appears more than once`, { status: 401 });
  }
  return v;
}
