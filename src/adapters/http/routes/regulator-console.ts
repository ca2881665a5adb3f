import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { ACCESS_SCOPES, DEFAULT_ACCESS_TOKEN_TTL_SEC, MAX_ACCESS_TOKEN_TTL_SEC, MIN_ACCESS_TOKEN_TTL_SEC } from '../../../core/access-token/access-token.ts';
import { FirewallError } from '../../../core/errors.ts';
import { parseSafeUint } from '../../../core/merkle/tree-size.ts';
import type { AuthenticationResponse, RegistrationResponse } from '../../../core/signature/messages.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { actionTrail, consistencyBetween } from '../../../gateway/regulator-console/action-trail.ts';
import { recordRead } from '../../../gateway/regulator-console/console-log.ts';
import type { ConsolePasskeys } from '../../../gateway/regulator-console/console-passkeys.ts';
import { requireScope, type ConsoleAccess, type ConsoleSessions } from '../../../gateway/regulator-console/console-sessions.ts';
import { logStatistics } from '../../../gateway/regulator-console/console-statistics.ts';
import { entryQueryFrom } from '../../log/log-router.ts';
import type { TransparencyLog } from '../../../gateway/log/transparency-log.ts';
import { appOriginOf, appRequestGuard } from '../app-guard.ts';
import { authenticateRequest, principalOf } from '../authenticate-request.ts';
import { clearConsoleCookie, consoleCookie, setConsoleCookie } from '../regulator-console-cookie.ts';
import { sendRegulatorExport } from '../regulator-export-response.ts';
import { clientAddress } from '../client-address.ts';

export interface RegulatorConsoleDeps {
  passkeys: ConsolePasskeys;
  sessions: ConsoleSessions;
  log: TransparencyLog;
  /** The app's origins (WebAuthn origins): state changes must come from one, sessions are bound to one. */
  origins: readonly string[];
  invitationTtlMs: number;
  maxExportEntries: number;
}

const obj = (req: Request): Record<string, unknown> => {
  const b: unknown = req.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new FirewallError('BODY_INVALID', 'the body must be a JSON object', { status: 400 });
  return b as Record<string, unknown>;
};
const credential = <T>(b: Record<string, unknown>): T => {
  const c = b['credential'];
  if (c === null || typeof c !== 'object' || typeof (c as { id?: unknown }).id !== 'string') throw new FirewallError('BODY_INVALID', "'credential' must be a WebAuthn response (JSON)", { status: 400, detail: { field: 'credential' } });
  return c as T;
};
const accessOf = (res: Response): ConsoleAccess => res.locals['console'] as ConsoleAccess;
const uintParam = (req: Request, name: string): number | undefined => {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new FirewallError('QUERY_INVALID', `query parameter ${name} must appear once`, { status: 400 });
  return parseSafeUint(v, name);
};
/** What a read recorded in the log says was asked: the query as given, each value bounded. */
const asked = (req: Request): Record<string, string> =>
  Object.fromEntries(Object.entries(req.query as Record<string, unknown>).slice(0, 16).map(([k, v]) => [k.slice(0, 32), String(v).slice(0, 512)]));

/**
 * The regulator console's API under /app/api/regulator (docs/regulator.md §7): thin, over
 * the console's services and the log's. Same cross-site guard as the approver app; a console
 * session (passkey sign-in → regulator access token in an HttpOnly cookie) stands in for a token;
 * every read is recorded in the log before it is answered.
 */
export function regulatorConsoleRouter(ctx: GatewayContext, d: RegulatorConsoleDeps): Router {
  const r = express.Router();
  const json = express.json({ limit: 64 * 1024, strict: true, type: () => true });
  r.use(appRequestGuard(d.origins));
  const originOf = (req: Request): string => {
    const o = appOriginOf({ origin: req.get('origin'), host: req.get('host') }, d.origins);
    if (o === undefined) throw new FirewallError('ORIGIN_REFUSED', "this request must come from the console's own origin", { status: 403 });
    return o;
  };
  const session = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const origin = originOf(req);
    res.locals['console'] = await d.sessions.resolve(consoleCookie(req, origin), origin);
    next();
  };
  const read = (resource: 'entries' | 'trail' | 'statistics' | 'consistency') => async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const access = accessOf(res);
    requireScope(access, 'log:read');
    await recordRead(ctx, access, resource, { ...asked(req), ...(req.params['id'] === undefined ? {} : { actionId: String(req.params['id']).slice(0, 200) }) });
    next();
  };

  r.get('/config', (_req: Request, res: Response) => {
    res.json({ scopes: ACCESS_SCOPES, ttlSeconds: { min: MIN_ACCESS_TOKEN_TTL_SEC, max: MAX_ACCESS_TOKEN_TTL_SEC, default: DEFAULT_ACCESS_TOKEN_TTL_SEC } });
  });

  // --- enrolment by invitation ---
  r.post('/invitation', json, async (req: Request, res: Response) => {
    res.json(await d.passkeys.describe(obj(req)['token']));
  });
  r.post('/enrol/options', json, async (req: Request, res: Response) => {
    res.json(await d.passkeys.registrationOptions(obj(req)['token']));
  });
  r.post('/enrol', json, async (req: Request, res: Response) => {
    const b = obj(req);
    res.status(201).json({ person: await d.passkeys.register(b['token'], b['ceremonyId'], credential<RegistrationResponse>(b)) });
  });

  // --- sign-in: a passkey assertion opens a scoped, expiring session ---
  r.post('/session/options', async (req: Request, res: Response) => {
    await ctx.limits.ceremony(clientAddress(ctx, req));
    res.json(await d.passkeys.signInOptions());
  });
  r.post('/session', json, async (req: Request, res: Response) => {
    const b = obj(req);
    const origin = res.locals['origin'] as string;
    const asserted = await d.passkeys.verifySignIn(b['ceremonyId'], credential<AuthenticationResponse>(b));
    const s = await d.sessions.open(asserted, { scopes: b['scopes'], ttlSeconds: b['ttlSeconds'] }, origin);
    setConsoleCookie(res, origin, s.token, s.exp * 1000, ctx.clock.now());
    res.status(201).json({ person: s.person, scopes: s.scopes, exp: s.exp, jti: s.jti, logIndex: s.logIndex });
  });
  r.get('/session', session, (_req: Request, res: Response) => {
    const { principal, session: s } = accessOf(res);
    res.json({ person: principal.id, scopes: s.scopes, exp: Math.floor(s.expiresAt / 1000), jti: s.jti });
  });
  r.delete('/session', session, async (req: Request, res: Response) => {
    await d.sessions.end(accessOf(res));
    clearConsoleCookie(res, originOf(req));
    res.status(204).end();
  });

  // --- reading the log (scope log:read; each read logged first) ---
  r.get('/entries', session, read('entries'), async (req: Request, res: Response) => {
    const entries = await d.log.query(entryQueryFrom(req));
    res.json({ entries: entries.map((e) => ({ index: e.index, text: e.body })) });
  });
  r.get('/actions/:id/trail', session, read('trail'), async (req: Request, res: Response) => {
    const id = String(req.params['id'] ?? '');
    if (id.length === 0 || id.length > 200) throw new FirewallError('PATH_INVALID', "path parameter 'id' must be 1-200 characters", { status: 400 });
    res.json(await actionTrail(d.log, id));
  });
  r.get('/proofs/consistency', session, read('consistency'), async (req: Request, res: Response) => {
    const from = uintParam(req, 'from');
    const to = uintParam(req, 'to');
    if (from === undefined || to === undefined) throw new FirewallError('QUERY_INVALID', 'from and to are required', { status: 400 });
    res.json(await consistencyBetween(d.log, from, to));
  });
  r.get('/statistics', session, read('statistics'), async (req: Request, res: Response) => {
    const until = uintParam(req, 'until') ?? ctx.clock.now();
    res.json(await logStatistics(d.log, { since: uintParam(req, 'since') ?? Math.max(0, until - 7 * 24 * 3600_000), until, buckets: uintParam(req, 'buckets') ?? 48 }));
  });

  // --- export (scope log:export; logged as regulator.export) ---
  r.get('/export', session, async (req: Request, res: Response) => {
    const access = accessOf(res);
    requireScope(access, 'log:export');
    await sendRegulatorExport(ctx, d.log, req, res, { by: access.principal.id, via: 'console', tokenJti: access.session.jti, maxEntries: d.maxExportEntries });
  });
  return r;
}

/** `POST /v1/regulator/invitations` (role admin): `{ person, ttlSeconds? }` → `201 { person, url, expiresAt }`; the URL is shown once. */
export function regulatorInvitationsRouter(ctx: GatewayContext, d: Pick<RegulatorConsoleDeps, 'passkeys' | 'invitationTtlMs'>): Router {
  const r = express.Router();
  const json = express.json({ limit: 16 * 1024, strict: true, type: () => true });
  r.post('/v1/regulator/invitations', authenticateRequest(ctx), json, async (req: Request, res: Response) => {
    const p = principalOf(res);
    if (!p.roles.includes('admin')) throw new FirewallError('ROLE_FORBIDDEN', 'only an administrator invites regulators', { status: 403 });
    const b = obj(req);
    for (const k of Object.keys(b)) if (k !== 'person' && k !== 'ttlSeconds') throw new FirewallError('BODY_INVALID', `unknown field '${k.slice(0, 50)}'`, { status: 400, detail: { field: k.slice(0, 50) } });
    if (typeof b['person'] !== 'string' || b['person'].length === 0 || b['person'].length > 100) throw new FirewallError('BODY_INVALID', "'person' must be a principal id", { status: 400, detail: { field: 'person' } });
    const ttl = b['ttlSeconds'] ?? d.invitationTtlMs / 1000;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 60 || ttl > 30 * 86_400) throw new FirewallError('BODY_INVALID', "'ttlSeconds' must be a whole number in 60..2592000", { status: 400, detail: { field: 'ttlSeconds' } });
    res.status(201).set('Cache-Control', 'no-store').json(await d.passkeys.invite({ person: b['person'], by: p.id, ttlMs: ttl * 1000 }));
  });
  return r;
}
