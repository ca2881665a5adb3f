import { clientAddress } from './client-address.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { FirewallError } from '../../core/errors.ts';
import { bodyMatchesDigest } from '../../core/http-signature/request-signature.ts';
import type { PrincipalRecord } from '../../gateway/ports/principals.ts';
import type { GatewayContext } from '../../gateway/context.ts';

const EMPTY = Buffer.alloc(0);

export interface AuthenticateOptions {
  /**
   * The router's body parsers pass `verifySignedBody` as their `verify`: a session-signed request
   * may then carry a body. Elsewhere such a body could not be bound to the signature, and is refused.
   */
  checksSignedBodies?: boolean;
}

/** A request has a body when it is chunked or states a non-zero length. */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Who a request was authenticated as, and with which credential. */
export interface Authenticated {
  principal: PrincipalRecord;
  credential: 'session' | 'assertion';
  /** On a session signature: what the body must hash to (its Content-Digest). */
  contentSha256?: Buffer;
}

/**
 * Verifies the caller's credential, with a lock-out after repeated failures, and the agent's request
 * rate. Two credentials: a per-request client assertion (Authorization: Bearer), bound to `path`, or
 * an RFC 9421 signature with a session key (Signature-Input/Signature; docs/api.md §Sessions), bound
 * to the public URL of `target` (the request target as received: path and query). Framework-free: the express middleware below and the proxy
 * entrance (proxy-entrance.ts) both call it.
 */
export async function authenticate(ctx: GatewayContext, req: IncomingMessage, at: { path: string; target: string }, o: AuthenticateOptions = {}): Promise<Authenticated> {
  const address = clientAddress(ctx, req);
  await ctx.limits.checkAuthLock(address);
  let out: Authenticated;
  try {
    if (req.headers['signature-input'] !== undefined || req.headers['signature'] !== undefined) {
      if (req.headers.authorization !== undefined) {
        throw new FirewallError('SIGNATURE_INPUT_INVALID', 'send either a client assertion or a session signature, not both', { status: 401 });
      }
      const v = await ctx.sessions.verify({
        method: req.method ?? '',
        targetUri: ctx.publicUrl + at.target,
        signatureInput: header(req, 'signature-input'),
        signature: header(req, 'signature'),
        contentDigest: header(req, 'content-digest'),
        idempotencyKey: header(req, 'idempotency-key'),
      });
      if (!hasBody(req)) checkDigest(v.contentSha256, EMPTY);
      else if (o.checksSignedBodies !== true) throw bodyUnsupported();
      out = { principal: v.principal, credential: 'session', contentSha256: v.contentSha256 };
    } else {
      out = { principal: await ctx.auth.verify(req.headers.authorization, req.method ?? '', at.path), credential: 'assertion' };
    }
  } catch (e) {
    if (e instanceof FirewallError && e.status === 401) {
      await ctx.limits.authFailed(address);
      ctx.metrics.refusals.inc({ code: e.code });
    }
    throw e;
  }
  await ctx.limits.agent(out.principal.id);
  return out;
}

/**
 * Express middleware around `authenticate`: the principal, credential and expected body digest go
 * to `res.locals`.
 */
export function authenticateRequest(ctx: GatewayContext, o: AuthenticateOptions = {}) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    // Already authenticated for THIS request in an earlier router it passed through (e.g. the
    // actions router before a capability's /v1/actions/... route): assertions and nonces are
    // single use. (A reader access token never counts: only this middleware sets the flag.)
    if (res.locals['assertionVerified'] === true && res.locals['principal'] !== undefined) {
      // A session signature binds a body only where the body parser checks it against Content-Digest:
      // a request that fell through from such a router to one that does not is refused.
      if (res.locals['credential'] === 'session' && hasBody(req) && o.checksSignedBodies !== true) throw bodyUnsupported();
      next();
      return;
    }
    const a = await authenticate(ctx, req, { path: req.path === '/' ? req.baseUrl : req.baseUrl + req.path, target: req.originalUrl }, o);
    res.locals['principal'] = a.principal;
    res.locals['credential'] = a.credential;
    if (a.contentSha256 !== undefined) res.locals['contentSha256'] = a.contentSha256;
    res.locals['assertionVerified'] = true;
    next();
  };
}

function bodyUnsupported(): FirewallError {
  return new FirewallError('SIGNATURE_BODY_UNSUPPORTED', 'this endpoint does not take a body on a session signature; use a client assertion', { status: 401 });
}

export function checkDigest(expected: Buffer, body: Buffer): void {
  if (!bodyMatchesDigest(expected, body)) {
    throw new FirewallError('CONTENT_DIGEST_MISMATCH', 'the body does not match its Content-Digest', { status: 401 });
  }
}

/** A body parser's `verify`: on a session signature, the body must be the one its Content-Digest names. */
export function verifySignedBody(_req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const expected = (res as Response).locals['contentSha256'] as Buffer | undefined;
  if (expected !== undefined) checkDigest(expected, body);
}

export function principalOf(res: Response): PrincipalRecord {
  return res.locals['principal'] as PrincipalRecord;
}
