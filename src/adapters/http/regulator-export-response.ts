import type { Request, Response } from 'express';
import { FirewallError } from '../../core/errors.ts';
import { parseSafeUint } from '../../core/merkle/tree-size.ts';
import { parseCheckpoint } from '../../core/checkpoint/checkpoint.ts';
import { parseSignedNote } from '../../core/checkpoint/note.ts';
import type { GatewayContext } from '../../gateway/context.ts';
import { publishedJwks } from '../../gateway/jwks.ts';
import type { TransparencyLog } from '../../gateway/log/transparency-log.ts';
import { buildRegulatorExport, type RegulatorExportRequest } from '../log/regulator-export.ts';

const EXPORT_PARAMS = ['fromIndex', 'toIndex', 'since', 'until'] as const;

/** The export's range from the query string: known parameters only, each once, decimal. */
export function exportRequest(req: Request): RegulatorExportRequest {
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
 * Builds the export bundle, records `regulator.export` (who, how they authenticated, the range,
 * the checkpoint) and only then sends it: every export is in the log. The API's and the
 * console's export entrances both answer through this.
 */
export async function sendRegulatorExport(
  ctx: GatewayContext,
  log: TransparencyLog,
  req: Request,
  res: Response,
  o: { by: string; via: string; tokenJti?: string; maxEntries: number },
): Promise<void> {
  const request = exportRequest(req);
  const bundle = await buildRegulatorExport(log, request, { jwks: await publishedJwks(ctx.signer), clock: ctx.clock, maxEntries: o.maxEntries });
  const latest = parseCheckpoint(parseSignedNote(bundle.checkpoints[bundle.checkpoints.length - 1]!.note).text);
  await ctx.store.tx(async (tx) =>
    tx.audit([
      {
        v: 1,
        type: 'regulator.export',
        ts: ctx.clock.now(),
        by: o.by,
        via: o.via,
        ...(o.tokenJti === undefined ? {} : { tokenJti: o.tokenJti }),
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
}
