/**
 * Audit exports for regulators: a JSON bundle for an index or time range (format in
 * src/core/checkpoint/bundle-format.ts and docs/transparency-log.md), or a tlog-tiles directory
 * mirroring the HTTP layout. Both are verified offline by clients/regulator.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.ts';
import { FirewallError } from '../../core/errors.ts';
import { isUint } from '../../core/merkle/tree-size.ts';
import { entryBundlesForSize, tilePath, tilesForSize } from '../../core/merkle/tile.ts';
import { EXPORT_BUNDLE_FORMAT, type BundleEntry, type ExportBundle, type PolicyVersionRecord } from '../../core/checkpoint/bundle-format.ts';
import type { SignedCheckpoint } from '../../core/log/types.ts';
import type { TransparencyLog } from '../../gateway/log/transparency-log.ts';

export interface ExportOptions {
  /** First index (inclusive). */
  fromIndex?: number;
  /** End index (exclusive). Clamped to the latest checkpoint's size. */
  toIndex?: number;
  /** Time range instead of indexes: first entry with ts >= since through the last with ts < until. */
  since?: number;
  until?: number;
  /** Sign a checkpoint of the current tree first, so the export covers everything committed. Default true. */
  freshCheckpoint?: boolean;
  jwks?: { keys: JsonWebKey[] };
  policyVersions?: PolicyVersionRecord[];
  clock?: Clock;
}

const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.length).toString('base64');

async function latestFor(log: TransparencyLog, fresh: boolean | undefined): Promise<SignedCheckpoint> {
  const latest = fresh === false ? await log.latestCheckpoint() : await log.checkpoint();
  if (!latest) throw new FirewallError('LOG_NO_CHECKPOINT', 'the log has not signed a checkpoint yet', { status: 404 });
  return latest;
}

/** Build an export bundle for a range of the log, provable under the latest checkpoint. */
export async function buildExportBundle(log: TransparencyLog, options: ExportOptions = {}): Promise<ExportBundle> {
  const latest = await latestFor(log, options.freshCheckpoint);
  let start: number;
  let end: number;
  if (options.since !== undefined || options.until !== undefined) {
    if (options.fromIndex !== undefined || options.toIndex !== undefined) {
      throw new FirewallError('EXPORT_RANGE_INVALID', 'give either an index range or a time range, not both', { status: 400 });
    }
    const r = await log.indexRangeForTime(options.since ?? 0, options.until ?? Number.MAX_SAFE_INTEGER);
    start = r.start;
    end = r.end;
  } else {
    start = options.fromIndex ?? 0;
    end = options.toIndex ?? latest.size;
  }
  if (!isUint(start) || !isUint(end)) throw new FirewallError('EXPORT_RANGE_INVALID', 'range bounds must be non-negative integers', { status: 400 });
  end = Math.min(end, latest.size);
  start = Math.min(start, end);

  // The checkpoint chain: the last checkpoint at or before `start` (if any) through the latest.
  const before = await log.checkpoints(0, start);
  const chainFrom = before.length > 0 ? (before[before.length - 1] as SignedCheckpoint).size : 0;
  const checkpoints = await log.checkpoints(chainFrom, latest.size);
  const checkpointConsistency = [];
  for (let i = 0; i + 1 < checkpoints.length; i++) {
    const a = checkpoints[i] as SignedCheckpoint;
    const b = checkpoints[i + 1] as SignedCheckpoint;
    checkpointConsistency.push({ from: a.size, to: b.size, hashes: (await log.consistencyProof(a.size, b.size)).hashes.map(b64) });
  }

  const entries: BundleEntry[] = new Array(end - start);
  let i = 0;
  for await (const body of log.bodies(start, end)) {
    entries[i] = { index: start + i, entry: body };
    i++;
  }
  if (i !== end - start) throw new FirewallError('LOG_CORRUPT', `entries [${start}, ${end}) are incomplete`, { status: 500 });

  const key = await log.verifierKey();
  return {
    format: EXPORT_BUNDLE_FORMAT,
    origin: log.origin,
    generatedAt: (options.clock ?? systemClock).now(),
    range: { start, end },
    entries,
    checkpoints: checkpoints.map((c) => ({
      note: c.note,
      signedAt: c.signedAt,
      ...(c.hsmCounter === null ? {} : { hsmCounter: c.hsmCounter }),
    })),
    proofs: {
      leafHashes: (await log.leafHashes(start, end)).toString('base64'),
      leftFrontier: (await log.frontierHashes(start)).map(b64),
      toLatest: (await log.consistencyProof(end, latest.size)).hashes.map(b64),
      checkpointConsistency,
    },
    verifierKey: { vkey: key.vkey, x5c: key.x5c },
    jwks: options.jwks ?? { keys: [] },
    policyVersions: options.policyVersions ?? [],
  };
}

/**
 * Write the log as a static tlog-tiles directory for the latest checkpoint: `checkpoint`,
 * `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`, and `v1/verifier-key` (JSON with vkey and x5c).
 */
export async function writeTileDirectory(log: TransparencyLog, dir: string, options: { freshCheckpoint?: boolean } = {}): Promise<SignedCheckpoint> {
  const latest = await latestFor(log, options.freshCheckpoint);
  const write = (rel: string, data: string | Uint8Array): void => {
    const p = join(dir, ...rel.split('/'));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  };
  write('checkpoint', latest.note);
  const snapshot = latest.size;
  for (const t of [...tilesForSize(snapshot), ...entryBundlesForSize(snapshot)]) write(tilePath(t), await log.tile(t));
  write('v1/verifier-key', `${JSON.stringify(await log.verifierKey(), null, 2)}\n`);
  return latest;
}
