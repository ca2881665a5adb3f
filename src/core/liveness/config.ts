/**
 * Verifier thresholds. Every number says where it comes from: physiology (a citation), the sensor, or
 * tuning ("tuned") on simulator family A's tuning corpus. Tuned values are a fit to family A: the
 * leave-one-family-out evaluation (bench/eval-liveness.ts, docs/liveness.md §Generalisation) chooses
 * them on one simulator family and reports them on the other. Deployments override with
 * `resolveConfig({ ...partial })`.
 */

import type { ConsistencyConfig } from './consistency.ts';

export type { ConsistencyConfig };

export interface Range { min: number; max: number }

export interface HrvConfig {
  /** RR limits: HR 30-200 bpm (Task Force ESC/NASPE 1996). */
  rrMs: Range;
  /** Beat-to-beat change above this fraction is an artefact or ectopic beat (Malik 20 % rule). */
  maxRelChange: number;
  /** Artefact share tolerated (ectopy and detection errors happen in healthy people). */
  maxArtifactFraction: number;
  /** |(t_i - t_(i-1)) - ms_i| tolerance: beat times and RR come from the same detector. */
  timeConsistencyMs: number;
  minConsistentFraction: number;
  /** First beat no later than this after start, last beat no earlier than this before the end (2 s = one RR at 30 bpm). */
  edgeMs: number;
  /** Heart-rate series grid for coupling, Hz (4 Hz is standard for HRV resampling). */
  gridHz: number;
  /** HR-vs-guide lag window, ms. Breathing trails a visual pacer by ~0.2-0.8 s; HR is near phase with lung volume at ~0.1 Hz and lags it by up to ~1.2 s at faster rates (Vaschillo 2002; Song & Lehrer 2003). Narrow on purpose: every extra lag is another chance for a foreign answer to match. */
  lagMs: Range;
  /** Minimum correlation of heart rate with the guide's lung-volume target (tuned). */
  minCorrelation: number;
  /** Minimum correlation in the weaker half of the session at a common lag (tuned). */
  minHalfCorrelation: number;
  /** Above this (beat-by-beat fit of heart rate to the guide at the best lag), the heart follows the guide too perfectly: LF (Mayer) and 1/f variability persist during paced breathing (Vaschillo 2002), tuned. */
  maxCorrelation: number;
  /** Largest change of median heart rate between the session halves, bpm (drift ~1-2 bpm/min plus 1/f wander), tuned. No longer used: superseded by `consistency` (kept so existing overrides still type-check). */
  maxLevelShiftBpm: number;
  /** Permutation entropy (order 3) of RR: paced breathing makes RR smooth (low), but never perfectly monotone; i.i.d. noise gives ~1 (tuned). */
  permEntropy: Range;
  /** RR coefficient of variation: RSA at slow breathing gives several percent; a constant-rate signal has none. */
  minCv: number;
  /** RMS of RR after removing a 5-beat moving average, ms: beat-level variability no real heart lacks. */
  minBeatNoiseMs: number;
  /** Beat-interval changes that are neither premature beats, missed detections nor recoveries (hrv.continuity). */
  maxUnexplainedBeats: number;
  /** One person throughout: change-point scan over person features (consistency.ts); scales and threshold tuned. */
  consistency?: ConsistencyConfig;
  /** Largest change of those features at a beat where the rhythm shows a seam (an artefact interval, or the least smooth beat), per 30 s of session; a test at known cuts, so far below the scan's maxStat (tuned). */
  seamMaxStat: number;
  /** The least smooth beat is a seam candidate when its departure from the neighbours' trend exceeds this many robust SDs (tuned: bona fide sessions reach ~4.5). */
  seamOutlierSigma: number;
  /** Parts shorter than this either side of a seam are not tested, ms (6-8 beats: the shortest part whose HR level means anything). */
  seamMinPartMs: number;
}

export interface MotionConfig {
  rateHz: Range;
  /** Hand-held phone: accelerations beyond 6 g are not produced by a hand (sensor range is often +-8 g). */
  maxAccMs2: number;
  /** Jerk limit, m/s^3, on raw samples: shakes reach ~1000, taps a few hundred. */
  maxJerkMs3: number;
  /** Median |acc| must be gravity (9.81) within sensor calibration error. */
  gravityMs2: Range;
  maxGyroRadS: number;
  /** Tilt must reach this deviation from the pre-prompt pose, deg. */
  tiltMinDeg: number;
  /** The prompted axis/direction must dominate the other axis by this factor. */
  dominance: number;
  /** Onset latency after the prompt: choice reaction time (Hick 1952) plus movement onset. */
  latencyMs: Range;
  /** Response window after each prompt, ms (capped at the next prompt). */
  windowMs: number;
  /** Shake: peak 250 ms RMS of high-passed acceleration, m/s^2. */
  shakeMinRms: number;
  /** Gestures that may be missed/wrong before rejection. */
  maxMisses: number;
  /** Movements outside any response window tolerated. */
  maxUnprompted: number;
  /** High-frequency residual at rest (tremor + sensor noise), m/s^2 RMS. */
  restNoise: Range;
  /** Largest ratio of rest micro-motion between the session halves (tuned). No longer used: superseded by `consistency` (kept so existing overrides still type-check). */
  maxRestRatio: number;
  /** Gyro rate vs accelerometer-derived tilt rate correlation, when a gyro stream is present. */
  minGyroCorrelation: number;
  /** One person throughout: change-point scan over person features (consistency.ts); scales and threshold tuned. */
  consistency?: ConsistencyConfig;
}

export interface TypingConfig {
  /** Key hold (down-up) range, ms: touch holds are 50-200 ms; <15 ms is no finger. */
  holdMs: Range;
  /** Fastest plausible key-down to key-down, ms (two thumbs can overlap, but not this closely). */
  minIkiMs: number;
  maxViolationFraction: number;
  /** First key of a word no sooner than this after the word was revealed: recognising a written word takes ~200-250 ms before any key can follow (visual word recognition plus motor initiation; Salthouse 1986). */
  minWordLatencyMs: number;
  /** Every word revealed this long before the end must be typed (8 s: a 20 wpm typist finishes a word in ~3 s but may lag a word behind). */
  requireBeforeEndMs: number;
  /** Share of those words that must be typed (the hand pauses for gestures when motion runs too). */
  minWordShare: number;
  /** Character edits tolerated per required word (uncorrected typos). */
  maxEditsPerWord: number;
  /** Within-word IKI coefficient of variation (humans 0.3-0.6; a metronome ~0). */
  ikiCv: Range;
  /** Hold coefficient of variation. */
  holdCv: Range;
  /** Rhythm score: skewness of within-word intervals + skewness of holds (both right-skewed, log-normal, in people; Dhakal 2018) + 2 x max(0, same-thumb / alternating-thumb median interval - 1) (alternation is faster for two-thumb typists; Salthouse 1986, Palin 2019; one-thumb and index-finger typists have no such benefit, Azenkot & Zhai 2012, so only a slowdown counts); tuned. */
  minRhythmScore: number;
  /** Largest rank autocorrelation of successive within-word intervals, as z = r sqrt(n - 1): self-paced motor timing has lag-1 autocorrelation in -0.5..0 (Wing & Kristofferson 1973), so at zero a typist exceeds z 2.33 in 1 % of sessions (slow tempo drift adds a little); 1/f timing sits near r 0.5 (z ~3.5 at 45 intervals). */
  maxIntervalAutocorrZ: number;
  /**
   * Keyboard dependence against the enrolled pattern (keyboard.ts): a session must reach
   * z >= min(maxZ, expectedZ - margin), where expectedZ is what the person's enrolment sessions reached
   * against each other. z is ~N(0, 1) for timing that ignores the keys, ~N(expectedZ, 1) for the person:
   * margin 2.5 keeps ~1 % of the person's sessions below (more in practice: expectedZ from three
   * enrolment sessions is itself uncertain by ~0.6); maxZ 2.33 lets ~1 % of timing bots through for
   * people whose pattern is strong. Not tested when expectedZ <= margin (no usable pattern).
   */
  keyboard: { margin: number; maxZ: number };
  /** Largest ratio of median within-word interval between the halves (tuned). No longer used: superseded by `consistency` (kept so existing overrides still type-check). */
  maxRhythmRatio: number;
  /** Largest ratio of median hold between the halves (tuned). No longer used: superseded by `consistency` (kept so existing overrides still type-check). */
  maxHoldRatio: number;
  /** One person throughout: change-point scan over person features (consistency.ts); scales and threshold tuned. */
  consistency?: ConsistencyConfig;
}

export interface GazeConfig {
  rateHz: Range;
  /** Visual angle per screen unit (phone 7 cm wide at 33 cm ~ 12 deg). */
  degPerUnit: number;
  coord: Range;
  /** Faster than the fastest saccades (~700 deg/s; Bahill 1975) plus tracker noise. */
  maxVelocityDegS: number;
  /** Pursuit lag window, ms: pursuit latency 100-150 ms (Lisberger 2010), effective tracking lag up to ~250 ms. */
  lagMs: Range;
  minCorrelation: number;
  /** Gaze-vs-target regression gain (calibration error, pursuit gain). */
  gain: Range;
  /** Residual after the fit, screen units: no tracker is better than ~0.1 deg; worse than 3 deg is not following. */
  residual: Range;
  /** Longest gap without samples, ms: blinks last 100-400 ms (Caffier et al. 2003), and front-camera trackers lose the face for 0.5-1.5 s when the head turns or the light changes (measured on simulator family B, whose trackers lose the face 0-6 times a minute; a 600 ms limit rejected 11 % of its genuine gaze sessions). */
  maxGapMs: number;
  /** Largest pursuit-lag difference between the session halves, ms (tuned). No longer used: superseded by `consistency` (kept so existing overrides still type-check). */
  maxLagShiftMs: number;
  /** Largest ratio of tracking error between the halves (tuned). No longer used: superseded by `consistency` (kept so existing overrides still type-check). */
  maxResidualRatio: number;
  /** One person throughout: change-point scan over person features (consistency.ts); scales and threshold tuned. */
  consistency?: ConsistencyConfig;
}

export interface VoiceConfig {
  frameRateHz: Range;
  /** Adult speaking f0 (Titze 1994). */
  f0Hz: Range;
  energyDb: Range;
  /** Word-reading onset latency after the reveal (naming latency ~450-800 ms; Balota 2004). */
  latencyMs: Range;
  /** Words that may be missing before rejection. */
  maxMisses: number;
  /** Robust spread (1.4826 x MAD) of reading latencies, ms: one reader's naming latencies are ex-Gaussian with sigma 35-90 ms and a right tail (tau 50-200 ms; Balota et al. 2004, Andrews & Heathcote 2001), whose robust spread stays below ~200 ms; a recording aligned by chance scatters over the 250-2000 ms window (robust spread ~400-600 ms). */
  maxNamingSdMs: number;
  /** Speech bursts not answering any word. */
  maxExtraBursts: number;
  /** Share of answered words whose energy-peak count is the word's syllable count or one fewer (peak counting undercounts across sonorants; de Jong & Wempe 2009). */
  minSyllableMatch: number;
  /** Frame-level relative f0 perturbation (jitter) of voiced frames: voices are never perfectly steady. */
  jitter: Range;
  /** f0 spread across voiced frames, semitones (intonation). */
  f0SpreadSt: Range;
  /** Max share of implausible f0 jumps (>5 semitones per frame outside octave errors). */
  maxJumpFraction: number;
  /** Largest median-pitch difference between the halves, semitones (tuned). No longer used: superseded by `consistency` (kept so existing overrides still type-check). */
  maxPitchShiftSt: number;
  /** One person throughout: change-point scan over person features (consistency.ts); scales and threshold tuned. */
  consistency?: ConsistencyConfig;
}

export interface EdaConfig {
  rateHz: Range;
  /** Skin conductance range, uS (Boucsein 2012). */
  scUs: Range;
  /** Max rise and fall slopes, uS/s, over 250 ms. */
  maxRiseUsPerS: number;
  maxFallUsPerS: number;
  /** Range of the common SCR onset latency, s (1-3 s; Dawson 2017). */
  latencyS: Range;
  /** Each onset within this of the common latency, s: a person's latency sd is ~0.2-0.4 s plus onset-detection error. */
  latencyToleranceS: number;
  /** No response counts earlier than this after its cue, s: the 1 s minimum SCR latency (Dawson et al. 2017) less the onset-detection error (detected onsets precede true onsets by up to ~0.4 s, 95th percentile on the tuning corpus). Same bound as the stream-timing check. */
  minOnsetS: number;
  /** Minimum measurement noise, uS (sensor noise and quantisation of real EDA front-ends, ~0.001 uS and up). */
  minNoiseUs: number;
  /** Minimum SCR amplitude, uS (SPR 2012 recommends 0.01-0.05). */
  minAmpUs: number;
  /** Answered cues minus unexplained SCRs, as a share of cues (tuned). */
  minHitFraction: number;
  /** SCRs not following any cue tolerated per 30 s of session (non-specific SCRs occur 1-3/min). */
  maxUnexplained: number;
  /** SCR rise time onset->peak, s (0.5-5 s). */
  riseS: Range;
  /** Spread of response latencies, s: one person's SCR latency is consistent within a session. */
  maxLatencySdS: number;
  /** ...but never identical: a real response set exceeds this latency spread (s) OR this amplitude CV (habituation, trial-to-trial variation); tuned. */
  minLatencySdS: number;
  minAmpCv: number;
  /** Persistent jumps between two samples tolerated (eda.continuity; skin conductance changes smoothly). */
  maxSteps: number;
  /** One person throughout: change-point scan over person features (consistency.ts); scales and threshold tuned. */
  consistency?: ConsistencyConfig;
}

export interface CrossModalConfig {
  /** Streams of one session must start and end within this of each other, ms. */
  maxEdgeSkewMs: number;
  /** Share of key-downs whose accelerometer jolt exceeds that of a control moment between keys (chance: 0.5). */
  minTapCoupling: number;
  /** When the phone is shaken, front-camera gaze must degrade (residual ratio) or drop out. */
  minShakeGazeRatio: number;
}

export interface FingerprintConfig {
  /** MinHash signature length. */
  hashes: number;
  /** Estimated Jaccard similarity at or above which a response is a near-duplicate. */
  duplicateSimilarity: number;
}

export interface ElementsConfig {
  /** An element closer than this to an earlier element of the same kind is a copy (scaled RMS distance, elements.ts: 1 = one natural trial-to-trial variation per feature). */
  maxDistance: number;
  /** Copied elements tolerated per session. */
  maxReused: number;
}

/**
 * Score-level fusion of soft checks for sessions with two or more primary modalities (fusion.ts,
 * docs/liveness.md §Acceptance). Margins are in threshold-uncertainty units (margins.ts). Chosen by
 * the leave-one-family-out evaluation (bench/liveness-candidates.ts FUSION_CANDIDATES).
 */
export interface FusionConfig {
  /** The fused evidence (sum of the primaries' margins, capped, plus the supporting modalities' deficits) must reach this. */
  minFused: number;
  /** No modality's margin may fall below this: one modality cannot be absent or garbage and carried by another. */
  floor: number;
  /** A modality contributes at most this much surplus: one very strong modality cannot carry unlimited deficits. */
  cap: number;
}

export interface LivenessConfig {
  hrv: HrvConfig;
  motion: MotionConfig;
  typing: TypingConfig;
  gaze: GazeConfig;
  voice: VoiceConfig;
  eda: EdaConfig;
  crossModal: CrossModalConfig;
  fingerprint: FingerprintConfig;
  elements: ElementsConfig;
  fusion: FusionConfig;
}

export const DEFAULT_CONFIG: LivenessConfig = {
  hrv: {
    rrMs: { min: 300, max: 2000 },
    maxRelChange: 0.2,
    maxArtifactFraction: 0.15,
    timeConsistencyMs: 50,
    minConsistentFraction: 0.9,
    edgeMs: 2500,
    gridHz: 4,
    lagMs: { min: 250, max: 2000 },
    minCorrelation: 0.55,
    minHalfCorrelation: 0.3,
    maxCorrelation: 0.98,
    maxLevelShiftBpm: 5.5,
    permEntropy: { min: 0.3, max: 0.99 },
    minCv: 0.01,
    minBeatNoiseMs: 0.5,
    maxUnexplainedBeats: 0,
    // Scales: robust SD of the difference between the two halves of one person's session (tuning
    // corpus); maxStat: the scan maximum bona fide sessions stay below (tuned).
    consistency: { scales: { level: 1.19, swing: 0.224, beatNoise: 0.376 }, maxStat: 30, minSegmentMs: 6000, stepMs: 1000 },
    // Tuning corpus, 1500 bona fide 30 s sessions: none of the 1421 otherwise accepted exceeds 25 (3
    // exceed 16, where 29 % of the splices that pass every other hrv check would be caught; at 25, 7 %).
    // The higher, zero-cost threshold because 16 cost 4 of 360 bona fide hrv sessions on the eval split.
    // Raised in proportion to the session length (more beats, more artefact candidates).
    seamMaxStat: 25,
    seamOutlierSigma: 3,
    seamMinPartMs: 4000,
  },
  motion: {
    rateHz: { min: 20, max: 500 },
    maxAccMs2: 60,
    maxJerkMs3: 3000,
    gravityMs2: { min: 9.0, max: 10.6 },
    maxGyroRadS: 35,
    tiltMinDeg: 12,
    dominance: 1.5,
    latencyMs: { min: 150, max: 1500 },
    windowMs: 3000,
    shakeMinRms: 3,
    maxMisses: 1,
    maxUnprompted: 1,
    restNoise: { min: 0.003, max: 1.0 },
    minGyroCorrelation: 0.6,
    maxRestRatio: 1.2,
    consistency: { scales: { tremor: 0.044, tremorHz: 0.0077, gravity: 0.0057, pitch: 3.32, lateral: 1.56, interval: 0.03 }, maxStat: 40, minSegmentMs: 6000, stepMs: 1000 },
  },
  typing: {
    holdMs: { min: 15, max: 1500 },
    minIkiMs: 20,
    maxViolationFraction: 0.02,
    minWordLatencyMs: 200,
    requireBeforeEndMs: 8000,
    minWordShare: 0.7,
    maxEditsPerWord: 1,
    ikiCv: { min: 0.15, max: 2.0 },
    holdCv: { min: 0.05, max: 1.5 },
    minRhythmScore: 0.8,
    maxIntervalAutocorrZ: 2.33,
    keyboard: { margin: 2.5, maxZ: 2.33 },
    maxRhythmRatio: 1.5,
    maxHoldRatio: 1.35,
    // read: the median reading time of the ~4 idle words of a 15 s part. One reader's word-reading
    // times are ex-Gaussian with sd sqrt(sigma^2 + tau^2) ~ 100-270 ms (Balota & Spieler 1999), so the
    // medians of two parts differ by ~1.25 x sd x sqrt(2/4) ~ 90-240 ms: 150 ms (the 75 ms fitted to
    // family A rejected slow-tailed readers of family B).
    // hold, holdSd, iki, ikiSd: the drift of one typist between two 15 s parts only; each part adds its
    // own estimation noise (standard error from its spread and count, typing.ts). The earlier single
    // scales (0.064, 0.046, 0.126, 0.093: half-differences on family A, whose holds and intervals vary
    // with log-SD 0.15-0.3 and 0.25-0.45) less that estimation noise at family A's typical spread
    // (log-SD 0.22 over ~30 holds, 0.38 over ~20 intervals per part): a typist whose holds vary as
    // much as 0.45 (gamma holds, CV 0.2-0.45) was twice as "unstable" under the fixed scale.
    consistency: { scales: { hold: 0.03, holdSd: 0.02, iki: 0.04, ikiSd: 0.033, read: 150 }, maxStat: 24, minSegmentMs: 6000, stepMs: 1000 },
  },
  gaze: {
    // Front cameras run at 15 fps in dim light and drop frames: 10 Hz is the lowest median rate of a working tracker.
    rateHz: { min: 10, max: 1000 },
    degPerUnit: 12,
    coord: { min: -0.5, max: 1.5 },
    maxVelocityDegS: 1000,
    lagMs: { min: 70, max: 300 },
    minCorrelation: 0.7,
    gain: { min: 0.6, max: 1.5 },
    residual: { min: 0.005, max: 0.25 },
    maxGapMs: 1500,
    maxLagShiftMs: 60,
    maxResidualRatio: 1.8,
    consistency: { scales: { offX: 0.0093, offY: 0.0105, gain: 0.002, noise: 0.0306, interval: 0.03 }, maxStat: 46, minSegmentMs: 6000, stepMs: 1000 },
  },
  voice: {
    frameRateHz: { min: 40, max: 250 },
    f0Hz: { min: 50, max: 500 },
    energyDb: { min: -120, max: 0 },
    latencyMs: { min: 250, max: 2000 },
    maxMisses: 1,
    maxNamingSdMs: 230,
    maxExtraBursts: 2,
    minSyllableMatch: 0.6,
    jitter: { min: 0.001, max: 0.05 },
    f0SpreadSt: { min: 0.3, max: 8 },
    maxJumpFraction: 0.03,
    maxPitchShiftSt: 2.5,
    consistency: { scales: { pitch: 0.7, level: 1.47, floor: 1.13, interval: 0.03, jitter: 0.129 }, maxStat: 19, minSegmentMs: 6000, stepMs: 1000 },
  },
  eda: {
    rateHz: { min: 2, max: 1000 },
    scUs: { min: 0.05, max: 60 },
    maxRiseUsPerS: 10,
    maxFallUsPerS: 3,
    latencyS: { min: 1.0, max: 3.0 },
    latencyToleranceS: 0.6,
    minOnsetS: 0.6,
    minNoiseUs: 0.0008,
    minAmpUs: 0.02,
    minHitFraction: 0.5,
    maxUnexplained: 3,
    riseS: { min: 0.3, max: 5 },
    maxLatencySdS: 0.6,
    minLatencySdS: 0.09,
    minAmpCv: 0.2,
    maxSteps: 0,
    consistency: { scales: { noise: 0.1875, amp: 0.58, interval: 0.03 }, maxStat: 22, minSegmentMs: 6000, stepMs: 1000 },
  },
  crossModal: {
    maxEdgeSkewMs: 3000,
    minTapCoupling: 0.8,
    minShakeGazeRatio: 2,
  },
  fingerprint: {
    hashes: 64,
    duplicateSimilarity: 0.5,
  },
  elements: {
    maxDistance: 0.25,
    maxReused: 0,
  },
  // Chosen by the leave-one-family-out evaluation: with 280 combined sessions and 150 pair attacks per
  // class and family, both families, at their own thresholds, chose this among FUSION_CANDIDATES
  // (bench/liveness-candidates.ts; docs/liveness.md §Results; the default-size run's 70 sessions tie
  // and fall back to the strictest fusion candidate, floor -0.5 and fused >= 0.5). One primary may
  // miss its soft checks by up to one threshold-uncertainty step in total when the others pass
  // theirs with at least that much to spare.
  fusion: {
    minFused: 0,
    floor: -1,
    cap: 1,
  },
};

export type ConfigOverrides = { [K in keyof LivenessConfig]?: Partial<LivenessConfig[K]> };

/** Defaults with per-modality overrides applied (shallow per section). */
export function resolveConfig(overrides: ConfigOverrides = {}): LivenessConfig {
  const out = structuredClone(DEFAULT_CONFIG) as LivenessConfig;
  for (const k of Object.keys(overrides) as (keyof LivenessConfig)[]) Object.assign(out[k], overrides[k]);
  return out;
}
