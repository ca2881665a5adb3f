/**
 * One person throughout: a change-point test on person-specific features (docs/liveness.md
 * §Person consistency).
 *
 * A splice of two recordings (two people, or one person on two devices or days) keeps every local
 * property of a live answer (each part is a live human at human tempo) but changes, at the cut, the
 * features that differ between people and stay put within one person for 30 s: heart-rate level and
 * swing, typing rhythm and key holds, pursuit lag and tracker calibration, voice pitch and loudness,
 * skin-conductance level, hand tremor and holding pose. For every candidate cut c (every `stepMs`,
 * each part at least `minSegmentMs` long) each feature is measured on [c - W, c) and [c, c + W)
 * (W = `windowMs`, 15 s, clipped to the session), the
 * difference is divided by that feature's within-session scale (how much the two halves of ONE
 * person's session differ: drift, 1/f wander, estimation noise; the robust SD measured on bona fide
 * sessions of the tuning corpus, 30 s sessions), rescaled for other part lengths by
 * w = sqrt((1/L1 + 1/L2) / (4/30 s)) (estimation noise of a mean), and
 * the statistic is the largest sum of squared scaled differences over all cuts:
 *
 *   S = max_c  sum_f ((f(before c) - f(after c)) / (scale_f * w_c))^2
 *
 * The maximum over cuts is a standard binary-segmentation (CUSUM-type) scan: the cut need not be
 * known, and the threshold is set on the maximum, so scanning costs no false rejections beyond those
 * counted in tuning. Limiting each part to W from the cut judges a 60 s session like a 30 s one
 * instead of letting slow drift accumulate. Features that cannot be measured on a part (too few
 * samples) are left out of that cut's sum.
 */

export interface ConsistencyConfig {
  /** Within-session scale of each feature (difference between two parts of one person's session that counts as 1). */
  scales: Record<string, number>;
  /** Largest scan statistic one person produces (tuned). */
  maxStat: number;
  /** Each part must be at least this long, ms. */
  minSegmentMs: number;
  /** Candidate cuts every this many ms. */
  stepMs: number;
  /** Each part reaches at most this far from the cut, ms (default 15 000: half the reference session), so long sessions compare like with like and slow drift does not add up. */
  windowMs?: number;
}

export interface ChangeScan {
  /** Scan statistic S (0 when no cut could be tested). */
  stat: number;
  /** Cut with the largest statistic, device ms (NaN when none). */
  cutMs: number;
  /** Scaled difference of each feature at that cut (before minus after). */
  z: Record<string, number>;
  /** Raw feature values before and after that cut. */
  before: Partial<Record<string, number>>;
  after: Partial<Record<string, number>>;
}

/** Scales refer to two halves of a session of this length (the 30 s default). */
export const REFERENCE_MS = 30_000;

export type SegmentFeatures = (fromMs: number, toMs: number) => Partial<Record<string, number>>;

/** Scan candidate cuts in [start, end) and return the largest scaled feature change. */
export function scanChange(start: number, end: number, cfg: ConsistencyConfig, features: SegmentFeatures): ChangeScan {
  let out: ChangeScan = { stat: 0, cutMs: NaN, z: {}, before: {}, after: {} };
  const minSeg = Math.max(cfg.minSegmentMs, 0);
  for (let c = start + minSeg; c <= end - minSeg + 1e-9; c += cfg.stepMs) {
    const at = changeAt(start, end, c, cfg, features);
    if (at.stat > out.stat || !Number.isFinite(out.cutMs)) out = at;
  }
  return out;
}

/**
 * The scaled feature change at one cut c (parts [c - W, c) and [c, c + W) clipped to [start, end)).
 * A test at a cut known in advance (where the signal itself shows a seam) pays for no search, so its
 * threshold can be far lower than the scan's.
 */
export function changeAt(start: number, end: number, c: number, cfg: ConsistencyConfig, features: SegmentFeatures): ChangeScan {
  const W = cfg.windowMs ?? REFERENCE_MS / 2;
  const a0 = Math.max(start, c - W), b1 = Math.min(end, c + W);
  const a = features(a0, c), b = features(c, b1);
  // Estimation noise grows as a part gets shorter: scales are for two 15 s halves.
  const w = Math.sqrt((1 / (c - a0) + 1 / (b1 - c)) / (4 / REFERENCE_MS));
  let s = 0;
  const z: Record<string, number> = {};
  for (const [k, scale] of Object.entries(cfg.scales)) {
    const d = (a[k] ?? NaN) - (b[k] ?? NaN);
    if (!Number.isFinite(d) || !(scale > 0)) continue;
    // A feature may report its own standard error (`<name>Se`) where it depends on the part's
    // content (e.g. a regression gain on a stretch where the target hardly moves).
    const se2 = (a[k + 'Se'] ?? 0) ** 2 + (b[k + 'Se'] ?? 0) ** 2;
    z[k] = d / Math.sqrt((scale * w) ** 2 + (Number.isFinite(se2) ? se2 : 0));
    s += z[k] * z[k];
  }
  return { stat: s, cutMs: c, z, before: a, after: b };
}

/** The features that moved most at the cut, for a readable reason. */
export function describeChange(scan: ChangeScan, labels: Record<string, (before: number, after: number) => string>, top = 3): string {
  return Object.entries(scan.z)
    .sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]))
    .slice(0, top)
    .map(([k]) => labels[k]?.(scan.before[k]!, scan.after[k]!) ?? k)
    .join('; ');
}

/** Mean of x[i] for i with t[i] in [a, b). Inputs sorted by t. */
export function meanIn(t: ArrayLike<number>, x: ArrayLike<number>, a: number, b: number): { mean: number; n: number } {
  let s = 0, n = 0;
  for (let i = lowerBound(t, a); i < t.length && t[i]! < b; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) continue;
    s += v;
    n++;
  }
  return { mean: n ? s / n : NaN, n };
}

/** First index with t[i] >= v (t sorted). */
export function lowerBound(t: ArrayLike<number>, v: number): number {
  let lo = 0, hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
