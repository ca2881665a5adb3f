import express, { type Request, type Response, type Router } from 'express';
import { FirewallError } from '../../../core/errors.ts';
import type { ApproverApp } from '../../../gateway/approver/approver-app.ts';
import { createInvitation } from '../../../gateway/approver/invitations.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { authenticateRequest, principalOf } from '../authenticate-request.ts';

/** `POST /v1/invitations` (role admin): `{ person, roles?, ttlSeconds? }` → `201 { person, roles, url, expiresAt }`. The URL is shown once. */
export function invitationsRouter(ctx: GatewayContext, app: ApproverApp): Router {
  const r = express.Router();
  const json = express.json({ limit: 16 * 1024, strict: true, type: () => true });
  r.post('/v1/invitations', authenticateRequest(ctx), json, async (req: Request, res: Response) => {
    const p = principalOf(res);
    if (!p.roles.includes('admin')) throw new FirewallError('ROLE_FORBIDDEN', 'only an administrator invites people', { status: 403 });
    const b = (req.body ?? {}) as { person?: unknown; roles?: unknown; ttlSeconds?: unknown };
    if (typeof b.person !== 'string' || b.person.length === 0 || b.person.length > 100) throw new FirewallError('BODY_INVALID', "'person' must be a principal id", { status: 400, detail: { field: 'person' } });
    if (b.roles !== undefined && (!Array.isArray(b.roles) || b.roles.some((x) => typeof x !== 'string'))) throw new FirewallError('BODY_INVALID', "'roles' must be a list of roles", { status: 400, detail: { field: 'roles' } });
    const ttl = b.ttlSeconds === undefined ? app.config.invitationTtlMs / 1000 : b.ttlSeconds;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 60 || ttl > 30 * 86_400) throw new FirewallError('BODY_INVALID', "'ttlSeconds' must be a whole number in 60..2592000", { status: 400, detail: { field: 'ttlSeconds' } });
    const inv = await createInvitation(
      { store: ctx.store, clock: ctx.clock, random: (n) => ctx.signer.random(n), appOrigin: app.config.appOrigin },
      { person: b.person, ...(b.roles === undefined ? {} : { roles: b.roles as string[] }), by: p.id, ttlMs: ttl * 1000 },
    );
    res.status(201).set('Cache-Control', 'no-store').json(inv);
  });
  return r;
}
