/**
 * Defensive readers for request fields. Every frame is hostile until proven otherwise: fields are
 * read as own properties only, types and sizes are checked, and unknown fields are refused so a
 * misspelt attribute (say `extractable: true`) can never be silently ignored.
 */
import { deviceError } from './error-codes.ts';

export type Fields = Record<string, unknown>;

function invalid(message: string, field: string): never {
  throw deviceError('REQUEST_INVALID', message, { field });
}

function get(req: Fields, name: string): unknown {
  return Object.hasOwn(req, name) ? req[name] : undefined;
}

/** Refuse any field not in `allowed` (the envelope fields `id` and `op` are always allowed). */
export function onlyFields(req: Fields, allowed: readonly string[]): void {
  for (const name of Object.keys(req)) {
    if (name === 'id' || name === 'op') continue;
    if (!allowed.includes(name)) invalid(`unknown field "${name.slice(0, 64)}"`, name.slice(0, 64));
  }
}

export function has(req: Fields, name: string): boolean {
  return get(req, name) !== undefined;
}

export function str(req: Fields, name: string, opts: { min?: number; max: number; pattern?: RegExp; what?: string }): string {
  const v = get(req, name);
  if (typeof v !== 'string') invalid(`field "${name}" must be a string`, name);
  const min = opts.min ?? 1;
  if (v.length < min || v.length > opts.max) invalid(`field "${name}" must be ${min}..${opts.max} characters`, name);
  if (opts.pattern !== undefined && !opts.pattern.test(v)) invalid(`field "${name}" must be ${opts.what ?? `match ${opts.pattern}`}`, name);
  return v;
}

export function optStr(req: Fields, name: string, opts: { min?: number; max: number; pattern?: RegExp; what?: string }): string | undefined {
  return has(req, name) ? str(req, name, opts) : undefined;
}

export function int(req: Fields, name: string, opts: { min: number; max: number }): number {
  const v = get(req, name);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) invalid(`field "${name}" must be an integer`, name);
  if (v < opts.min || v > opts.max) invalid(`field "${name}" must be in ${opts.min}..${opts.max}`, name);
  return v;
}

export function optInt(req: Fields, name: string, opts: { min: number; max: number }): number | undefined {
  return has(req, name) ? int(req, name, opts) : undefined;
}

export function oneOf<T extends string>(req: Fields, name: string, values: readonly T[]): T {
  const v = get(req, name);
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    invalid(`field "${name}" must be one of ${values.join(', ')}`, name);
  }
  return v as T;
}

export function stringList<T extends string>(req: Fields, name: string, values: readonly T[], opts: { min: number }): T[] {
  const v = get(req, name);
  if (!Array.isArray(v)) invalid(`field "${name}" must be an array`, name);
  if (v.length < opts.min || v.length > values.length) invalid(`field "${name}" must list ${opts.min}..${values.length} values`, name);
  const seen = new Set<string>();
  for (const item of v) {
    if (typeof item !== 'string' || !(values as readonly string[]).includes(item)) {
      invalid(`field "${name}" may only contain ${values.join(', ')}`, name);
    }
    if (seen.has(item)) invalid(`field "${name}" lists "${item}" twice`, name);
    seen.add(item);
  }
  return v as T[];
}

// Canonical padded base64 only: one spelling per byte string keeps audit digests unambiguous.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeB64(v: unknown, name: string, maxBytes: number, minBytes = 0): Buffer {
  if (typeof v !== 'string') invalid(`field "${name}" must be a base64 string`, name);
  if (v.length > Math.ceil(maxBytes / 3) * 4) invalid(`field "${name}" exceeds ${maxBytes} bytes`, name);
  if (!BASE64.test(v)) invalid(`field "${name}" is not canonical base64`, name);
  const bytes = Buffer.from(v, 'base64');
  if (bytes.length > maxBytes || bytes.length < minBytes) invalid(`field "${name}" must decode to ${minBytes}..${maxBytes} bytes`, name);
  return bytes;
}

export function b64(req: Fields, name: string, opts: { maxBytes: number; minBytes?: number }): Buffer {
  return decodeB64(get(req, name), name, opts.maxBytes, opts.minBytes);
}

export function b64List(req: Fields, name: string, opts: { maxItems: number; maxBytes: number }): Buffer[] {
  const v = get(req, name);
  if (!Array.isArray(v)) invalid(`field "${name}" must be an array of base64 strings`, name);
  if (v.length < 1 || v.length > opts.maxItems) invalid(`field "${name}" must hold 1..${opts.maxItems} items`, name);
  const out = new Array<Buffer>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = decodeB64(v[i], `${name}[${i}]`, opts.maxBytes);
  return out;
}

export const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const KEY_ID_PATTERN = /^[0-9a-f]{32}$/;

export interface KeyRef {
  label?: string;
  id?: string;
}

/** `key: { label?, id? }` with at least one of them; when both are given they must name one key. */
export function keyRef(req: Fields, name = 'key'): KeyRef {
  const v = get(req, name);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) invalid(`field "${name}" must be an object { label?, id? }`, name);
  const obj = v as Fields;
  for (const k of Object.keys(obj)) if (k !== 'label' && k !== 'id') invalid(`field "${name}" has unknown member "${k.slice(0, 64)}"`, name);
  const ref: KeyRef = {};
  if (has(obj, 'label')) ref.label = str(obj, 'label', { max: 64, pattern: LABEL_PATTERN, what: 'a key label ([A-Za-z0-9._-], 1..64, starting alphanumeric)' });
  if (has(obj, 'id')) ref.id = str(obj, 'id', { min: 32, max: 32, pattern: KEY_ID_PATTERN, what: '32 lowercase hex digits' });
  if (ref.label === undefined && ref.id === undefined) invalid(`field "${name}" needs a label or an id`, name);
  return ref;
}
