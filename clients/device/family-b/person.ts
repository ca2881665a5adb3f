import { Rng } from '../rng.ts';
import { clamp } from './dist.ts';

/**
 * A family-B person: traits drawn once per person, from other published models and wider ranges
 * than family A (docs/simulators-family-b.md cites each). `dayB` then varies them for one session.
 */
export type Posture = 'sitting' | 'standing' | 'lying';
export type Grip = 'two-thumb' | 'one-thumb' | 'index-finger';

export interface PersonB {
  id: string;
  family: 'b';
  posture: Posture;
  grip: Grip;
  hrv: {
    hrBpm: number; rsaBpm: number; rsaCornerHz: number; rsaLeadS: number; breathLagS: number;
    /** Share of each breath-rate hop the breathing follows at once (compliance); the rest catches up with tau. */
    compliance: number; catchUpS: number; ieRatio: number;
    lfBpm: number; lfHz: number; vlfBpm: number; rrNoiseMs: number; ectopicProb: number;
    sensor: 'ecg' | 'ppg'; jitterMs: number; missProb: number;
  };
  motion: {
    rtMu: number; rtSigma: number; rtTau: number;
    tiltDeg: number; tiltLogMu: number; tiltLogSigma: number; holdMs: number; offAxis: number; radiusM: number;
    shakeHz: number; shakePeakMs2: number; shakeMs: number;
    pitch0: number; roll0: number; swayDeg: number; swayHz: number;
    tremorMs2: number; tremorHz: number; resonanceHz: number;
    rateHz: number; jitterMs: number; dropProb: number; bias: [number, number, number]; scale: number; noise: number; quant: number;
    gyro: boolean; gyroBias: [number, number, number]; gyroNoise: number; tapMs2: number;
  };
  typing: {
    fittsA: number; fittsB: number; sigma: number; tau: number; pauseProb: number; pauseMs: number;
    holdMean: number; holdShape: number; readMu: number; readSigma: number; readTau: number;
    errProb: number; noticeProb: number;
  };
  gaze: {
    latencyMs: number; gain: number; tauMs: number; noise: number; offX: number; offY: number; calGain: number;
    headDrift: number; blinkPerMin: number; losePerMin: number; loseMedianMs: number; rateHz: number; jitterMs: number;
  };
  voice: {
    namingMu: number; namingSigma: number; namingTau: number; syllPerS: number; dipDb: [number, number];
    fbHz: number; accent: number; phrase: number; jitter: number; levelDb: number; floorDb: number;
    bursts: number; creak: number; hopMs: number; unvoicedOnset: number;
  };
  eda: {
    sclUs: number; ampUs: number; latencyS: number; latencySdS: number; respProb: number; habit: number;
    riseS: number; decayS: number; nsPerMin: number; driftUsPerS: number; wanderUs: number;
    rateHz: number; noiseUs: number; quantUs: number;
  };
}

const pick3 = <T>(r: Rng, items: readonly T[], w: readonly number[]): T => {
  let u = r.float() * w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < items.length; i++) if ((u -= w[i]!) < 0) return items[i]!;
  return items[items.length - 1]!;
};

/** Deterministic family-B person from an id. */
export function makePersonB(id: string | number): PersonB {
  const r = new Rng('family-b/person/' + String(id));
  const h = r.fork('hrv'), m = r.fork('motion'), k = r.fork('typing'), g = r.fork('gaze'), v = r.fork('voice'), e = r.fork('eda');
  const female = r.chance(0.5);
  const posture = pick3<Posture>(r, ['sitting', 'standing', 'lying'], [0.55, 0.3, 0.15]);
  const grip = pick3<Grip>(r, ['two-thumb', 'one-thumb', 'index-finger'], [0.55, 0.25, 0.2]);
  const ppg = h.chance(0.6);
  return {
    id: String(id),
    family: 'b',
    posture,
    grip,
    hrv: {
      hrBpm: clamp(h.normal(70, 11), 48, 105),
      rsaBpm: h.logUniform(1.5, 14),
      rsaCornerHz: h.uniform(0.12, 0.3),
      rsaLeadS: h.uniform(-0.3, 0.6),
      breathLagS: h.uniform(0.1, 1.2),
      compliance: h.uniform(0.4, 1),
      catchUpS: h.uniform(1, 6),
      ieRatio: h.uniform(0.6, 1.1),
      lfBpm: h.uniform(0.5, 3),
      lfHz: h.uniform(0.07, 0.13),
      vlfBpm: h.uniform(0.5, 3),
      rrNoiseMs: h.uniform(3, 20),
      ectopicProb: h.chance(0.4) ? h.uniform(0.001, 0.03) : 0,
      sensor: ppg ? 'ppg' : 'ecg',
      jitterMs: ppg ? h.uniform(3, 15) : h.uniform(0.5, 2),
      missProb: ppg ? h.uniform(0, 0.02) : 0,
    },
    motion: {
      rtMu: m.uniform(300, 480), rtSigma: m.uniform(30, 70), rtTau: m.uniform(60, 220),
      tiltDeg: m.logUniform(14, 50), tiltLogMu: Math.log(m.uniform(0.15, 0.45)), tiltLogSigma: m.uniform(0.2, 0.45),
      holdMs: m.uniform(0, 600), offAxis: m.uniform(0, 0.4), radiusM: m.uniform(0.04, 0.35),
      shakeHz: m.uniform(2.5, 6), shakePeakMs2: m.logUniform(6, 25), shakeMs: m.uniform(600, 1800),
      pitch0: posture === 'lying' ? m.uniform(-10, 25) : m.uniform(15, 70), roll0: m.normal(0, 8),
      swayDeg: posture === 'standing' ? m.uniform(0.6, 3) : m.uniform(0.2, 1.2), swayHz: m.uniform(0.1, 0.8),
      tremorMs2: m.logUniform(0.01, 0.15), tremorHz: m.uniform(7.5, 12.5), resonanceHz: m.uniform(3, 7),
      rateHz: m.pick([50, 60, 100, 100]), jitterMs: m.uniform(0.3, 4), dropProb: m.uniform(0, 0.02),
      bias: [m.normal(0, 0.1), m.normal(0, 0.1), m.normal(0, 0.1)], scale: 1 + m.normal(0, 0.015),
      noise: m.uniform(0.005, 0.04), quant: m.pick([0.0024, 0.0048, 0.0096]),
      gyro: m.chance(0.7), gyroBias: [m.normal(0, 0.01), m.normal(0, 0.01), m.normal(0, 0.01)], gyroNoise: m.uniform(0.002, 0.012),
      tapMs2: m.uniform(0.15, 1.0),
    },
    typing: {
      fittsA: k.uniform(60, 160), fittsB: k.uniform(50, 130), sigma: k.uniform(15, 50), tau: k.uniform(20, 160),
      pauseProb: k.uniform(0, 0.08), pauseMs: k.uniform(250, 900),
      holdMean: k.uniform(55, 150), holdShape: k.uniform(5, 25),
      readMu: k.uniform(330, 620), readSigma: k.uniform(30, 90), readTau: k.uniform(40, 260),
      errProb: k.uniform(0.005, 0.06), noticeProb: k.uniform(0.7, 1),
    },
    gaze: {
      latencyMs: g.uniform(80, 180), gain: g.uniform(0.75, 1.0), tauMs: g.uniform(40, 120),
      noise: g.logUniform(0.02, 0.12), offX: g.normal(0, 0.08), offY: g.normal(0, 0.08), calGain: g.uniform(0.8, 1.2),
      headDrift: g.uniform(0.005, 0.035), blinkPerMin: g.uniform(8, 22), losePerMin: g.uniform(0, 6), loseMedianMs: g.uniform(120, 350),
      rateHz: g.pick([15, 30, 30, 60]), jitterMs: g.uniform(1, 8),
    },
    voice: {
      namingMu: v.uniform(430, 650), namingSigma: v.uniform(35, 90), namingTau: v.uniform(50, 200),
      syllPerS: v.uniform(3.5, 6.5), dipDb: [v.uniform(3, 7), v.uniform(9, 18)],
      fbHz: female ? v.uniform(150, 240) : v.uniform(75, 135), accent: v.uniform(0.04, 0.25), phrase: v.uniform(0.05, 0.25),
      jitter: v.uniform(0.002, 0.015), levelDb: v.uniform(-32, -8), floorDb: v.uniform(-72, -40),
      bursts: v.uniform(0, 1.5), creak: v.uniform(0, 0.3), hopMs: v.pick([10, 10, 12.5, 16, 20]), unvoicedOnset: v.uniform(0.2, 0.6),
    },
    eda: {
      sclUs: e.logUniform(0.5, 25), ampUs: e.logUniform(0.03, 1.5), latencyS: e.uniform(1.2, 2.8), latencySdS: e.uniform(0.1, 0.45),
      respProb: e.chance(0.15) ? e.uniform(0.3, 0.65) : e.uniform(0.7, 1), habit: e.uniform(0, 0.2),
      riseS: e.uniform(0.35, 1.6), decayS: e.uniform(2, 10), nsPerMin: e.logUniform(0.5, 6),
      driftUsPerS: e.normal(0, 0.006), wanderUs: e.uniform(0.005, 0.05),
      rateHz: e.pick([4, 8, 15, 32]), noiseUs: e.uniform(0.0005, 0.004), quantUs: e.pick([0.0005, 0.001, 0.002]),
    },
  };
}

/** The person on one day: traits varied by day-to-day variability (wider than family A's). */
export function dayB(p: PersonB, r: Rng): PersonB {
  const ln = (sd: number): number => Math.exp(r.normal(0, sd));
  return {
    ...p,
    hrv: { ...p.hrv, hrBpm: clamp(p.hrv.hrBpm + r.normal(0, 4), 45, 110), rsaBpm: p.hrv.rsaBpm * ln(0.3), breathLagS: clamp(p.hrv.breathLagS + r.normal(0, 0.15), 0.05, 1.4), compliance: clamp(p.hrv.compliance + r.normal(0, 0.1), 0.3, 1), lfBpm: p.hrv.lfBpm * ln(0.3) },
    motion: {
      ...p.motion, rtMu: p.motion.rtMu + r.normal(0, 25), rtTau: p.motion.rtTau * ln(0.2), tiltDeg: p.motion.tiltDeg * ln(0.15),
      pitch0: clamp(p.motion.pitch0 + r.normal(0, 10), -15, 80), roll0: p.motion.roll0 + r.normal(0, 4), tremorMs2: p.motion.tremorMs2 * ln(0.3),
      tremorHz: clamp(p.motion.tremorHz + r.normal(0, 0.5), 7, 13), swayDeg: p.motion.swayDeg * ln(0.25), shakePeakMs2: p.motion.shakePeakMs2 * ln(0.15),
    },
    typing: { ...p.typing, fittsA: p.typing.fittsA * ln(0.1), fittsB: p.typing.fittsB * ln(0.1), tau: p.typing.tau * ln(0.2), holdMean: p.typing.holdMean * ln(0.1), readMu: p.typing.readMu + r.normal(0, 40), readTau: p.typing.readTau * ln(0.2) },
    gaze: { ...p.gaze, latencyMs: clamp(p.gaze.latencyMs + r.normal(0, 12), 70, 200), gain: clamp(p.gaze.gain + r.normal(0, 0.04), 0.7, 1.02), offX: p.gaze.offX + r.normal(0, 0.05), offY: p.gaze.offY + r.normal(0, 0.05), calGain: p.gaze.calGain * ln(0.06), noise: p.gaze.noise * ln(0.25) },
    voice: { ...p.voice, namingMu: p.voice.namingMu + r.normal(0, 40), fbHz: p.voice.fbHz * 2 ** (r.normal(0, 1) / 12), levelDb: clamp(p.voice.levelDb + r.normal(0, 4), -40, -4), floorDb: clamp(p.voice.floorDb + r.normal(0, 6), -78, -35), syllPerS: p.voice.syllPerS * ln(0.08) },
    eda: { ...p.eda, sclUs: clamp(p.eda.sclUs * ln(0.35), 0.3, 40), ampUs: p.eda.ampUs * ln(0.35), latencyS: clamp(p.eda.latencyS + r.normal(0, 0.15), 1.05, 3), nsPerMin: p.eda.nsPerMin * ln(0.35), driftUsPerS: r.normal(0, 0.006) },
  };
}
