import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { TransparencyLog } from '../../log/transparency-log.ts';
import { logRouter } from '../../log/log-router.ts';
import { AccessTokens } from '../../../gateway/access-tokens.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { authenticateReader } from '../authenticate-reader.ts';

/** Public: anyone may fetch the signed checkpoint and the key that verifies it. */
const PUBLIC = new Set(['/checkpoint', '/v1/verifier-key']);
const READ_ROLES = new Set(['regulator', 'admin', 'comparator', 'authorizer']);

/**
 * The log's read API behind access control: entries describe payments and infrastructure changes,
 * so tiles, entries and proofs are for the regulator (and other human) roles, by client assertion,
 * or for a regulator access token with scope `log:read`; the checkpoint is public.
 */
export function logAccessRouter(ctx: GatewayContext, log: TransparencyLog, tokens?: AccessTokens): Router {
  const r = express.Router();
  const auth = authenticateReader(ctx, tokens ?? new AccessTokens({ signer: ctx.signer, store: ctx.store, clock: ctx.clock, origin: ctx.publicUrl }), {
    scope: 'log:read',
    roles: READ_ROLES,
    roleMessage: 'the log entries are readable by regulator and human roles only',
  });
  r.use('/log', async (req: Request, res: Response, next: NextFunction) => {
    if (PUBLIC.has(req.path)) {
      next();
      return;
    }
    await auth(req, res, next);
  });
  r.use(logRouter(log));
  return r;
}
