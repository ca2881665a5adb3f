import express, { type Request, type Response, type Router } from 'express';
import { FirewallError } from '../../../core/errors.ts';
import { validateMessage, type AuthenticationResponse } from '../../../core/signature/messages.ts';
import type { ComparatorVerification } from '../../../gateway/comparator.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { authenticateRequest, principalOf } from '../authenticate-request.ts';

const param = (req: Request): string => {
  const v = String(req.params['id'] ?? '');
  if (v.length === 0 || v.length > 200) throw new FirewallError('PATH_INVALID', "path parameter 'id' must be 1-200 characters", { status: 400 });
  return v;
};

/**
 * The institutional comparator of a CRITICAL action (gateway/comparator.ts, docs/protocol.md §9):
 *   GET  /v1/actions/{id}/evidence             the evidence package
 *   POST /v1/actions/{id}/comparator/options   { credentialId } -> statement + WebAuthn options
 *   POST /v1/actions/{id}/comparator           { credential }   -> the co-signature, counted by the quorum engine
 * Each takes the comparator's own client assertion.
 */
export function comparatorRouter(ctx: GatewayContext, comparator: ComparatorVerification): Router {
  const r = express.Router();
  const auth = authenticateRequest(ctx);
  const json = express.json({ limit: 256 * 1024, strict: true, type: () => true });

  r.get('/v1/actions/:id/evidence', auth, async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').json(await comparator.evidence(principalOf(res), param(req)));
  });

  r.post('/v1/actions/:id/comparator/options', auth, json, async (req: Request, res: Response) => {
    const b = validateMessage<{ credentialId: string }>('witness-options-request.json', req.body ?? {});
    res.set('Cache-Control', 'no-store').json(await comparator.options(principalOf(res), param(req), b));
  });

  r.post('/v1/actions/:id/comparator', auth, json, async (req: Request, res: Response) => {
    const b = validateMessage<{ credential: AuthenticationResponse }>('witness-assertion.json', req.body ?? {});
    res.json(await comparator.complete(principalOf(res), param(req), b));
  });

  return r;
}
