/**
 * HTTP read API of the transparency log.
 *
 * C2SP tlog-tiles under <prefix> (default /log):
 *   GET <prefix>/checkpoint                       text/plain signed note (latest checkpoint)
 *   GET <prefix>/tile/<L>/<N>[.p/<W>]             application/octet-stream, W*32 bytes of hashes
 *   GET <prefix>/tile/entries/<N>[.p/<W>]         application/octet-stream, uint16-length-prefixed entries
 * JSON:
 *   GET <prefix>/v1/entries/:index
 *   GET <prefix>/v1/entries?actionId=|type=|person=|rule=|since=|until=|after=|limit=
 *   GET <prefix>/v1/proofs/inclusion?index=&size=     (size defaults to the latest checkpoint)
 *   GET <prefix>/v1/proofs/consistency?from=&to=      (to defaults to the latest checkpoint)
 *   GET <prefix>/v1/verifier-key
 *
 * Every failure is RFC 9457 application/problem+json. Malformed or out-of-range input is a 4xx.
 */
import express from 'express';
import type { NextFunction, Request, Response, Router } from 'express';
import { FirewallError, isFirewallError } from '../../core/errors.ts';
import { parseSafeUint } from '../../core/merkle/tree-size.ts';
import { parseTilePath, tileExists, TILE_WIDTH, type TileCoord } from '../../core/merkle/tile.ts';
import type { LogEntry } from '../../core/log/types.ts';
import type { TransparencyLog } from '../../gateway/log/transparency-log.ts';

export interface LogRouterOptions {
  /** Path prefix, default '/log'. */
  prefix?: string;
}

const PROBLEM_BASE = 'https://analog-firewall.dev/problems/';

function kebab(code: string): string {
  return code.toLowerCase().replaceAll('_', '-');
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

export function sendProblem(res: Response, status: number, code: string, detail: string, extra?: Record<string, unknown>): void {
  res
    .status(status)
    .type('application/problem+json')
    .set('Cache-Control', 'no-store')
    .send(JSON.stringify({ type: PROBLEM_BASE + kebab(code), title: TITLES[status] ?? 'Error', status, detail, code, ...extra }));
}

function queryParam(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new FirewallError('LOG_BAD_REQUEST', `query parameter ${name} must appear once`, { status: 400 });
  return v;
}

function numberParam(req: Request, name: string): number | undefined {
  const v = queryParam(req, name);
  return v === undefined ? undefined : parseSafeUint(v, name);
}

function requiredNumber(req: Request, name: string): number {
  const v = numberParam(req, name);
  if (v === undefined) throw new FirewallError('LOG_BAD_REQUEST', `query parameter ${name} is required`, { status: 400 });
  return v;
}

function b64(u: Uint8Array): string {
  return Buffer.from(u.buffer, u.byteOffset, u.length).toString('base64');
}

function entryJson(e: LogEntry): Record<string, unknown> {
  return { index: e.index, leafHash: b64(e.leafHash), entry: e.entry, canonical: e.body };
}

/**
 * Hash tiles are public and shared caches may keep them: a full tile never changes (immutable); a
 * partial one does not either, but is superseded as the tree grows, so it is kept briefly. Entry
 * bundles carry the entries themselves, which only credentialed readers get: private.
 */
export function tileCacheControl(t: TileCoord): string {
  const scope = t.level === 'entries' ? 'private' : 'public';
  return t.width === TILE_WIDTH ? `${scope}, max-age=31536000, immutable` : `${scope}, max-age=60`;
}

async function latestSize(log: TransparencyLog): Promise<number> {
  const cp = await log.latestCheckpoint();
  if (!cp) throw new FirewallError('LOG_NO_CHECKPOINT', 'the log has not signed a checkpoint yet', { status: 404 });
  return cp.size;
}

export function logRouter(log: TransparencyLog, options: LogRouterOptions = {}): Router {
  const prefix = (options.prefix ?? '/log').replace(/\/+$/, '');
  const router = express.Router({ strict: true, caseSensitive: true });

  const wrap =
    (fn: (req: Request, res: Response) => void | Promise<void>) =>
    async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        await fn(req, res);
      } catch (e) {
        next(e);
      }
    };

  router.get(
    `${prefix}/checkpoint`,
    wrap(async (_req, res) => {
      const cp = await log.latestCheckpoint();
      if (!cp) throw new FirewallError('LOG_NO_CHECKPOINT', 'the log has not signed a checkpoint yet', { status: 404 });
      res.status(200).type('text/plain; charset=utf-8').set('Cache-Control', 'public, max-age=2').send(cp.note);
    }),
  );

  // Tiles and entry bundles: parse the whole path ourselves, canonical spellings only.
  router.get(
    new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/tile/.+$`),
    wrap(async (req, res) => {
      const rel = req.path.slice(prefix.length + 1);
      const coord = parseTilePath(rel);
      // Only what a signed checkpoint covers: those entries are durable, so a tile served (and
      // cached as immutable) can never change, whereas newer ones are committed but maybe not synced.
      const signed = (await log.latestCheckpoint())?.size ?? 0;
      if (!tileExists(coord, signed)) throw new FirewallError('LOG_NOT_FOUND', `tile is not within the latest checkpoint (size ${signed})`, { status: 404 });
      const data = await log.tile(coord);
      res.status(200).type('application/octet-stream').set('Cache-Control', tileCacheControl(coord)).send(data);
    }),
  );

  router.get(
    `${prefix}/v1/entries/:index`,
    wrap(async (req, res) => {
      const index = parseSafeUint(req.params['index'], 'index');
      res.status(200).json(entryJson(await log.entry(index)));
    }),
  );

  router.get(
    `${prefix}/v1/entries`,
    wrap(async (req, res) => {
      const actionId = queryParam(req, 'actionId');
      const type = queryParam(req, 'type');
      const person = queryParam(req, 'person');
      const rule = queryParam(req, 'rule');
      const since = numberParam(req, 'since');
      const until = numberParam(req, 'until');
      const afterIndex = numberParam(req, 'after');
      const limit = numberParam(req, 'limit');
      if (actionId === undefined && type === undefined && person === undefined && rule === undefined && since === undefined && until === undefined) {
        throw new FirewallError('LOG_BAD_REQUEST', 'give at least one of actionId, type, person, rule, since, until', { status: 400 });
      }
      for (const [k, v] of [
        ['actionId', actionId],
        ['type', type],
        ['person', person],
        ['rule', rule],
      ] as const) {
        if (v !== undefined && (v.length === 0 || v.length > 512)) throw new FirewallError('LOG_BAD_REQUEST', `${k} must be 1..512 characters`, { status: 400 });
      }
      const entries = await log.query({ actionId, type, person, rule, since, until, afterIndex, limit });
      res.status(200).json({ entries: entries.map(entryJson) });
    }),
  );

  router.get(
    `${prefix}/v1/proofs/inclusion`,
    wrap(async (req, res) => {
      const index = requiredNumber(req, 'index');
      const size = numberParam(req, 'size') ?? (await latestSize(log));
      const p = await log.inclusionProof(index, size);
      res.status(200).json({ index: p.index, size: p.size, leafHash: b64(p.leafHash), rootHash: b64(p.rootHash), hashes: p.hashes.map(b64) });
    }),
  );

  router.get(
    `${prefix}/v1/proofs/consistency`,
    wrap(async (req, res) => {
      const from = requiredNumber(req, 'from');
      const to = numberParam(req, 'to') ?? (await latestSize(log));
      const p = await log.consistencyProof(from, to);
      res.status(200).json({ from: p.from, to: p.to, fromRoot: b64(p.fromRoot), toRoot: b64(p.toRoot), hashes: p.hashes.map(b64) });
    }),
  );

  router.get(
    `${prefix}/v1/verifier-key`,
    wrap(async (_req, res) => {
      res.status(200).json(await log.verifierKey());
    }),
  );

  // Anything else under the prefix is a 404 problem, not the app's HTML fallback.
  router.use(prefix, (req: Request, res: Response) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') sendProblem(res.set('Allow', 'GET, HEAD'), 405, 'LOG_METHOD_NOT_ALLOWED', `${req.method} is not supported`);
    else sendProblem(res, 404, 'LOG_NOT_FOUND', 'no such log resource');
  });

  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (isFirewallError(err)) {
      const status = err.status >= 400 && err.status <= 599 ? err.status : 500;
      // Internal details of server faults stay in the server.
      const detail = status >= 500 ? 'the log could not serve this request' : err.message;
      sendProblem(res, status, err.code, detail);
      return;
    }
    // Errors raised by express itself (e.g. undecodable %-escapes in a path parameter) carry a status.
    const status = (err as { status?: unknown; statusCode?: unknown } | null)?.status ?? (err as { statusCode?: unknown } | null)?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendProblem(res, status, 'LOG_BAD_REQUEST', 'malformed request');
      return;
    }
    sendProblem(res, 500, 'INTERNAL', 'the log could not serve this request');
  });

  return router;
}
