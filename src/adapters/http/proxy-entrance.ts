import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { FirewallError } from '../../core/errors.ts';
import { checkBodyForm, headerValues } from '../../core/wire/media-type.ts';
import { checkRequestTarget } from '../../core/wire/request-target.ts';
import { checkStrictJson } from '../../core/wire/strict-json.ts';
import type { GatewayContext } from '../../gateway/context.ts';
import { submitAction } from '../../gateway/submit.ts';
import { authenticate, checkDigest } from './authenticate-request.ts';
import { logServerError, toFirewallError, writeProblem } from './problem.ts';
import { respondWithAction } from './respond-with-action.ts';
import { parseIdempotencyKey } from './submission-schema.ts';

/** The one path the proxy entrance serves, in OpenAPI syntax (`{path}` may be empty or hold more segments). */
export const PROXY_ROUTE = '/proxy/{actuator}/{path}';

// `/proxy/{actuator}/…`, as express matched it (case-insensitively): the actuator is one segment.
const PROXIED = /^\/proxy\/([^/?]+)\//i;
// Everything else under /proxy, which no route serves (answered 404 once authenticated).
const UNDER_PROXY = /^\/proxy(?:[/?]|$)/i;

const EMPTY = Buffer.alloc(0);
const EMPTY_SHA256 = createHash('sha256').update(EMPTY).digest('hex');

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The reverse-proxy entrance, in front of the express app: `/proxy/{actuator}/{path}` is mapped by
 * the policy to the same action descriptor as POST /v1/actions and forwarded byte for byte once
 * authorised, to the actuator's upstream base (with its path prefix). Every other request goes to
 * `app`. No router, middleware chain or response decoration on this path (the LOW hot path): the
 * steps are the ones below, in order, each the same service the other entrances call.
 */
export function proxyEntrance(ctx: GatewayContext, app: Listener): Listener {
  // Bodies are read as express.raw reads them (limit, Content-Encoding, aborted and short bodies).
  const raw = express.raw({ type: () => true, limit: ctx.bodyLimitBytes });
  const readBody = (req: IncomingMessage, res: ServerResponse): Promise<Buffer> => {
    if (req.headers['transfer-encoding'] === undefined && req.headers['content-length'] === undefined) return Promise.resolve(EMPTY);
    return new Promise((resolve, reject) => {
      raw(req as express.Request, res as express.Response, (err?: unknown) => {
        if (err !== undefined) reject(err);
        else {
          const body = (req as IncomingMessage & { body?: unknown }).body;
          resolve(Buffer.isBuffer(body) ? body : EMPTY);
        }
      });
    });
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, url: string): Promise<void> => {
    // The path and query are forwarded as sent, so forms that servers read differently are refused
    // first, and the classifier reads the query exactly as checked here (docs/receipts.md).
    const target = checkRequestTarget(url);
    const auth = await authenticate(ctx, req, { path: target.path, target: url }, { checksSignedBodies: true });
    const m = PROXIED.exec(target.path);
    if (m === null) throw new FirewallError('ROUTE_NOT_FOUND', `no route for ${req.method} ${target.path}`, { status: 404 });
    const method = req.method ?? 'GET';
    const actuator = decodeURIComponent(m[1]!);
    const rest = target.path.slice(m[0].length - 1);
    const body = await readBody(req, res);
    // On a session signature the body must be the one its Content-Digest names (a request without
    // one was checked against the empty body when it was authenticated).
    if (auth.contentSha256 !== undefined && body.length > 0) checkDigest(auth.contentSha256, body);
    const idempotencyKey = parseIdempotencyKey(header(req, 'idempotency-key'));
    const form = checkBodyForm(method, headerValues(req.rawHeaders, 'content-type'), body);
    let parsed: unknown = undefined;
    if (form.json) {
      // Refuses duplicate keys, bad UTF-8, surrogates and ambiguous numbers; JSON.parse then builds what it accepted.
      checkStrictJson(body);
      parsed = JSON.parse(body.toString('utf8'));
    }
    const policy = ctx.policy();
    if (policy.upstreamOf(actuator) === undefined) {
      throw new FirewallError('ACTUATOR_UNKNOWN', `actuator '${actuator}' is not in the active policy`, { status: 404 });
    }
    const mapped = policy.mapProxy(actuator, { method, path: rest, query: target.query, body: parsed });
    const out = await submitAction(ctx, {
      agent: auth.principal,
      idempotencyKey,
      fields: { actuator, ...mapped },
      forward: { method, path: rest + target.search, contentType: form.contentType, bodyB64: body.length === 0 ? '' : body.toString('base64') },
      bodySha256: body.length === 0 ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex'),
    });
    const a = out.record;
    // A definite refusal is the actuator's answer too: the agent sees it as sent.
    if ((a.status === 'executed' || a.status === 'failed') && a.result !== undefined) {
      // At digital speed the proxy is transparent: the agent sees the upstream's own answer, with
      // its headers and none of the gateway's but the action id.
      const answer = Buffer.from(a.result.bodyB64, 'base64');
      res.statusCode = a.result.status;
      for (const k in a.result.headers) res.setHeader(k, a.result.headers[k]!);
      if (a.result.headers['content-type'] === undefined) res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Analog-Firewall-Action', a.id);
      res.setHeader('Content-Length', answer.length);
      res.end(answer);
      return;
    }
    if (a.status === 'failed') {
      throw new FirewallError('UPSTREAM_FAILED', `the actuator could not be reached (${a.error ?? 'unknown'})`, { status: 502, detail: { actionId: a.id } });
    }
    respondWithAction(res, a, out.created);
  };

  return (req, res) => {
    const url = req.url ?? '/';
    if (!UNDER_PROXY.test(url)) {
      app(req, res);
      return;
    }
    serve(req, res, url).catch((err: unknown) => {
      const fe = toFirewallError(err);
      logServerError(ctx.log, fe, url);
      if (res.headersSent) res.end();
      else writeProblem(res, fe, url);
    });
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
