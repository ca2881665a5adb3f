/**
 * Margins of soft checks (docs/liveness.md §Acceptance, fusion).
 *
 * A soft check is statistical: a genuine person's body or behaviour can fall somewhat outside the
 * modelled range (a small tilt, a flat typing rhythm, a scattered reading latency, a drifting pose).
 * Its margin says how far inside (+) or outside (-) its threshold the measured value lies, in units of
 * that threshold's own uncertainty: the step between the values the two simulator families disagree
 * on (bench/liveness-candidates.ts), or the day-to-day spread the profile widening already assumes.
 * Margin 0 is the threshold itself (passes). A NaN margin (value not measurable) is not a margin: the
 * check then counts as hard (fail closed).
 *
 * The scales are fixed, documented priors, not tuned: the fusion rule's parameters (fusion.ts) are
 * what the leave-one-family-out evaluation chooses.
 */

/** One threshold-uncertainty unit per kind of soft statistic. */
export const SOFT_SCALES = {
  /** Change-point scans (consistency.ts), in log units of the statistic: the x1.6 step between scan-threshold candidates. */
  scanLog: Math.log(1.6),
  /** Counted events (gestures or words missed, unprompted movements or utterances, cues answered): one event. */
  count: 1,
  /** Correlation thresholds (hrv and gaze coupling): the 0.1 step between candidates (0.45/0.55/0.65, 0.6/0.7/0.8). */
  correlation: 0.1,
  /** Typing rhythm score: the 0.4-0.5 step between candidates (0.3/0.8/1.2). */
  rhythmScore: 0.4,
  /** Voice syllable-match share: the 0.15-0.2 step between candidates (0.4/0.6/0.75). */
  syllableShare: 0.15,
  /** Voice reading-latency spread (robust SD, ms): naming-latency SDs differ by ~50 ms between readers (60-140 ms; Balota et al. 2004). */
  namingSdMs: 50,
  /** Gaze: pursuit lag (ms; the profile's +-50 ms day-to-day widening), gain (0.1), residual (units; 0.05, a fifth of the limit). */
  gazeLagMs: 50,
  gazeGain: 0.1,
  gazeResidual: 0.05,
  /** Gesture reaction and reading latency against the enrolled range, ms: ~100 ms (reaction sd 30-60 ms per session, day to day more). */
  latencyMs: 100,
  /** Mean heart rate against the enrolled range, bpm: half the profile's +-10 bpm widening. */
  heartRateBpm: 5,
  /** Log ratios against enrolled ranges: typing interval and hold (x1.2), pitch (x1.06, one semitone), RSA and skin-conductance level (x1.5). */
  typingLog: Math.log(1.2),
  pitchLog: Math.log(1.06),
  wideLog: Math.log(1.5),
  /** eda response latency and its spread, s. */
  edaLatencyS: 0.2,
} as const;

/** value >= min passes. */
export function atLeast(value: number, min: number, scale: number): number {
  return (value - min) / scale;
}

/** value <= max passes. */
export function atMost(value: number, max: number, scale: number): number {
  return (max - value) / scale;
}

/** lo <= value <= hi passes. */
export function inRange(value: number, lo: number, hi: number, scale: number): number {
  return Math.min(value - lo, hi - value) / scale;
}

/** lo <= value <= hi passes, compared as log ratios (positive quantities). */
export function inLogRange(value: number, lo: number, hi: number, scale: number): number {
  return Math.min(Math.log(value / lo), Math.log(hi / value)) / scale;
}

/** A change-point scan statistic `stat <= maxStat` (consistency.ts), in log units. */
export function scanMargin(stat: number, maxStat: number): number {
  return Math.log(maxStat / Math.max(stat, maxStat * 1e-3)) / SOFT_SCALES.scanLog;
}
