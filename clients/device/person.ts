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
  /** Probability that the beat detector misses a beat (PPG at low perfusion ~0.3-1.5 %; ECG ~0). */
  missedBeatProb: number;
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
  /** Accelerometer calibration of this phone: residual offset per axis, m/s^2 (~5-10 mg after factory/field calibration), and scale error. */
  accBias: [number, number, number];
  accScale: number;
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

/** Deterministic person from an id: same id, same person (trait parameters; see sessionState for one day). */
export function makePerson(id: string | number): SimPerson {
  const r = new Rng('person/' + String(id));
  const h = r.fork('hrv');
  const m = r.fork('motion');
  const k = r.fork('typing');
  const g = r.fork('gaze');
  const v = r.fork('voice');
  const e = r.fork('eda');
  const female = r.chance(0.5);
  const person: SimPerson = {
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
      missedBeatProb: 0,
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
      accBias: [m.normal(0, 0.06), m.normal(0, 0.06), m.normal(0, 0.06)],
      accScale: 1 + m.normal(0, 0.008),
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
  // PPG sensors (the jittery half) miss beats now and then; drawn from a separate stream so the
  // parameters above stay as they were.
  const ppg = person.hrv.sensorJitterMs >= 3;
  person.hrv.missedBeatProb = ppg ? r.fork('hrv-detector').uniform(0.003, 0.015) : 0;
  return person;
}

/**
 * The person on one particular day: trait parameters varied by their day-to-day (session-to-session)
 * variability, drawn once per session. People differ (makePerson); one person differs a little from
 * day to day (this); within one 30 s session the state is fixed apart from the slow drifts each
 * simulator models. Device properties (sample rates, sensor noise, calibration) stay with the person's
 * device. Magnitudes:
 *   resting HR sd 3 bpm (within-person day-to-day SD of resting HR ~2-4 bpm; Quer et al. 2020),
 *   RSA and Mayer amplitude x exp(N(0, 0.2)) (short-term HRV test-retest CV ~20 %; Sandercock 2005),
 *   HR drift drawn fresh per session; breathing lag sd 80 ms;
 *   gesture reaction sd 30 ms, tilt size/speed CV ~10 %, tremor amplitude CV ~25 % and frequency
 *   sd 0.4 Hz (fatigue, caffeine; Elble 2003), holding pose (pitch sd 8 deg, roll sd 3 deg);
 *   typing interval and hold CV ~8 % (keystroke dynamics day-to-day drift; Killourhy & Maxion 2009);
 *   pursuit latency sd 8 ms, pursuit gain sd 0.02, eye-tracker calibration re-done per session
 *   (offset sd 0.025 units, gain CV 4 %), tracking noise CV 20 % (lighting);
 *   speaking f0 sd 0.7 semitones, naming latency sd 40 ms, speaking level sd 3 dB (distance to the
 *   microphone), room noise floor sd 5 dB;
 *   skin-conductance level x exp(N(0, 0.3)) (hydration, temperature, electrode contact; Boucsein
 *   2012), SCR amplitude x exp(N(0, 0.3)), SCR latency sd 0.1 s, non-specific SCR rate x exp(N(0, 0.3)).
 */
export function sessionState(p: SimPerson, r: Rng): SimPerson {
  const ln = (sd: number): number => Math.exp(r.normal(0, sd));
  return {
    id: p.id,
    hrv: {
      ...p.hrv,
      hrBpm: clamp(p.hrv.hrBpm + r.normal(0, 3), 48, 100),
      rsaAmpBpm: p.hrv.rsaAmpBpm * ln(0.2),
      breathLagMs: clamp(p.hrv.breathLagMs + r.normal(0, 80), 150, 900),
      lockGain: p.hrv.lockGain * ln(0.15),
      mayerAmpBpm: p.hrv.mayerAmpBpm * ln(0.2),
      pinkBpm: p.hrv.pinkBpm * ln(0.15),
      driftBpmPerMin: r.normal(0, 1.5),
    },
    motion: {
      ...p.motion,
      reactionMs: p.motion.reactionMs + r.normal(0, 30),
      tiltDeg: p.motion.tiltDeg * ln(0.12),
      tiltOutMs: p.motion.tiltOutMs * ln(0.1),
      holdMs: p.motion.holdMs * ln(0.1),
      tiltBackMs: p.motion.tiltBackMs * ln(0.1),
      shakeHz: p.motion.shakeHz * ln(0.06),
      shakeAmpM: p.motion.shakeAmpM * ln(0.1),
      shakeMs: p.motion.shakeMs * ln(0.1),
      tremorRms: p.motion.tremorRms * ln(0.25),
      tremorHz: clamp(p.motion.tremorHz + r.normal(0, 0.4), 7.5, 12.5),
      swayDeg: p.motion.swayDeg * ln(0.2),
      pitch0Deg: clamp(p.motion.pitch0Deg + r.normal(0, 8), 15, 70),
      roll0Deg: p.motion.roll0Deg + r.normal(0, 3),
      tapAcc: p.motion.tapAcc * ln(0.15),
    },
    typing: {
      ...p.typing,
      ikiMs: p.typing.ikiMs * ln(0.08),
      ikiSigma: p.typing.ikiSigma * ln(0.08),
      holdMs: p.typing.holdMs * ln(0.08),
      holdSigma: p.typing.holdSigma * ln(0.08),
      readMs: p.typing.readMs * ln(0.1),
    },
    gaze: {
      ...p.gaze,
      latencyMs: clamp(p.gaze.latencyMs + r.normal(0, 8), 90, 170),
      gain: clamp(p.gaze.gain + r.normal(0, 0.02), 0.75, 0.99),
      biasX: p.gaze.biasX + r.normal(0, 0.025),
      biasY: p.gaze.biasY + r.normal(0, 0.025),
      calGain: p.gaze.calGain * ln(0.04),
      trackerNoise: p.gaze.trackerNoise * ln(0.2),
      blinkEveryS: p.gaze.blinkEveryS * ln(0.2),
    },
    voice: {
      ...p.voice,
      f0Hz: p.voice.f0Hz * 2 ** (r.normal(0, 0.7) / 12),
      namingMs: p.voice.namingMs + r.normal(0, 40),
      syllableMs: p.voice.syllableMs * ln(0.06),
      levelDb: clamp(p.voice.levelDb + r.normal(0, 3), -32, -8),
      noiseFloorDb: clamp(p.voice.noiseFloorDb + r.normal(0, 5), -70, -40),
      jitter: p.voice.jitter * ln(0.15),
    },
    eda: {
      ...p.eda,
      sclUs: clamp(p.eda.sclUs * ln(0.3), 0.5, 30),
      ampUs: p.eda.ampUs * ln(0.3),
      latencyS: clamp(p.eda.latencyS + r.normal(0, 0.1), 1.2, 2.6),
      nsPerMin: p.eda.nsPerMin * ln(0.3),
      driftUsPerS: r.normal(0, 0.004),
    },
  };
}
