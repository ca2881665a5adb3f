import express, { type Request, type Response, type Router } from 'express';
import { FirewallError } from '../../../core/errors.ts';
import type { TransparencyLog } from '../../../gateway/log/transparency-log.ts';
import { AccessTokens } from '../../../gateway/access-tokens.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { authenticateRequest, principalOf } from '../authenticate-request.ts';
import { authenticateReader, readerAccessOf } from '../authenticate-reader.ts';
import { sendRegulatorExport } from '../regulator-export-response.ts';

export interface RegulatorRouterOptions {
  /** Shared with logAccessRouter if given (only a key cache is shared). */
  tokens?: AccessTokens;
  /** Largest export (entries in range plus context). Default 250,000. */
  maxExportEntries?: number;
}

const TOKEN_FIELDS = new Set(['scopes', 'ttlSeconds']);
const REGULATOR = new Set(['regulator']);

/**
 * Regulator access (docs/regulator.md):
 *   POST /v1/regulator/tokens   client assertion of a `regulator` principal -> scoped access token (<= 1 h)
 *   GET  /v1/regulator/export   token with `log:export`, or a regulator's client assertion -> export bundle
 * Both record what they did in the transparency log before answering.
 */
export function regulatorRouter(ctx: GatewayContext, log: TransparencyLog, o: RegulatorRouterOptions = {}): Router {
  const tokens = o.tokens ?? new AccessTokens({ signer: ctx.signer, store: ctx.store, clock: ctx.clock, origin: ctx.publicUrl });
  const maxEntries = o.maxExportEntries ?? 250_000;
  const r = express.Router();
  const json = express.json({ limit: 4096, strict: true, type: () => true });

  r.post('/v1/regulator/tokens', authenticateRequest(ctx), json, async (req: Request, res: Response) => {
    const body: unknown = req.body ?? {};
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FirewallError('BODY_INVALID', 'the body must be a JSON object', { status: 400 });
    for (const k of Object.keys(body)) {
      if (!TOKEN_FIELDS.has(k)) throw new FirewallError('BODY_INVALID', `unknown field '${k.slice(0, 50)}'`, { status: 400, detail: { field: k.slice(0, 50) } });
    }
    const issued = await tokens.issue(principalOf(res), body as { scopes?: unknown; ttlSeconds?: unknown });
    res.status(201).set('Cache-Control', 'no-store').set('Pragma', 'no-cache').json({
      access_token: issued.token,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: issued.scopes.join(' '),
      jti: issued.jti,
      exp: issued.exp,
      logIndex: issued.logIndex,
    });
  });

  const exportAuth = authenticateReader(ctx, tokens, { scope: 'log:export', roles: REGULATOR, roleMessage: 'exports are for the regulator role only' });
  r.get('/v1/regulator/export', exportAuth, async (req: Request, res: Response) => {
    const access = readerAccessOf(res);
    await sendRegulatorExport(ctx, log, req, res, { by: principalOf(res).id, via: access.via, ...(access.via === 'token' ? { tokenJti: access.jti } : {}), maxEntries });
  });
  return r;
}
