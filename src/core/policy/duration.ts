import { FirewallError } from '../errors.ts';

/**
 * Durations in policy files are strings with one unit ("500ms", "30s", "10m", "2h", "1d").
 * Zero is refused: a zero cooling is LOW in disguise and a zero sustained duration is no
 * biological entropy at all. Bare numbers are refused too: `cooling: 30` could mean seconds or
 * milliseconds, and a policy misread by a factor of 1000 is a silent weakening.
 */
export const DURATION_PATTERN = '^([1-9][0-9]{0,8})(ms|s|m|h|d)$';
const DURATION_RE = new RegExp(DURATION_PATTERN);

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Upper bound for any policy duration: a year. Keeps arithmetic far from Number.MAX_SAFE_INTEGER. */
export const MAX_DURATION_MS = 366 * 86_400_000;

export function parseDuration(text: string): number {
  const m = DURATION_RE.exec(text);
  if (m === null) {
    throw new FirewallError('DURATION_INVALID', `'${text}' is not a duration such as '500ms', '30s', '10m', '2h' or '1d'`, { status: 400 });
  }
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

/** The shortest exact rendering, for messages: 90000 → "90s", 3600000 → "1h". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
