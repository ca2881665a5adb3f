import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { FirewallError } from '../../../core/errors.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { submitAction } from '../../../gateway/submit.ts';
import { authenticateRequest, principalOf, verifySignedBody } from '../authenticate-request.ts';
import { parseIdempotencyKey } from '../submission-schema.ts';
import { respondWithAction } from './actions.ts';

/**
 * Reverse-proxy entrance: `/proxy/{actuator}/{path}` is mapped by the policy to the same action
 * descriptor as POST /v1/actions and forwarded byte for byte once authorised.
 */
export function proxyRouter(ctx: GatewayContext): Router {
  const r = express.Router();
  r.use(authenticateRequest(ctx, { checksSignedBodies: true }));
  const raw = express.raw({ type: () => true, limit: ctx.bodyLimitBytes, verify: verifySignedBody });

  r.all('/:actuator/{*rest}', raw, async (req: Request, res: Response) => {
    const actuator = String(req.params['actuator']);
    const idempotencyKey = parseIdempotencyKey(req.get('idempotency-key'));
    const prefix = `/proxy/${encodeURIComponent(actuator)}`;
    const rawPath = req.originalUrl.startsWith(prefix) ? req.originalUrl.slice(prefix.length) || '/' : '/';
    // What is classified and what the actuator executes must be the same path: dot segments and
    // slash runs are resolved here, once, and exactly this form is forwarded and bound by the receipt.
    const forwardPath = resolveForwardPath(rawPath);
    const pathOnly = forwardPath.split('?')[0] ?? '/';
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const contentType = req.get('content-type') ?? null;
    let parsed: unknown = undefined;
    if (body.length > 0 && contentType !== null && /\bjson\b/i.test(contentType)) {
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (cause) {
        throw new FirewallError('BODY_MALFORMED', 'the request body is declared JSON but does not parse', { status: 400, cause });
      }
    }
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string') query[k] = v;
    const policy = ctx.policy();
    if (policy.upstreamOf(actuator) === undefined) {
      throw new FirewallError('ACTUATOR_UNKNOWN', `actuator '${actuator}' is not in the active policy`, { status: 404 });
    }
    const mapped = policy.mapProxy(actuator, { method: req.method, path: pathOnly, query, body: parsed });
    const out = await submitAction(ctx, {
      agent: principalOf(res),
      idempotencyKey,
      fields: { actuator, ...mapped },
      forward: { method: req.method, path: forwardPath, contentType, bodyB64: body.toString('base64') },
      bodySha256: createHash('sha256').update(body).digest('hex'),
    });
    const a = out.record;
    if (a.status === 'executed' && a.result !== undefined) {
      // At digital speed the proxy is transparent: the agent sees the upstream's own answer.
      // Written directly, not with res.send: send would hash the body for an ETag the actuator never
      // sent and run a conditional-GET check, on every LOW answer.
      const answer = Buffer.from(a.result.bodyB64, 'base64');
      res.statusCode = a.result.status;
      for (const [k, v] of Object.entries(a.result.headers)) res.setHeader(k, v);
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
  });
  return r;
}

/** Collapses slash runs and resolves dot segments, keeping percent-encoding and the query as sent. */
export function resolveForwardPath(raw: string): string {
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q);
  let resolved: string;
  try {
    resolved = new URL(('/' + path).replace(/\/{2,}/g, '/'), 'http://path.invalid').pathname;
  } catch (cause) {
    throw new FirewallError('PROXY_PATH_INVALID', 'the request path cannot be parsed', { status: 400, cause });
  }
  return resolved + query;
}
