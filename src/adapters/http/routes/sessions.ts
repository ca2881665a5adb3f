import express, { type Request, type Response, type Router } from 'express';
import { FirewallError } from '../../../core/errors.ts';
import { REQUIRED_COMPONENTS, SIGNATURE_ALGORITHM } from '../../../core/http-signature/request-signature.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { authenticateRequest, principalOf } from '../authenticate-request.ts';

/**
 * Session credentials (docs/api.md §Sessions). Opening one needs the agent's client assertion
 * (proof of its registered key); a session cannot open another. The key is in this answer only.
 */
export function sessionsRouter(ctx: GatewayContext): Router {
  const r = express.Router();
  r.use(authenticateRequest(ctx));

  r.post('/', async (_req: Request, res: Response) => {
    if (res.locals['credential'] !== 'assertion') {
      throw new FirewallError('SESSION_NEEDS_ASSERTION', 'a session is opened with the agent\'s client assertion, not with another session', { status: 401 });
    }
    const agent = principalOf(res);
    if (!agent.roles.includes('agent')) throw new FirewallError('ROLE_FORBIDDEN', 'only agent credentials may open sessions', { status: 403 });
    const s = await ctx.sessions.open(agent);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({
      sessionId: s.sessionId,
      key: s.key.toString('base64url'),
      algorithm: SIGNATURE_ALGORITHM,
      components: REQUIRED_COMPONENTS,
      createdAt: s.createdAt,
      expiresAt: s.expiresAt,
      expiresIn: Math.floor((s.expiresAt - s.createdAt) / 1000),
    });
  });

  r.delete('/:id', async (req: Request, res: Response) => {
    const s = await ctx.sessions.revoke(principalOf(res), String(req.params['id']));
    res.json({ sessionId: s.id, revokedAt: s.revokedAt, expiresAt: s.expiresAt });
  });
  return r;
}
