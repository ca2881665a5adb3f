import type { Request, RequestHandler, Response, Router } from 'express';
import { validateMessage, type AuthenticationResponse } from '../../../core/signature/messages.ts';
import { actionTrail } from '../../../gateway/approver/action-trail.ts';
import type { ApproverApp } from '../../../gateway/approver/approver-app.ts';
import { declineSignature, DECLINE_REASON_MAX } from '../../../gateway/approver/decline.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { principalOf } from '../authenticate-request.ts';
import { idParam, obj, str } from './app-input.ts';

/**
 * The approver app's entrances for deciding beyond veto and report (docs/approver-app.md): decline
 * with a reason, an action's trail, the CRITICAL comparator's evidence and passkey co-signature,
 * and the institutional witness. Thin: the same services as the API's /v1 routes
 * (comparator.ts, signatures/service.ts), the session cookie standing in for the client assertion.
 */
export function appDecisionRoutes(r: Router, ctx: GatewayContext, app: ApproverApp, mw: { session: RequestHandler; json: RequestHandler }): void {
  const { session, json } = mw;
  const { signatures, comparator } = app;

  r.get('/actions/:id/trail', session, async (req: Request, res: Response) => {
    res.json(await actionTrail(ctx, app.log, principalOf(res), idParam(req)));
  });
  r.post('/actions/:id/decline', session, json, async (req: Request, res: Response) => {
    res.json(await declineSignature(ctx, signatures, principalOf(res), idParam(req), str(obj(req), 'reason', DECLINE_REASON_MAX)));
  });

  // --- the comparator of a CRITICAL action (docs/protocol.md §9) ---
  r.get('/actions/:id/evidence', session, async (req: Request, res: Response) => {
    res.json(await comparator.evidence(principalOf(res), idParam(req)));
  });
  r.post('/actions/:id/comparator/options', session, json, async (req: Request, res: Response) => {
    const b = validateMessage<{ credentialId: string }>('witness-options-request.json', obj(req));
    res.json(await comparator.options(principalOf(res), idParam(req), b));
  });
  r.post('/actions/:id/comparator', session, json, async (req: Request, res: Response) => {
    const b = validateMessage<{ credential: AuthenticationResponse }>('witness-assertion.json', obj(req));
    res.json(await comparator.complete(principalOf(res), idParam(req), b));
  });

  // --- the institutional witness (docs/protocol.md §7) ---
  r.post('/challenges/:id/witness/options', session, json, async (req: Request, res: Response) => {
    const b = validateMessage<{ credentialId: string }>('witness-options-request.json', obj(req));
    res.json(await signatures.witnessOptions(principalOf(res), idParam(req), b));
  });
  r.post('/challenges/:id/witness', session, json, async (req: Request, res: Response) => {
    const b = validateMessage<{ credential: AuthenticationResponse }>('witness-assertion.json', obj(req));
    res.json(await signatures.witnessComplete(principalOf(res), idParam(req), b));
  });
}
