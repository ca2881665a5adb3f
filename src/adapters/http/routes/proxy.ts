import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { FirewallError } from '../../../core/errors.ts';
import { checkBodyForm, headerValues } from '../../../core/wire/media-type.ts';
import { checkRequestTarget, type RequestTarget } from '../../../core/wire/request-target.ts';
import { checkStrictJson } from '../../../core/wire/strict-json.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { submitAction } from '../../../gateway/submit.ts';
import { authenticateRequest, principalOf, verifySignedBody } from '../authenticate-request.ts';
import { parseIdempotencyKey } from '../submission-schema.ts';
import { respondWithAction } from './actions.ts';

/**
 * Reverse-proxy entrance: `/proxy/{actuator}/{path}` is mapped by the policy to the same action
 * descriptor as POST /v1/actions and forwarded byte for byte once authorised, to the actuator's
 * upstream base (with its path prefix).
 */
export function proxyRouter(ctx: GatewayContext): Router {
  const r = express.Router();
  // The path and query are forwarded as sent, so forms that servers read differently are refused
  // (first, before the router decodes route parameters), and the classifier reads the query
  // exactly as checked here (docs/receipts.md).
  r.use((req: Request, res: Response, next: NextFunction) => {
    res.locals['target'] = checkRequestTarget(req.originalUrl);
    next();
  });
  r.use(authenticateRequest(ctx, { checksSignedBodies: true }));
  const raw = express.raw({ type: () => true, limit: ctx.bodyLimitBytes, verify: verifySignedBody });

  r.all('/:actuator/{*rest}', raw, async (req: Request, res: Response) => {
    const actuator = String(req.params['actuator']);
    const idempotencyKey = parseIdempotencyKey(req.get('idempotency-key'));
    const target = res.locals['target'] as RequestTarget;
    const below = target.path.indexOf('/', '/proxy/'.length);
    const rest = below < 0 ? '/' : target.path.slice(below);
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const form = checkBodyForm(req.method, headerValues(req.rawHeaders, 'content-type'), body);
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
    const mapped = policy.mapProxy(actuator, { method: req.method, path: rest, query: target.query, body: parsed });
    const out = await submitAction(ctx, {
      agent: principalOf(res),
      idempotencyKey,
      fields: { actuator, ...mapped },
      forward: { method: req.method, path: rest + target.search, contentType: form.contentType, bodyB64: body.toString('base64') },
      bodySha256: createHash('sha256').update(body).digest('hex'),
    });
    const a = out.record;
    // A definite refusal is the actuator's answer too: the agent sees it as sent.
    if ((a.status === 'executed' || a.status === 'failed') && a.result !== undefined) {
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
