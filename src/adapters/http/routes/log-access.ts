import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { FirewallError } from '../../../core/errors.ts';
import type { TransparencyLog } from '../../log/transparency-log.ts';
import { logRouter } from '../../log/log-router.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { authenticateRequest, principalOf } from '../authenticate-request.ts';

/** Public: anyone may fetch the signed checkpoint and the key that verifies it. */
const PUBLIC = new Set(['/checkpoint', '/v1/verifier-key']);
const READ_ROLES = new Set(['regulator', 'admin', 'comparator', 'authorizer']);

/**
 * The log's read API behind access control: entries describe payments and infrastructure changes,
 * so tiles, entries and proofs are for the regulator (and other human) roles; the checkpoint is public.
 */
export function logAccessRouter(ctx: GatewayContext, log: TransparencyLog): Router {
  const r = express.Router();
  const auth = authenticateRequest(ctx);
  r.use('/log', (req: Request, res: Response, next: NextFunction) => {
    if (PUBLIC.has(req.path)) {
      next();
      return;
    }
    auth(req, res, (err?: unknown) => {
      if (err !== undefined) {
        next(err);
        return;
      }
      if (!principalOf(res).roles.some((x) => READ_ROLES.has(x))) {
        next(new FirewallError('ROLE_FORBIDDEN', 'the log entries are readable by regulator and human roles only', { status: 403 }));
        return;
      }
      next();
    }).catch(next);
  });
  r.use(logRouter(log));
  return r;
}
