import { lowerBound } from './consistency.ts';
import { median } from './dsp.ts';

/**
 * Keyboard dependence of keystroke timing: what a hand on a keyboard has and a timing generator
 * does not. A thumb or finger moving to a key takes longer the farther the key (Fitts' law on phone
 * keyboards; MacKenzie & Soukoreff 2002, Bi, Smith & Zhai 2010), and a two-thumb typist is slower
 * when one thumb presses two keys in a row than when the thumbs alternate (Salthouse 1986; Palin et
 * al. 2019). A bot that draws intervals from a log-normal or 1/f process, however realistic their
 * distribution, makes them independent of which keys they join.
 *
 * Per session only compact moments are kept (`KeyMoments`: sums over the within-word letter pairs of
 * products of [same thumb side, log2(1 + key distance), log interval]); no key or time. The enrolled
 * profile pools them into the person's own pattern (`keyboardProfile`), and a session is tested
 * against it: the correlation of its log intervals with the pattern the person's keys predict.
 */

/** Phone QWERTY key centres in key widths: rows offset by 0, 0.5 and 1.5 keys (the shift key). */
const POS = new Map<string, [number, number]>();
['qwertyuiop', 'asdfghjkl', 'zxcvbnm'].forEach((row, y) => row.split('').forEach((ch, x) => POS.set(ch, [x + [0, 0.5, 1.5][y]!, y])));

/** Left half of the keyboard (left thumb); the rest of a-z is the right thumb. */
const LEFT = new Set('qwertasdfgzxcvb'.split(''));
export function thumbSide(ch: string): 'L' | 'R' | null {
  if (ch.length !== 1 || ch < 'a' || ch > 'z') return null;
  return LEFT.has(ch) ? 'L' : 'R';
}

/** [n, Σs, Σd, Σy, Σs², Σsd, Σsy, Σd², Σdy, Σy²] over pairs: s = same thumb side (0/1), d = log2(1 + key distance), y = log interval. */
export type KeyMoments = number[];

/** Per pair: time of its second key, same side (0/1), log2(1 + key distance), capped log interval (y) and the uncapped one (raw). */
export interface KeyPairs { t: number[]; same: number[]; dist: number[]; y: number[]; raw: number[] }

/**
 * Within-word letter pairs (no Backspace in or just before them, at most 3 s apart) with their key
 * geometry and log interval; pauses longer than 3x the median interval are capped there (a pause is
 * not rhythm, and one long pause must not decide a correlation).
 */
export function keyPairs(list: readonly { down: number; key: string }[], wordOf: readonly number[]): KeyPairs {
  const out: KeyPairs = { t: [], same: [], dist: [], y: [], raw: [] };
  for (let i = 1; i < list.length; i++) {
    const a = list[i - 1]!, b = list[i]!;
    const d = b.down - a.down;
    if (d <= 0 || d > 3000 || wordOf[i] !== wordOf[i - 1] || list[i - 2]?.key === 'Backspace') continue;
    const sa = thumbSide(a.key), sb = thumbSide(b.key);
    if (!sa || !sb) continue;
    const pa = POS.get(a.key)!, pb = POS.get(b.key)!;
    out.t.push(b.down);
    out.same.push(sa === sb ? 1 : 0);
    out.dist.push(Math.log2(1 + Math.hypot(pa[0] - pb[0], pa[1] - pb[1])));
    out.y.push(Math.log(d));
    out.raw.push(Math.log(d));
  }
  if (out.y.length) {
    const cap = median(out.y) + Math.log(3);
    out.y = out.y.map((v) => Math.min(v, cap));
  }
  return out;
}

export function keyMoments(p: KeyPairs, from = -Infinity, to = Infinity): KeyMoments {
  const m = new Array<number>(10).fill(0);
  for (let i = from === -Infinity ? 0 : lowerBound(p.t, from); i < p.t.length && p.t[i]! < to; i++) {
    const s = p.same[i]!, d = p.dist[i]!, y = p.y[i]!;
    m[0]! += 1; m[1]! += s; m[2]! += d; m[3]! += y; m[4]! += s * s; m[5]! += s * d; m[6]! += s * y; m[7]! += d * d; m[8]! += d * y; m[9]! += y * y;
  }
  return m;
}

/** Centred (co)variance sums of one session's moments: [Sss, Ssd, Ssy, Sdd, Sdy, Syy]. */
function centred(m: KeyMoments): number[] {
  const n = m[0]!;
  if (n < 2) return [0, 0, 0, 0, 0, 0];
  const [s, d, y] = [m[1]!, m[2]!, m[3]!];
  return [m[4]! - (s * s) / n, m[5]! - (s * d) / n, m[6]! - (s * y) / n, m[7]! - (d * d) / n, m[8]! - (d * y) / n, m[9]! - (y * y) / n];
}

/** Pooled within-session least squares of log interval on [same side, distance]: the person's pattern (per-session means removed). */
export function pooledPattern(ms: readonly KeyMoments[]): [number, number] | null {
  const c = [0, 0, 0, 0, 0, 0];
  for (const m of ms) centred(m).forEach((v, i) => (c[i]! += v));
  const [ss, sd, sy, dd, dy] = c as [number, number, number, number, number, number];
  const det = ss * dd - sd * sd;
  if (!(det > 1e-9)) return null;
  return [(dd * sy - sd * dy) / det, (ss * dy - sd * sy) / det];
}

/**
 * Log intervals with the session's own keyboard pattern removed (least squares on same side and key
 * distance, fitted on this session): what is left is the typist's timing, not which keys the words
 * of a part happened to need. A Fitts-law typist's raw intervals are a mixture over key distances,
 * whose skew and whose level in a 15 s part reflect the words, not the person.
 */
export function geometryAdjusted(p: KeyPairs): number[] {
  const m = keyMoments(p);
  const beta = m[0]! >= 8 ? pooledPattern([m]) : null;
  if (!beta) return [...p.raw];
  const n = m[0]!, sMean = m[1]! / n, dMean = m[2]! / n;
  return p.raw.map((v, i) => v - beta[0] * (p.same[i]! - sMean) - beta[1] * (p.dist[i]! - dMean));
}

/**
 * How strongly one session's log intervals follow a pattern: the correlation of y with
 * beta_same * same + beta_dist * dist, times sqrt(n - 1). Under timing that does not depend on the
 * keys it is about N(0, 1) whatever the pattern (one of the two series is independent of the other).
 */
export function patternZ(m: KeyMoments, beta: readonly [number, number]): number {
  const n = m[0]!;
  if (n < 8) return NaN;
  const [ss, sd, sy, dd, dy, yy] = centred(m) as [number, number, number, number, number, number];
  const [b1, b2] = beta;
  const vp = b1 * b1 * ss + 2 * b1 * b2 * sd + b2 * b2 * dd;
  if (!(vp > 1e-12) || !(yy > 1e-12)) return NaN;
  return ((b1 * sy + b2 * dy) / Math.sqrt(vp * yy)) * Math.sqrt(n - 1);
}

/**
 * The person's keyboard pattern from enrolment sessions, and the z a session of theirs is expected
 * to reach against it (each session against the pattern of the others, averaged: an in-sample
 * estimate would be inflated by fitting its own noise). Null with fewer than two sessions.
 */
export function keyboardProfile(ms: readonly KeyMoments[]): { pattern: [number, number]; expectedZ: number } | null {
  const use = ms.filter((m) => m[0]! >= 8);
  if (use.length < 2) return null;
  const pattern = pooledPattern(use);
  if (!pattern) return null;
  const zs = use.map((m, k) => {
    const others = pooledPattern(use.filter((_, j) => j !== k));
    return others ? patternZ(m, others) : NaN;
  }).filter(Number.isFinite);
  if (!zs.length) return null;
  return { pattern: [round4(pattern[0]), round4(pattern[1])], expectedZ: round4(zs.reduce((a, b) => a + b, 0) / zs.length) };
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/**
 * Lag-1 autocorrelation of the within-word intervals' ranks, in typing order. Self-paced motor timing
 * has lag-1 autocorrelation between -0.5 and 0 (Wing & Kristofferson 1973: a late response shortens
 * the next interval), plus a little from slow tempo drift; 1/f timing is strongly positive (~0.5).
 */
export function rankAutocorr(y: readonly number[]): number {
  const n = y.length;
  if (n < 10) return NaN;
  const idx = y.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && idx[j + 1]![0] === idx[i]![0]) j++;
    for (let k = i; k <= j; k++) r[idx[k]![1]] = (i + j) / 2;
    i = j + 1;
  }
  const mu = (n - 1) / 2;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    den += (r[i]! - mu) ** 2;
    if (i > 0) num += (r[i]! - mu) * (r[i - 1]! - mu);
  }
  return den > 0 ? num / den : NaN;
}
