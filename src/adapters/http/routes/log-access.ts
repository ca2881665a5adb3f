import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { TransparencyLog } from '../../../gateway/log/transparency-log.ts';
import { logRouter } from '../../log/log-router.ts';
import { parseTilePath } from '../../../core/merkle/tile.ts';
import { AccessTokens } from '../../../gateway/access-tokens.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { authenticateReader } from '../authenticate-reader.ts';

/** Public: anyone may fetch the signed checkpoint, the key that verifies it, and the hash tiles. */
const PUBLIC = new Set(['/checkpoint', '/v1/verifier-key']);

/**
 * Hash tiles (`/tile/<L>/<N>[.p/<W>]`) are public so that anyone (a witness, a monitor, a C2SP
 * client) can check that the log only grows, without a credential: they are Merkle hashes of
 * entries, and every entry carries unpredictable values (random action ids, signatures), so a hash
 * confirms no guess about an entry. Entry bundles (`/tile/entries/…`) are the entries themselves.
 */
function isPublic(path: string): boolean {
  if (PUBLIC.has(path)) return true;
  if (!path.startsWith('/tile/')) return false;
  try {
    return parseTilePath(path.slice(1)).level !== 'entries';
  } catch {
    return false; // not a canonical tile path: the router's own 400/404 behind the credential check
  }
}
const READ_ROLES = new Set(['regulator', 'admin', 'comparator', 'authorizer']);

/**
 * The log's read API behind access control: entries describe payments and infrastructure changes,
 * so entry bundles, entries and proofs are for the regulator (and other human) roles, by client
 * assertion, or for a regulator access token with scope `log:read`; the checkpoint, its verifier key
 * and the hash tiles are public (docs/transparency-log.md §5).
 */
export function logAccessRouter(ctx: GatewayContext, log: TransparencyLog, tokens?: AccessTokens): Router {
  const r = express.Router();
  const auth = authenticateReader(ctx, tokens ?? new AccessTokens({ signer: ctx.signer, store: ctx.store, clock: ctx.clock, origin: ctx.publicUrl }), {
    scope: 'log:read',
    roles: READ_ROLES,
    roleMessage: 'the log entries are readable by regulator and human roles only',
  });
  r.use('/log', async (req: Request, res: Response, next: NextFunction) => {
    if (isPublic(req.path)) {
      // Readable from any origin too: a browser-based verifier needs nothing else.
      res.set('Access-Control-Allow-Origin', '*');
      next();
      return;
    }
    await auth(req, res, next);
  });
  r.use(logRouter(log));
  return r;
}
