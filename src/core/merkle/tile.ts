/**
 * C2SP tlog-tiles coordinates: tile height 8, width 256.
 *
 * The n-th tile at level l holds, for i in 0..255, MTH(D[(n*256 + i) * 256^l : (n*256 + i + 1) * 256^l]),
 * i.e. the complete subtrees at Merkle level 8*l with indexes n*256 .. n*256+255. A partial tile holds
 * the first W (1..255) of those. Entry bundles (`tile/entries/<N>`) hold the entries of the level-0 tile
 * with the same coordinates, each as a big-endian uint16 length followed by the bytes.
 *
 * Paths: `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`, with <N> split into 3-digit groups,
 * all but the last prefixed with `x` (1234067 -> x001/x234/067). Only the canonical spelling parses.
 */
import { Buffer } from 'buffer';
import { FirewallError } from '../errors.ts';
import { HASH_SIZE } from './hash.ts';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
export const MAX_TILE_LEVEL = 63;
/** Largest entry an entry bundle can carry (uint16 length prefix). */
export const MAX_ENTRY_BYTES = 0xffff;

export interface TileCoord {
  /** Tile level 0..63, or 'entries' for an entry bundle. */
  level: number | 'entries';
  /** Tile index within the level. */
  index: number;
  /** Number of hashes (or entries): 256 for a full tile, 1..255 for a partial one. */
  width: number;
}

/** Encode a tile index as x-prefixed 3-digit groups. */
export function encodeTileIndex(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new FirewallError('TILE_PATH_INVALID', 'tile index must be a non-negative integer', { status: 400 });
  let s = String(n % 1000).padStart(3, '0');
  let rest = Math.floor(n / 1000);
  while (rest > 0) {
    s = `x${String(rest % 1000).padStart(3, '0')}/${s}`;
    rest = Math.floor(rest / 1000);
  }
  return s;
}

/** Path of a tile relative to the log prefix, e.g. `tile/0/x001/234.p/17`. */
export function tilePath(t: TileCoord): string {
  if (t.level !== 'entries' && (!Number.isInteger(t.level) || t.level < 0 || t.level > MAX_TILE_LEVEL)) {
    throw new FirewallError('TILE_PATH_INVALID', `tile level must be 0..${MAX_TILE_LEVEL}`, { status: 400 });
  }
  if (!Number.isInteger(t.width) || t.width < 1 || t.width > TILE_WIDTH) {
    throw new FirewallError('TILE_PATH_INVALID', `tile width must be 1..${TILE_WIDTH}`, { status: 400 });
  }
  const suffix = t.width === TILE_WIDTH ? '' : `.p/${t.width}`;
  return `tile/${t.level}/${encodeTileIndex(t.index)}${suffix}`;
}

const LEVEL = /^(?:0|[1-9][0-9]?)$/;
const WIDTH = /^[1-9][0-9]{0,2}$/;
const GROUP = /^x?[0-9]{3}$/;

function bad(path: string, why: string): never {
  throw new FirewallError('TILE_PATH_INVALID', `malformed tile path ${JSON.stringify(path.slice(0, 100))}: ${why}`, { status: 400 });
}

/** Parse `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` (no leading slash). Canonical form only. */
export function parseTilePath(path: string): TileCoord {
  if (typeof path !== 'string' || path.length > 200) bad(String(path), 'too long');
  const parts = path.split('/');
  if (parts.length < 3 || parts[0] !== 'tile') bad(path, 'expected tile/<L>/<N>');
  const levelText = parts[1] as string;
  let level: number | 'entries';
  if (levelText === 'entries') level = 'entries';
  else {
    if (!LEVEL.test(levelText)) bad(path, 'level must be a decimal 0..63 without leading zeros');
    level = Number(levelText);
    if (level > MAX_TILE_LEVEL) bad(path, 'level must be 0..63');
  }
  let groups = parts.slice(2);
  let width = TILE_WIDTH;
  const last = groups[groups.length - 1] as string;
  if (groups.length >= 2 && (groups[groups.length - 2] as string).endsWith('.p')) {
    if (!WIDTH.test(last)) bad(path, 'partial width must be a decimal 1..255 without leading zeros');
    width = Number(last);
    if (width >= TILE_WIDTH) bad(path, 'partial width must be 1..255');
    groups = groups.slice(0, -1);
    const g = groups[groups.length - 1] as string;
    groups[groups.length - 1] = g.slice(0, -2);
  }
  if (groups.length === 0 || groups.length > 6) bad(path, 'tile index has too many groups');
  let n = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as string;
    const isLast = i === groups.length - 1;
    if (!GROUP.test(g) || g.startsWith('x') === isLast) bad(path, 'tile index groups must be x-prefixed 3-digit groups, the last without x');
    n = n * 1000 + Number(isLast ? g : g.slice(1));
  }
  if (!Number.isSafeInteger(n)) bad(path, 'tile index too large');
  const coord: TileCoord = { level, index: n, width };
  // Reject non-canonical spellings such as x000/005.
  if (tilePath(coord) !== path) bad(path, 'not the canonical spelling');
  return coord;
}

/** Merkle level of the hashes stored in a tile of level `l`. */
export function tileHashLevel(l: number): number {
  return TILE_HEIGHT * l;
}

/** Number of hashes at tile level `l` that exist in a tree of `size` leaves (complete subtrees at level 8l). */
export function hashesAtTileLevel(size: number, l: number): number {
  return Math.floor(size / 2 ** (TILE_HEIGHT * l));
}

/**
 * Whether the tile exists in a tree of `size` leaves. A full tile needs all 256 hashes; a partial tile
 * of width W needs its first W hashes (a prefix of a tile is fixed once those subtrees are complete).
 */
export function tileExists(t: TileCoord, size: number): boolean {
  const lvl = t.level === 'entries' ? 0 : t.level;
  const available = hashesAtTileLevel(size, lvl);
  return t.index * TILE_WIDTH + t.width <= available;
}

/** Every tile (full and partial) the tlog-tiles API exposes for a tree of `size` leaves. */
export function tilesForSize(size: number): TileCoord[] {
  const out: TileCoord[] = [];
  for (let l = 0; l <= MAX_TILE_LEVEL; l++) {
    const count = hashesAtTileLevel(size, l);
    if (count === 0) break;
    const full = Math.floor(count / TILE_WIDTH);
    for (let n = 0; n < full; n++) out.push({ level: l, index: n, width: TILE_WIDTH });
    const partial = count % TILE_WIDTH;
    if (partial > 0) out.push({ level: l, index: full, width: partial });
  }
  return out;
}

/** Entry bundles for a tree of `size` leaves. */
export function entryBundlesForSize(size: number): TileCoord[] {
  const out: TileCoord[] = [];
  const full = Math.floor(size / TILE_WIDTH);
  for (let n = 0; n < full; n++) out.push({ level: 'entries', index: n, width: TILE_WIDTH });
  if (size % TILE_WIDTH > 0) out.push({ level: 'entries', index: full, width: size % TILE_WIDTH });
  return out;
}

/** Concatenate entries as big-endian uint16 length-prefixed records. */
export function encodeEntryBundle(entries: readonly (Uint8Array | string)[]): Buffer {
  const bufs = entries.map((e) => (typeof e === 'string' ? Buffer.from(e, 'utf8') : Buffer.from(e.buffer, e.byteOffset, e.length)));
  let total = 0;
  for (const b of bufs) {
    if (b.length > MAX_ENTRY_BYTES) throw new FirewallError('TILE_ENTRY_TOO_LARGE', `entry of ${b.length} bytes exceeds ${MAX_ENTRY_BYTES}`, { status: 400 });
    total += 2 + b.length;
  }
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (const b of bufs) {
    out.writeUInt16BE(b.length, off);
    b.copy(out, off + 2);
    off += 2 + b.length;
  }
  return out;
}

/** Split an entry bundle. Throws TILE_BUNDLE_MALFORMED on a truncated record. */
export function decodeEntryBundle(data: Uint8Array): Buffer[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  const out: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 2 > buf.length) throw new FirewallError('TILE_BUNDLE_MALFORMED', `truncated length prefix at byte ${off}`, { status: 400 });
    const len = buf.readUInt16BE(off);
    if (off + 2 + len > buf.length) throw new FirewallError('TILE_BUNDLE_MALFORMED', `entry ${out.length} runs past the end of the bundle`, { status: 400 });
    out.push(buf.subarray(off + 2, off + 2 + len));
    off += 2 + len;
    if (out.length > TILE_WIDTH) throw new FirewallError('TILE_BUNDLE_MALFORMED', `bundle holds more than ${TILE_WIDTH} entries`, { status: 400 });
  }
  return out;
}

/** Split a hash tile into its hashes. */
export function decodeHashTile(data: Uint8Array): Buffer[] {
  if (data.length === 0 || data.length % HASH_SIZE !== 0 || data.length > TILE_WIDTH * HASH_SIZE) {
    throw new FirewallError('TILE_MALFORMED', `tile of ${data.length} bytes is not 1..256 hashes`, { status: 400 });
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  const out: Buffer[] = [];
  for (let off = 0; off < buf.length; off += HASH_SIZE) out.push(buf.subarray(off, off + HASH_SIZE));
  return out;
}
