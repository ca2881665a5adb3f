import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { FirewallError } from '../../core/errors.ts';
import { checkBodyForm, headerValues } from '../../core/wire/media-type.ts';
import { checkStrictJson } from '../../core/wire/strict-json.ts';
import { verifySignedBody } from './authenticate-request.ts';

/**
 * A JSON body read the way the proxy reads one (checkBodyForm, then checkStrictJson): a submission
 * with a duplicate key, bad UTF-8, an unpaired surrogate or an ambiguous number is refused rather
 * than read last-key-wins. An empty body leaves `req.body` undefined; any other media type is
 * `415 CONTENT_TYPE_UNSUPPORTED`. On a session signature the bytes must match Content-Digest
 * (verifySignedBody) before anything is parsed.
 */
export function strictJsonBody(limit: number): RequestHandler[] {
  const raw = express.raw({ type: () => true, limit, verify: verifySignedBody });
  const check = (req: Request, _res: Response, next: NextFunction): void => {
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const form = checkBodyForm(req.method, headerValues(req.rawHeaders, 'content-type'), body);
    if (body.length === 0) {
      req.body = undefined;
    } else {
      if (!form.json) throw new FirewallError('CONTENT_TYPE_UNSUPPORTED', `the body must be application/json, not '${String(form.contentType).slice(0, 100)}'`, { status: 415 });
      checkStrictJson(body);
      req.body = JSON.parse(body.toString('utf8')) as unknown;
    }
    next();
  };
  return [raw, check];
}
