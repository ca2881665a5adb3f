import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { canonicalJson } from '../../../core/canonical.ts';
import { FirewallError } from '../../../core/errors.ts';
import { isSettled, isTerminal } from '../../../core/action/status.ts';
import type { ActionRecord } from '../../../gateway/action-record.ts';
import { actionView } from '../../../gateway/action-view.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { submitAction } from '../../../gateway/submit.ts';
import { reconcileAction } from '../../../gateway/reconcile.ts';
import { quorumVetoBasis, vetoAction, vetoByPerson, type VetoBasis } from '../../../gateway/veto.ts';
import { ACTIONS_TOPIC, actionTopic } from '../../../gateway/ports/event-hub.ts';
import { authenticateRequest, principalOf } from '../authenticate-request.ts';
import { respondWithAction } from '../respond-with-action.ts';
import { strictJsonBody } from '../strict-json-body.ts';
import { parseIdempotencyKey, parseSubmission } from '../submission-schema.ts';
import type { PrincipalRecord } from '../../../gateway/ports/principals.ts';

/** Where descriptor-mode actions are delivered on the actuator (docs/api.md). */
export const EXECUTE_PATH = '/analog-firewall/execute';

const READ_ROLES = new Set(['admin', 'authorizer', 'comparator', 'regulator']);

function canRead(p: PrincipalRecord, a: ActionRecord): boolean {
  return a.agent === p.id || p.roles.some((r) => READ_ROLES.has(r));
}

export function actionsRouter(ctx: GatewayContext): Router {
  const r = express.Router();
  // Both entrances read JSON alike: strictly, one reading for every parser (docs/receipts.md).
  const json = strictJsonBody(ctx.bodyLimitBytes);
  r.use(authenticateRequest(ctx, { checksSignedBodies: true }));

  r.post('/', json, async (req: Request, res: Response) => {
    const principal = principalOf(res);
    const idempotencyKey = parseIdempotencyKey(req.get('idempotency-key'));
    const s = parseSubmission(req.body);
    const fields = {
      actuator: s.actuator,
      operation: s.operation,
      target: s.target,
      parameters: s.parameters ?? {},
      ...(s.amount === undefined ? {} : { amount: s.amount, currency: s.currency! }),
      reversibility: s.reversibility,
    };
    // The actuator receives exactly this body, so the receipt and the digest bind what it executes.
    const body = Buffer.from(canonicalJson(fields), 'utf8');
    const out = await submitAction(ctx, {
      agent: principal,
      idempotencyKey,
      fields,
      forward: { method: 'POST', path: EXECUTE_PATH, contentType: 'application/json', bodyB64: body.toString('base64') },
      bodySha256: createHash('sha256').update(body).digest('hex'),
      ...(s.branchCard === undefined ? {} : { branchCard: s.branchCard }),
    });
    respondWithAction(res, out.record, out.created);
  });

  r.get('/:id', async (req: Request, res: Response) => {
    const id = String(req.params['id']);
    const a = await loadReadable(ctx, principalOf(res), id);
    const waitRaw = req.query['wait'];
    const wait = waitRaw === undefined ? 0 : Number(waitRaw);
    if (!Number.isFinite(wait) || wait < 0 || wait > 60) {
      throw new FirewallError('QUERY_INVALID', "'wait' must be a number of seconds from 0 to 60", { status: 400 });
    }
    if (wait === 0 || isSettled(a)) {
      res.json(actionView(a));
      return;
    }
    const changed = await new Promise<ActionRecord | undefined>((resolve) => {
      const stop = ctx.bus.subscribe(id, (next) => {
        // An unknown outcome whose resends ran out is a change too: the agent stops waiting then.
        if (next.status !== a.status || isSettled(next) !== isSettled(a)) finish(next);
      });
      const timer = setTimeout(() => finish(undefined), wait * 1000);
      // The response's close is the disconnect signal (the request's fires once its body is read).
      res.on('close', () => finish(undefined));
      function finish(v: ActionRecord | undefined) {
        stop();
        clearTimeout(timer);
        resolve(v);
      }
    });
    res.json(actionView(changed ?? (await ctx.store.getAction(id)) ?? a));
  });

  r.get('/:id/events', async (req: Request, res: Response) => {
    const id = String(req.params['id']);
    const a = await loadReadable(ctx, principalOf(res), id);
    if (isTerminal(a.status)) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(`event: status\ndata: ${JSON.stringify(actionView(a))}\n\n`);
      return;
    }
    ctx.hub.subscribe(actionTopic(id), req, res, { initial: [{ event: 'status', data: actionView(a) }] });
    // A change committed between the read above and the subscription must not be missed.
    const fresh = await ctx.store.getAction(id);
    if (fresh !== undefined && fresh.status !== a.status) ctx.bus.refresh(fresh);
  });

  r.post('/:id/veto', json, async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { reason?: unknown };
    const a = await vetoByPerson(ctx, principalOf(res), String(req.params['id']), typeof body.reason === 'string' ? body.reason : '');
    res.json(actionView(a));
  });

  // An admin settles an unresolved unknown outcome (docs/api.md §Outcomes).
  r.post('/:id/reconcile', json, async (req: Request, res: Response) => {
    const p = principalOf(res);
    if (!p.roles.includes('admin')) throw new FirewallError('ROLE_FORBIDDEN', 'only an admin may reconcile an action', { status: 403 });
    const body = (req.body ?? {}) as { outcome?: unknown; reason?: unknown };
    const id = String(req.params['id']).slice(0, 100);
    const a = await reconcileAction({ store: ctx.store, clock: ctx.clock }, { actionId: id, by: p.id, outcome: body.outcome, reason: body.reason });
    ctx.bus.changed(a);
    res.json(actionView(a));
  });

  return r;
}

/** `GET /v1/events`: every action change, for humans' dashboards and phones (not for agents). */
export function humanEventsRouter(ctx: GatewayContext): Router {
  const r = express.Router();
  r.use(authenticateRequest(ctx));
  r.get('/', (req: Request, res: Response) => {
    if (!principalOf(res).roles.some((role) => READ_ROLES.has(role))) {
      throw new FirewallError('ROLE_FORBIDDEN', 'the all-actions stream is for human roles only', { status: 403 });
    }
    ctx.hub.subscribe(ACTIONS_TOPIC, req, res);
  });
  return r;
}

async function loadReadable(ctx: GatewayContext, p: PrincipalRecord, id: string): Promise<ActionRecord> {
  const a = id.length <= 100 ? await ctx.store.getAction(id) : undefined;
  // Someone else's action is reported as absent: ids are not an oracle.
  if (a === undefined || !canRead(p, a)) throw new FirewallError('ACTION_NOT_FOUND', `no action '${id.slice(0, 100)}'`, { status: 404 });
  return a;
}
