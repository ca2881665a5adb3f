import { canonicalJson } from '../canonical.ts';
import { FirewallError } from '../errors.ts';
import { leafHash } from '../merkle/hash.ts';
import { MAX_ENTRY_BYTES } from '../merkle/tile.ts';
import { isUint } from '../merkle/tree-size.ts';
import { entryTerms } from './entry-terms.ts';

/** An entry ready to be stored: its canonical bytes, leaf hash, indexed envelope fields and search terms. */
export interface PreparedEntry {
  body: string;
  leaf: Buffer;
  type: string;
  ts: number | null;
  actionId: string | null;
  /** Search terms (person:…, rule:…), written with the entry. */
  terms: string[];
}

const OBJECT_PROTOTYPES = new Set<unknown>([Object.prototype, null]);

function isPlainObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && OBJECT_PROTOTYPES.has(Object.getPrototypeOf(v)) && !('toJSON' in v);
}

function isPlainArray(v: unknown): v is unknown[] {
  return Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype && !Object.hasOwn(v, 'toJSON');
}

/**
 * Whether the envelope fields and the fields terms are read from (entry-terms.ts) read the same on
 * the object as in its canonical JSON: plain objects and arrays, nothing serialised through toJSON.
 */
function isPlainEntry(entry: object): boolean {
  if (!isPlainObject(entry)) return false;
  const e = entry as Record<string, unknown>;
  for (const k of ['approvals', 'matchedRules']) {
    const v = e[k];
    if (v === undefined) continue;
    if (!isPlainArray(v)) return typeof v !== 'object' || v === null;
    for (const x of v) if (typeof x === 'object' && x !== null && !isPlainObject(x)) return false;
  }
  for (const k of ['v', 'type', 'ts', 'actionId', 'by', 'who', 'person', 'rule']) {
    const v = e[k];
    if (typeof v === 'object' && v !== null) return false;
  }
  return true;
}

function entryInvalid(message: string, position: number): FirewallError {
  return new FirewallError('LOG_ENTRY_INVALID', `entry ${position}: ${message}`, { status: 400, detail: { position } });
}

/** Canonicalise and check one entry envelope `{ v, type, ts?, actionId?, ... }`. */
export function prepareEntry(entry: unknown, position = 0): PreparedEntry {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw entryInvalid('must be a JSON object', position);
  let body: string;
  try {
    body = canonicalJson(entry);
  } catch (e) {
    throw new FirewallError('LOG_ENTRY_INVALID', `entry ${position}: has no canonical JSON form (${(e as Error).message})`, {
      status: 400,
      cause: e,
      detail: { position },
    });
  }
  // A UTF-16 code unit is at most 3 bytes of UTF-8: a short body needs no count.
  if (body.length * 3 > MAX_ENTRY_BYTES && Buffer.byteLength(body, 'utf8') > MAX_ENTRY_BYTES) {
    throw new FirewallError('LOG_ENTRY_TOO_LARGE', `entry ${position}: canonical form exceeds ${MAX_ENTRY_BYTES} bytes`, { status: 413, detail: { position } });
  }
  // The indexed columns and terms must match what is hashed: read from the entry itself when it is
  // plain data (the gateway's own entries: canonical JSON writes exactly what reading it shows),
  // otherwise from the canonical bytes (a toJSON, a prototype, an array with toJSON among the fields read).
  const parsed = isPlainEntry(entry) ? (entry as Record<string, unknown>) : (JSON.parse(body) as Record<string, unknown>);
  const { v, type, ts, actionId } = parsed;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw entryInvalid('"v" must be a positive integer', position);
  if (typeof type !== 'string' || type.length === 0 || type.length > 200) throw entryInvalid('"type" must be a non-empty string', position);
  if (ts !== undefined && !isUint(ts)) throw entryInvalid('"ts" must be a non-negative integer (ms)', position);
  if (actionId !== undefined && (typeof actionId !== 'string' || actionId.length === 0 || actionId.length > 512)) {
    throw entryInvalid('"actionId" must be a non-empty string', position);
  }
  return { body, leaf: leafHash(body), type, ts: ts ?? null, actionId: actionId ?? null, terms: entryTerms(parsed) };
}
