import { Rng } from './rng.ts';

/**
 * A simulated person: physiological and behavioural parameters drawn once per person from
 * population ranges taken from the literature cited per field. People differ (the point of per-person
 * profiles); one person is the same in every session (up to within-session noise the models add).
 */
export interface HrvPerson {
  /** Resting heart rate, bpm (adult resting 55-85 typical; Nanchen 2018). */
  hrBpm: number;
  /** Half peak-to-peak RSA swing at ~6 breaths/min, bpm (paced slow breathing: 4-15 bpm; Lehrer 2000). */
  rsaAmpBpm: number;
  /** Vagal low-pass time constant, s (vagal effects act within ~0.5 s; Berntson 1997). */
  vagalTauS: number;
  /** Phase lead of HR over lung volume from the flow component, as tan(angle). */
  flowMix: number;
  /** How far the person's breathing trails the guide, ms. */
  breathLagMs: number;
  /** Phase-locking strength to the guide, 1/s (higher = follows hops faster). */
  lockGain: number;
  /** Breath-to-breath phase wander, cycles/sqrt(s). */
  breathWander: number;
  /** Mayer wave (~0.1 Hz baroreflex oscillation) amplitude, bpm. */
  mayerAmpBpm: number;
  mayerHz: number;
  /** 1/f heart-rate variability, bpm (sd). */
  pinkBpm: number;
  /** Linear drift, bpm per minute. */
  driftBpmPerMin: number;
  /** Probability a beat is premature (ectopic), per beat. */
  ectopicProb: number;
  /** RR timing jitter of the sensor, ms sd (ECG strap ~1 ms, PPG ~5-10 ms). */
  sensorJitterMs: number;
}

export interface MotionPerson {
  reactionMs: number;
  reactionSd: number;
  tiltDeg: number;
  tiltOutMs: number;
  holdMs: number;
  tiltBackMs: number;
  shakeHz: number;
  shakeAmpM: number;
  shakeMs: number;
  /** Physiological tremor 8-12 Hz, acceleration RMS per axis, m/s^2 (Elble & Koller 1990). */
  tremorRms: number;
  tremorHz: number;
  /** Postural sway of the hand-held phone, deg sd. */
  swayDeg: number;
  /** Neutral pitch (0 = flat, screen up), deg: reading pose 30-60 deg. */
  pitch0Deg: number;
  roll0Deg: number;
  /** MEMS accelerometer noise, m/s^2 sd per sample at 100 Hz (~150 ug/sqrt(Hz)). */
  accNoise: number;
  gyroNoise: number;
  /** Distance from wrist pivot to phone centre, m. */
  pivotM: number;
  rateHz: number;
  /** Peak acceleration a screen tap gives the phone, m/s^2 (TapLogger, Xu et al. 2012). */
  tapAcc: number;
}

export interface TypingPerson {
  /** Median inter-key interval inside words, ms (mobile 36 wpm ~ 330 ms; Palin et al. 2019). */
  ikiMs: number;
  /** Log-space sd of IKIs (keystroke intervals are right-skewed, ~log-normal). */
  ikiSigma: number;
  holdMs: number;
  holdSigma: number;
  /** Alternating-thumb digraphs are faster than same-thumb ones (factor < 1). */
  altFactor: number;
  /** First letter of a word is slower (word-initial latency). */
  wordInitFactor: number;
  /** Reading a newly revealed word before the first key, ms. */
  readMs: number;
  /** Probability of a typo per letter (mobile ~2-5 % corrected errors). */
  typoProb: number;
}

export interface GazePerson {
  /** Smooth-pursuit latency, ms (100-150 ms; Lisberger 2010). */
  latencyMs: number;
  /** Steady-state pursuit gain (0.8-1.0 for slow targets). */
  gain: number;
  /** Position error that triggers a catch-up saccade, screen units. */
  saccadeThreshold: number;
  /** Eye-tracker noise, screen units sd (phone front camera ~1-2 deg). */
  trackerNoise: number;
  biasX: number;
  biasY: number;
  calGain: number;
  blinkEveryS: number;
  rateHz: number;
}

export interface VoicePerson {
  f0Hz: number;
  /** Intonation range within a word, semitones. */
  f0RangeSt: number;
  syllableMs: number;
  /** Word-naming latency: median and sd, ms (Balota et al. 2004: ~500-800 ms). */
  namingMs: number;
  namingSdMs: number;
  levelDb: number;
  noiseFloorDb: number;
  /** Frame-to-frame f0 perturbation, relative sd (0.3-1.5 % after pitch tracking). */
  jitter: number;
}

export interface EdaPerson {
  /** Skin conductance level, uS (1-20 uS typical at the fingers; Boucsein 2012). */
  sclUs: number;
  /** Median SCR amplitude for the first cue, uS. */
  ampUs: number;
  /** SCR onset latency median and sd, s (1-3 s window; Dawson et al. 2017). */
  latencyS: number;
  latencySdS: number;
  responseProb: number;
  /** Amplitude multiplier per repeated cue (habituation). */
  habituation: number;
  /** Non-specific SCRs per minute (1-3 at rest). */
  nsPerMin: number;
  riseTauS: number;
  decayTauS: number;
  noiseUs: number;
  driftUsPerS: number;
  rateHz: number;
}

export interface SimPerson {
  id: string;
  hrv: HrvPerson;
  motion: MotionPerson;
  typing: TypingPerson;
  gaze: GazePerson;
  voice: VoicePerson;
  eda: EdaPerson;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Deterministic person from an id: same id, same person. */
export function makePerson(id: string | number): SimPerson {
  const r = new Rng('person/' + String(id));
  const h = r.fork('hrv');
  const m = r.fork('motion');
  const k = r.fork('typing');
  const g = r.fork('gaze');
  const v = r.fork('voice');
  const e = r.fork('eda');
  const female = r.chance(0.5);
  return {
    id: String(id),
    hrv: {
      hrBpm: clamp(h.normal(70, 9), 52, 95),
      rsaAmpBpm: h.logUniform(3, 10),
      vagalTauS: h.uniform(0.3, 0.8),
      flowMix: h.uniform(-0.2, 0.6),
      breathLagMs: h.uniform(200, 800),
      lockGain: h.uniform(0.4, 1.2),
      breathWander: h.uniform(0.01, 0.04),
      mayerAmpBpm: h.uniform(0.8, 2.5),
      mayerHz: h.uniform(0.08, 0.12),
      pinkBpm: h.uniform(1.0, 2.5),
      driftBpmPerMin: h.normal(0, 1.5),
      ectopicProb: h.chance(0.3) ? h.uniform(0.002, 0.02) : 0,
      sensorJitterMs: h.chance(0.5) ? h.uniform(0.5, 2) : h.uniform(3, 8),
    },
    motion: {
      reactionMs: m.uniform(380, 650),
      reactionSd: m.uniform(50, 120),
      tiltDeg: m.uniform(20, 45),
      tiltOutMs: m.uniform(350, 650),
      holdMs: m.uniform(150, 400),
      tiltBackMs: m.uniform(400, 750),
      shakeHz: m.uniform(3, 5),
      shakeAmpM: m.uniform(0.01, 0.025),
      shakeMs: m.uniform(800, 1400),
      tremorRms: m.logUniform(0.02, 0.12),
      tremorHz: m.uniform(8, 12),
      swayDeg: m.uniform(0.3, 1.5),
      pitch0Deg: m.uniform(30, 60),
      roll0Deg: m.normal(0, 4),
      accNoise: m.uniform(0.012, 0.03),
      gyroNoise: m.uniform(0.002, 0.008),
      pivotM: m.uniform(0.06, 0.15),
      rateHz: m.pick([50, 100, 100, 200]),
      tapAcc: m.uniform(0.25, 0.8),
    },
    typing: {
      ikiMs: k.uniform(190, 380),
      ikiSigma: k.uniform(0.25, 0.45),
      holdMs: k.uniform(65, 130),
      holdSigma: k.uniform(0.15, 0.3),
      altFactor: k.uniform(0.72, 0.9),
      wordInitFactor: k.uniform(1.2, 1.7),
      readMs: k.uniform(350, 750),
      typoProb: k.uniform(0.005, 0.04),
    },
    gaze: {
      latencyMs: g.uniform(100, 150),
      gain: g.uniform(0.8, 0.98),
      saccadeThreshold: g.uniform(0.04, 0.09),
      trackerNoise: g.uniform(0.015, 0.05),
      biasX: g.normal(0, 0.03),
      biasY: g.normal(0, 0.03),
      calGain: g.uniform(0.9, 1.1),
      blinkEveryS: g.uniform(3, 8),
      rateHz: g.pick([30, 60, 60]),
    },
    voice: {
      f0Hz: female ? v.uniform(165, 255) : v.uniform(85, 155),
      f0RangeSt: v.uniform(1.5, 4),
      syllableMs: v.uniform(150, 260),
      namingMs: v.uniform(480, 780),
      namingSdMs: v.uniform(60, 140),
      levelDb: v.uniform(-26, -12),
      noiseFloorDb: v.uniform(-62, -45),
      jitter: v.uniform(0.003, 0.012),
    },
    eda: {
      sclUs: e.logUniform(1, 15),
      ampUs: e.logUniform(0.08, 0.8),
      latencyS: e.uniform(1.4, 2.3),
      latencySdS: e.uniform(0.15, 0.35),
      responseProb: e.uniform(0.85, 1),
      habituation: e.uniform(0.85, 0.97),
      nsPerMin: e.uniform(1, 3),
      riseTauS: e.uniform(0.5, 1.0),
      decayTauS: e.uniform(2, 4),
      noiseUs: e.uniform(0.001, 0.004),
      driftUsPerS: e.normal(0, 0.004),
      rateHz: e.pick([4, 8, 16]),
    },
  };
}
