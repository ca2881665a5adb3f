/**
 * The generation anchor: a second, separately written file that remembers the store's generation
 * and MAC. Copying an older store.json back (rollback) leaves the anchor ahead of it; editing the
 * store breaks its MAC. The audit log is the third witness (store/integrity.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { canonicalJson } from '../../src/core/canonical.ts';
import { writeFileAtomic, type AtomicWriteHooks } from './atomic-file.ts';
import { mac, macMatches } from './sealing.ts';

export interface Anchor {
  v: 1;
  generation: number;
  storeMac: string;
}

export type AnchorRead = { kind: 'missing' } | { kind: 'invalid'; why: string } | { kind: 'ok'; anchor: Anchor };

export function readAnchor(path: string, key: Buffer): AnchorRead {
  if (!existsSync(path)) return { kind: 'missing' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return { kind: 'invalid', why: 'anchor file is not JSON' };
  }
  const a = parsed as Record<string, unknown>;
  if (a === null || typeof a !== 'object' || a.v !== 1 || !Number.isSafeInteger(a.generation) || typeof a.storeMac !== 'string' || typeof a.mac !== 'string') {
    return { kind: 'invalid', why: 'anchor file has the wrong shape' };
  }
  const anchor: Anchor = { v: 1, generation: a.generation as number, storeMac: a.storeMac };
  if (!macMatches(key, canonicalJson(anchor), a.mac)) return { kind: 'invalid', why: 'anchor MAC does not verify' };
  return { kind: 'ok', anchor };
}

export function writeAnchor(path: string, key: Buffer, anchor: Anchor, hooks?: AtomicWriteHooks): void {
  writeFileAtomic(path, JSON.stringify({ ...anchor, mac: mac(key, canonicalJson(anchor)) }) + '\n', hooks);
}
