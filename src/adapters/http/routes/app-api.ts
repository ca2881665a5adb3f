import express, { type Request, type Response, type Router } from 'express';
import { FirewallError } from '../../../core/errors.ts';
import { MODALITIES, type Modality } from '../../../core/policy/modality.ts';
import type { AuthenticationResponse, RegistrationResponse } from '../../../core/signature/messages.ts';
import { actionView } from '../../../gateway/action-view.ts';
import { APP_INBOX_TOPIC, type ApproverApp } from '../../../gateway/approver/approver-app.ts';
import { actionDetail } from '../../../gateway/approver/action-detail.ts';
import { recordConsent } from '../../../gateway/approver/consent.ts';
import { inboxOf } from '../../../gateway/approver/inbox.ts';
import { reportSuspicious } from '../../../gateway/approver/report.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { personTopic } from '../../../gateway/signatures/views.ts';
import { vetoByPerson } from '../../../gateway/veto.ts';
import { clientAddress } from '../client-address.ts';
import { appRequestGuard, clearSessionCookie, requireAppSession, setSessionCookie } from '../app-guard.ts';
import { principalOf } from '../authenticate-request.ts';
import { appDecisionRoutes } from './app-decisions.ts';
import { idParam, obj, str } from './app-input.ts';

const credential = <T>(b: Record<string, unknown>): T => {
  const c = b['credential'];
  if (c === null || typeof c !== 'object' || typeof (c as { id?: unknown }).id !== 'string') throw new FirewallError('BODY_INVALID', "'credential' must be a WebAuthn response (JSON)", { status: 400, detail: { field: 'credential' } });
  return c as T;
};
const modalities = (b: Record<string, unknown>): Modality[] => {
  const m = b['modalities'];
  if (!Array.isArray(m) || m.some((x) => !(MODALITIES as readonly unknown[]).includes(x)) || new Set(m).size !== m.length) {
    throw new FirewallError('BODY_INVALID', `'modalities' must be a list of distinct modalities (${MODALITIES.join(', ')})`, { status: 400, detail: { field: 'modalities' } });
  }
  return m as Modality[];
};
/**
 * The approver app's endpoints (docs/approver-app.md): thin, over the same services as the API.
 * A session cookie stands in for the client assertion; every request passes the cross-site guard.
 */
export function appApiRouter(ctx: GatewayContext, app: ApproverApp): Router {
  const r = express.Router();
  const json = express.json({ limit: 64 * 1024, strict: true, type: () => true });
  const { signatures, config } = app;
  r.use(appRequestGuard(config.origins));
  const session = requireAppSession({ sessions: app.sessions, store: ctx.store, origins: config.origins, personExists: async (id) => (await ctx.store.signatures.getPerson(id)) !== undefined });
  const signedIn = async (req: Request, res: Response, s: { person: string; device: string }) => {
    const origin = res.locals['origin'] as string;
    setSessionCookie(res, origin, await app.sessions.create(s.person, origin, s.device), config.sessionMaxMs);
  };

  r.get('/config', (_req: Request, res: Response) => {
    res.json({ rpId: signatures.config.rpId, appOrigin: config.appOrigin, modalities: MODALITIES, sessionIdleSeconds: config.sessionIdleMs / 1000, ...(app.push === undefined ? {} : { vapidPublicKey: app.push.publicKey }) });
  });

  // --- sign-in ---
  r.post('/session/options', async (req: Request, res: Response) => {
    await ctx.limits.ceremony(clientAddress(ctx, req));
    res.json(await app.signIn.options());
  });
  r.post('/session', json, async (req: Request, res: Response) => {
    const b = obj(req);
    const s = await app.signIn.verify(b['ceremonyId'], credential<AuthenticationResponse>(b));
    await signedIn(req, res, s);
    res.json({ person: s.person });
  });
  r.delete('/session', session, async (_req: Request, res: Response) => {
    await app.sessions.end(res.locals['sessionToken']);
    clearSessionCookie(res, res.locals['origin'] as string);
    res.status(204).end();
  });

  // --- enrolment by invitation ---
  r.post('/invitation', json, async (req: Request, res: Response) => {
    res.json(await app.enrolment.describe(obj(req)['token']));
  });
  r.post('/enrol/options', json, async (req: Request, res: Response) => {
    res.json(await app.enrolment.registrationOptions(obj(req)['token']));
  });
  r.post('/enrol', json, async (req: Request, res: Response) => {
    const b = obj(req);
    const s = await app.enrolment.register(b['token'], { ceremonyId: str(b, 'ceremonyId', 200), credential: credential<RegistrationResponse>(b) });
    await signedIn(req, res, s);
    res.status(201).json({ person: s.person });
  });
  r.get('/privacy', (_req: Request, res: Response) => {
    res.json(app.notice);
  });

  // --- the signed-in person ---
  r.get('/me', session, async (_req: Request, res: Response) => {
    const p = principalOf(res);
    // sessionDevice: the passkey that opened this session, so the one on this phone (it signs here).
    res.json({ ...(await signatures.personOf(p, p.id)), roles: p.roles, sessionDevice: (res.locals['sessionDevice'] as string | null) ?? null });
  });
  r.post('/me/consent', session, json, async (req: Request, res: Response) => {
    res.json(await recordConsent(ctx, app.notice, principalOf(res).id, obj(req)));
  });
  r.put('/me/modalities', session, json, async (req: Request, res: Response) => {
    const p = principalOf(res);
    res.json(await signatures.declarePerson(p, p.id, { modalities: modalities(obj(req)) }));
  });
  r.post('/me/calibration', session, json, async (req: Request, res: Response) => {
    const p = principalOf(res);
    res.status(201).json(await signatures.enrolmentSession(p, p.id, { modalities: modalities(obj(req)) }));
  });
  r.get('/challenges/:id', session, async (req: Request, res: Response) => {
    res.json(await signatures.challengeFor(principalOf(res), String(req.params['id'] ?? '').slice(0, 200)));
  });

  // --- inbox ---
  r.get('/inbox', session, async (_req: Request, res: Response) => {
    res.json({ items: await inboxOf(ctx, signatures, principalOf(res)) });
  });
  r.get('/inbox/events', session, async (req: Request, res: Response) => {
    const p = principalOf(res);
    const items = await inboxOf(ctx, signatures, p);
    ctx.hub.subscribe([APP_INBOX_TOPIC, personTopic(p.id)], req, res, { initial: [{ event: 'inbox', data: { items } }] });
  });

  // --- actions ---
  r.get('/actions/:id', session, async (req: Request, res: Response) => {
    res.json(await actionDetail(ctx, signatures, principalOf(res), idParam(req)));
  });
  r.post('/actions/:id/veto', session, json, async (req: Request, res: Response) => {
    const a = await vetoByPerson(ctx, principalOf(res), idParam(req), str(obj(req), 'reason', 500, false));
    res.json(actionView(a));
  });
  r.post('/actions/:id/report', session, json, async (req: Request, res: Response) => {
    res.json(await reportSuspicious(ctx, principalOf(res).id, idParam(req), str(obj(req), 'reason', 500, false)));
  });
  // Decline, trail, the comparator's evidence and co-signature, the witness (app-decisions.ts).
  appDecisionRoutes(r, ctx, app, { session, json });

  // --- Web Push ---
  r.post('/push/subscriptions', session, json, async (req: Request, res: Response) => {
    if (app.push === undefined) throw new FirewallError('PUSH_UNAVAILABLE', 'Web Push is not configured on this gateway', { status: 404 });
    const b = obj(req);
    const keys = (b['keys'] ?? {}) as Record<string, unknown>;
    await app.push.subscribe(principalOf(res).id, { endpoint: str(b, 'endpoint', 2000), p256dh: str(keys, 'p256dh', 200), auth: str(keys, 'auth', 100) });
    res.status(201).json({ subscribed: true });
  });

  return r;
}
