/**
 * Defensive reads of entry fields. Every entry of a bundle is attacker input: a field of the wrong
 * type reads as absent, never as a default that could make a check pass.
 */
export type Obj = Record<string, unknown>;

const MAX_STRING = 4096;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-empty string of at most 4096 characters. */
export function str(o: Obj, k: string): string | undefined {
  const v = o[k];
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_STRING ? v : undefined;
}

/** A non-negative safe integer. */
export function uint(o: Obj, k: string): number | undefined {
  const v = o[k];
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

export function obj(o: Obj, k: string): Obj | undefined {
  const v = o[k];
  return isObj(v) ? v : undefined;
}

export function arr(o: Obj, k: string): unknown[] | undefined {
  const v = o[k];
  return Array.isArray(v) ? v : undefined;
}

/** An array of non-empty strings, or undefined. */
export function strings(o: Obj, k: string): string[] | undefined {
  const v = o[k];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= MAX_STRING)) return undefined;
  return v as string[];
}

const TIERS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Tier = (typeof TIERS)[number];

export function tier(o: Obj, k: string): Tier | undefined {
  const v = o[k];
  return (TIERS as readonly unknown[]).includes(v) ? (v as Tier) : undefined;
}

/**
 * An entry's value as a message shows it: a string as it is, anything else as JSON, at most 64
 * characters. Never `String(v)` or a template: an attacker's `{"toString": 0}` makes those throw,
 * and a rule that throws reports a crash instead of the finding.
 */
export function shown(v: unknown): string {
  let s: string | undefined;
  try {
    s = typeof v === 'string' ? v : JSON.stringify(v);
  } catch {
    s = undefined;
  }
  if (s === undefined) return '(unprintable)';
  return s.length > 64 ? `${s.slice(0, 63)}…` : s;
}
