import express, { type Request, type Response, type Router } from 'express';
import { FirewallError } from '../../../core/errors.ts';
import { parseSafeUint } from '../../../core/merkle/tree-size.ts';
import { parseCheckpoint } from '../../../core/checkpoint/checkpoint.ts';
import { parseSignedNote } from '../../../core/checkpoint/note.ts';
import type { TransparencyLog } from '../../../gateway/log/transparency-log.ts';
import { buildRegulatorExport, type RegulatorExportRequest } from '../../log/regulator-export.ts';
import { AccessTokens } from '../../../gateway/access-tokens.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { publishedJwks } from '../../../gateway/jwks.ts';
import { authenticateRequest, principalOf } from '../authenticate-request.ts';
import { authenticateReader, readerAccessOf } from '../authenticate-reader.ts';

export interface RegulatorRouterOptions {
  /** Shared with logAccessRouter if given (only a key cache is shared). */
  tokens?: AccessTokens;
  /** Largest export (entries in range plus context). Default 250,000. */
  maxExportEntries?: number;
}

const TOKEN_FIELDS = new Set(['scopes', 'ttlSeconds']);
const EXPORT_PARAMS = ['fromIndex', 'toIndex', 'since', 'until'] as const;
const REGULATOR = new Set(['regulator']);

function exportRequest(req: Request): RegulatorExportRequest {
  const q = req.query as Record<string, unknown>;
  for (const k of Object.keys(q)) {
    if (!(EXPORT_PARAMS as readonly string[]).includes(k)) throw new FirewallError('QUERY_INVALID', `unknown query parameter '${k.slice(0, 50)}'`, { status: 400 });
  }
  const out: RegulatorExportRequest = {};
  for (const k of EXPORT_PARAMS) {
    const v = q[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new FirewallError('QUERY_INVALID', `query parameter ${k} must appear once`, { status: 400 });
    out[k] = parseSafeUint(v, k);
  }
  return out;
}

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
    const request = exportRequest(req);
    const bundle = await buildRegulatorExport(log, request, { jwks: await publishedJwks(ctx.signer), clock: ctx.clock, maxEntries });
    const latest = parseCheckpoint(parseSignedNote(bundle.checkpoints[bundle.checkpoints.length - 1]!.note).text);
    const access = readerAccessOf(res);
    // Recorded before the bundle leaves: every export is in the log.
    await ctx.store.tx(async (tx) =>
      tx.audit([
        {
          v: 1,
          type: 'regulator.export',
          ts: ctx.clock.now(),
          by: principalOf(res).id,
          via: access.via,
          ...(access.via === 'token' ? { tokenJti: access.jti } : {}),
          request,
          range: bundle.range,
          checkpoint: { size: latest.size, rootHash: latest.rootHash.toString('base64') },
          entries: bundle.entries.length,
          context: bundle.context?.length ?? 0,
        },
      ]),
    );
    res
      .status(200)
      .set('Cache-Control', 'no-store')
      .set('Content-Disposition', `attachment; filename="log-export-${bundle.range.start}-${bundle.range.end}.json"`)
      .type('application/json')
      .send(JSON.stringify(bundle));
  });
  return r;
}
