/**
 * Read a static tlog-tiles directory (as written by writeTileDirectory, or mirrored from
 * <prefix>/checkpoint, <prefix>/tile/..., <prefix>/v1/verifier-key) into an export bundle covering
 * [0, checkpoint size). Level-0 tiles provide the leaf hashes; entry bundles provide the entries.
 * A missing or malformed entry bundle leaves its entries out, so verification names them as missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirewallError } from '../../src/core/errors.ts';
import { decodeEntryBundle, decodeHashTile, entryBundlesForSize, tilePath, TILE_WIDTH } from '../../src/core/merkle/tile.ts';
import { parseCheckpoint } from '../../src/core/checkpoint/checkpoint.ts';
import { parseSignedNote } from '../../src/core/checkpoint/note.ts';
import { EXPORT_BUNDLE_FORMAT, type BundleEntry, type ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function read(dir: string, rel: string): Buffer | null {
  const p = join(dir, ...rel.split('/'));
  return existsSync(p) ? readFileSync(p) : null;
}

export interface TileDirLoad {
  bundle: ExportBundle;
  /** Problems met while reading (missing or malformed files), by path. */
  problems: string[];
}

export function loadTileDirectory(dir: string): TileDirLoad {
  const problems: string[] = [];
  const noteBytes = read(dir, 'checkpoint');
  if (!noteBytes) throw new FirewallError('TILEDIR_INVALID', `${dir} has no checkpoint file`, { status: 400 });
  const note = noteBytes.toString('utf8');
  // Untrusted until verifyBundle checks the signature; only the size is needed to plan the reads.
  const cp = parseCheckpoint(parseSignedNote(noteBytes).text);
  const keyText = read(dir, 'v1/verifier-key');
  if (!keyText) throw new FirewallError('TILEDIR_INVALID', `${dir} has no v1/verifier-key file`, { status: 400 });
  let key: { vkey?: unknown; x5c?: unknown };
  try {
    key = JSON.parse(keyText.toString('utf8')) as { vkey?: unknown; x5c?: unknown };
  } catch (e) {
    throw new FirewallError('TILEDIR_INVALID', 'v1/verifier-key is not JSON', { status: 400, cause: e });
  }

  const n = cp.size;
  const leaves = Buffer.alloc(n * 32);
  const entries: BundleEntry[] = [];
  for (const bundle of entryBundlesForSize(n)) {
    const first = bundle.index * TILE_WIDTH;
    const tileRel = tilePath({ level: 0, index: bundle.index, width: bundle.width });
    const tile = read(dir, tileRel);
    if (!tile) problems.push(`${tileRel}: missing`);
    else {
      try {
        const hashes = decodeHashTile(tile);
        if (hashes.length !== bundle.width) problems.push(`${tileRel}: holds ${hashes.length} hashes, expected ${bundle.width}`);
        hashes.slice(0, bundle.width).forEach((h, i) => h.copy(leaves, (first + i) * 32));
      } catch (e) {
        problems.push(`${tileRel}: ${(e as Error).message}`);
      }
    }
    const bundleRel = tilePath(bundle);
    const data = read(dir, bundleRel);
    if (!data) {
      problems.push(`${bundleRel}: missing`);
      continue;
    }
    try {
      decodeEntryBundle(data).forEach((e, i) => entries.push({ index: first + i, entry: utf8.decode(e) }));
    } catch (e) {
      problems.push(`${bundleRel}: ${(e as Error).message}`);
    }
  }
  return {
    bundle: {
      format: EXPORT_BUNDLE_FORMAT,
      origin: cp.origin,
      generatedAt: 0,
      range: { start: 0, end: n },
      entries,
      checkpoints: [{ note }],
      proofs: { leafHashes: leaves.toString('base64'), leftFrontier: [], toLatest: [], checkpointConsistency: [] },
      verifierKey: { vkey: key.vkey as string, x5c: key.x5c as string[] },
      jwks: { keys: [] },
      policyVersions: [],
    },
    problems,
  };
}
