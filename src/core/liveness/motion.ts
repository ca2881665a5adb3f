import { atMost, inRange, scanMargin, SOFT_SCALES } from './margins.ts';
import type { Gesture, MotionStimulus } from '../stimulus/types.ts';
import { CheckList, fmtS, unusable } from './checks.ts';
import { DEFAULT_CONFIG, type MotionConfig } from './config.ts';
import { checkTimes, lowpass, median, movingAverage, pearson, resample, round } from './dsp.ts';
import type { ModalityResult, MotionStream, PersonProfile, StimulusResponse, Vec3Sample } from './types.ts';
import { describeChange, lowerBound, scanChange, type SegmentFeatures } from './consistency.ts';

const DEG = 180 / Math.PI;
/** Analysis grid: 50 Hz is enough for gestures (< 6 Hz) and keeps tremor (8-12 Hz) below Nyquist. */
const GRID_HZ = 50;
const DT = 1000 / GRID_HZ;

/** Direction of each tilt in (roll, pitch) deviation space; roll + = right edge down, pitch + = top edge up. */
const DIRECTION: Record<Exclude<Gesture, 'shake'>, [number, number]> = {
  'tilt-left': [-1, 0],
  'tilt-right': [1, 0],
  'tilt-forward': [0, -1],
  'tilt-back': [0, 1],
};

const MOTION_LABELS: Record<string, (a: number, b: number) => string> = {
  tremor: (a, b) => `tremor x${round(Math.exp(b - a), 2)}`,
  tremorHz: (a, b) => `tremor frequency x${round(Math.exp(b - a), 2)}`,
  gravity: (a, b) => `gravity reading ${round(a, 3)} -> ${round(b, 3)} m/s^2`,
  pitch: (a, b) => `holding pitch ${round(a, 0)} -> ${round(b, 0)} deg`,
  lateral: (a, b) => `holding roll ${round(a, 0)} -> ${round(b, 0)} deg`,
  interval: (a, b) => `sample interval ${round(Math.exp(a), 1)} -> ${round(Math.exp(b), 1)} ms`,
};

export interface MotionAnalysis {
  t0: number;
  n: number;
  /** Roll about the device y axis, deg (atan2(-gx, gz)): exact, but ill-conditioned when the phone is upright. */
  roll: Float64Array;
  /** Pitch, deg (atan2(gy, sqrt(gx^2 + gz^2))). */
  pitch: Float64Array;
  /** Lateral tilt of gravity, deg (asin(-gx/|g|)): smaller than roll on a pitched phone, but well-conditioned. */
  lateral: Float64Array;
  /** Gravity (acceleration below 1.5 Hz) per device axis, m/s^2, on the grid. */
  gx: Float64Array;
  gy: Float64Array;
  gz: Float64Array;
  /** 250 ms RMS of high-passed acceleration magnitude (shake energy), on the grid. */
  shake: Float64Array;
  /** Movement episodes (tilt speed or shake energy above threshold), device ms. */
  episodes: { start: number; end: number; kind: 'tilt' | 'shake'; peak: number }[];
}

function axes(acc: readonly Vec3Sample[], t0: number, n: number): [Float64Array, Float64Array, Float64Array] {
  const t = acc.map((s) => s.t);
  return [resample(t, acc.map((s) => s.x), t0, DT, n), resample(t, acc.map((s) => s.y), t0, DT, n), resample(t, acc.map((s) => s.z), t0, DT, n)];
}

/** Orientation, shake energy and movement episodes of an accelerometer stream (shared with cross-modal checks). */
export function analyseMotion(stream: MotionStream, cfg: MotionConfig): MotionAnalysis {
  const acc = stream.acc;
  const t0 = acc[0]!.t;
  const n = Math.max(1, Math.floor((acc[acc.length - 1]!.t - t0) / DT) + 1);
  const [x, y, z] = axes(acc, t0, n);
  const gx = lowpass(x, 1.5, GRID_HZ), gy = lowpass(y, 1.5, GRID_HZ), gz = lowpass(z, 1.5, GRID_HZ);
  const roll = new Float64Array(n), pitch = new Float64Array(n), lateral = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    roll[i] = Math.atan2(-gx[i]!, gz[i]!) * DEG;
    pitch[i] = Math.atan2(gy[i]!, Math.hypot(gx[i]!, gz[i]!)) * DEG;
    lateral[i] = Math.asin(Math.max(-1, Math.min(1, -gx[i]! / Math.max(1e-6, Math.hypot(gx[i]!, gy[i]!, gz[i]!))))) * DEG;
  }
  // Shake energy: acceleration above 2 Hz, RMS over 250 ms.
  const hx = lowpass(x, 2, GRID_HZ), hy = lowpass(y, 2, GRID_HZ), hz = lowpass(z, 2, GRID_HZ);
  const e2 = new Float64Array(n);
  for (let i = 0; i < n; i++) e2[i] = (x[i]! - hx[i]!) ** 2 + (y[i]! - hy[i]!) ** 2 + (z[i]! - hz[i]!) ** 2;
  const shake = movingAverage(e2, Math.round(250 / DT)).map(Math.sqrt);
  // Movement episodes: tilt speed > 30 deg/s (prompted tilts peak at ~100 deg/s; postural sway stays
  // under ~5 deg/s) or shake energy above half the shake threshold; gaps < 300 ms merged.
  const active: ('tilt' | 'shake' | null)[] = new Array(n).fill(null);
  for (let i = 1; i < n; i++) {
    const speed = (Math.hypot(lateral[i]! - lateral[i - 1]!, pitch[i]! - pitch[i - 1]!) * 1000) / DT;
    if (shake[i]! >= cfg.shakeMinRms / 2) active[i] = 'shake';
    else if (speed > 30) active[i] = 'tilt';
  }
  // An episode is a shake only if its energy reaches the full shake threshold: fast tilts have some
  // energy above 2 Hz too (tangential acceleration about the wrist).
  const episodes: MotionAnalysis['episodes'] = [];
  for (let i = 0; i < n; i++) {
    if (!active[i]) continue;
    const t = t0 + i * DT;
    const last = episodes[episodes.length - 1];
    if (last && t - last.end < 300) {
      last.end = t;
      last.peak = Math.max(last.peak, shake[i]!);
    } else episodes.push({ start: t, end: t, kind: 'tilt', peak: shake[i]! });
  }
  for (const e of episodes) e.kind = e.peak >= cfg.shakeMinRms ? 'shake' : 'tilt';
  return { t0, n, roll, pitch, lateral, gx, gy, gz, shake, episodes: episodes.filter((e) => e.end - e.start >= 60 || e.kind === 'shake') };
}

/**
 * Phone motion answering a prompted gesture sequence.
 *
 * Plausibility: sample rate, |acceleration| <= 6 g, jerk limit, gravity present (median |a| ~ 9.81),
 * gyro rate limit. Complexity: at rest the signal carries tremor and sensor noise (neither a perfect
 * synthetic nor a noise generator fits the band). Coupling: each prompted gesture, in order, within a
 * window after its prompt, with a choice-reaction latency: tilts reach >= 12 deg in the prompted
 * direction and dominate the other axis; shakes reach the shake energy threshold. Movements outside
 * the response windows count as unprompted. When a gyro stream is present, its rates must agree with
 * the tilt rates the accelerometer implies (same physical rotation).
 */
export function verifyMotion(stream: MotionStream | undefined, stim: MotionStimulus, durationMs: number, cfg: MotionConfig, profile?: PersonProfile['motion']): ModalityResult {
  const acc = stream?.acc;
  if (!Array.isArray(acc) || acc.length < 10) return unusable('motion', 'motion: no accelerometer stream (need at least 10 samples)');
  const bad = checkTimes(acc);
  if (bad) return unusable('motion', `motion: ${bad}`);
  if (acc.some((s) => !Number.isFinite(s.x) || !Number.isFinite(s.y) || !Number.isFinite(s.z))) return unusable('motion', 'motion: an acceleration value is not a finite number');
  const c = new CheckList('motion');
  const n = acc.length;
  const span = acc[n - 1]!.t - acc[0]!.t;
  const rate = span > 0 ? ((n - 1) * 1000) / span : 0;
  c.add('rate', rate >= cfg.rateHz.min && rate <= cfg.rateHz.max, `motion: sample rate ${round(rate, 1)} Hz outside ${cfg.rateHz.min}-${cfg.rateHz.max} Hz`);
  c.add('coverage', acc[0]!.t <= 500 && acc[n - 1]!.t >= durationMs - 500, `motion: samples span ${fmtS(acc[0]!.t)} to ${fmtS(acc[n - 1]!.t)}, not the whole ${fmtS(durationMs)} session`);

  // Plausibility.
  let tooStrong = 0, firstStrong = -1, jerky = 0, firstJerk = -1;
  const mags = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = acc[i]!;
    mags[i] = Math.hypot(s.x, s.y, s.z);
    if (mags[i]! > cfg.maxAccMs2) {
      tooStrong++;
      if (firstStrong < 0) firstStrong = s.t;
    }
    if (i > 0) {
      const p = acc[i - 1]!;
      const dt = Math.max(1, s.t - p.t) / 1000;
      const j = Math.max(Math.abs(s.x - p.x), Math.abs(s.y - p.y), Math.abs(s.z - p.z)) / dt;
      if (j > cfg.maxJerkMs3) {
        jerky++;
        if (firstJerk < 0) firstJerk = s.t;
      }
    }
  }
  c.add('acceleration', tooStrong === 0, `motion: ${tooStrong} sample(s) exceed ${cfg.maxAccMs2} m/s^2 (about ${round(cfg.maxAccMs2 / 9.81, 1)} g, more than a hand moves a phone), first at ${fmtS(firstStrong)}`);
  c.add('jerk', jerky === 0, `motion: ${jerky} step(s) change acceleration faster than ${cfg.maxJerkMs3} m/s^3, first at ${fmtS(firstJerk)}`);
  const g = median(mags);
  c.add('gravity', g >= cfg.gravityMs2.min && g <= cfg.gravityMs2.max, `motion: median acceleration magnitude ${round(g, 2)} m/s^2 is not gravity (${cfg.gravityMs2.min}-${cfg.gravityMs2.max}): not a phone held on Earth`);
  const gyro = stream?.gyro;
  const gyroOk = Array.isArray(gyro) && gyro.length >= 10 && checkTimes(gyro) === null && gyro.every((s) => Number.isFinite(s.x) && Number.isFinite(s.y) && Number.isFinite(s.z));
  if (Array.isArray(gyro) && !gyroOk) c.add('gyro-format', false, 'motion: gyro stream is malformed');
  if (gyroOk) {
    const fast = gyro.filter((s) => Math.hypot(s.x, s.y, s.z) > cfg.maxGyroRadS).length;
    c.add('gyro-range', fast === 0, `motion: ${fast} gyro sample(s) rotate faster than ${cfg.maxGyroRadS} rad/s`);
  }

  const a = analyseMotion(stream!, cfg);
  const at = (t: number): number => Math.min(a.n - 1, Math.max(0, Math.round((t - a.t0) / DT)));

  // Coupling: each prompt answered by its gesture.
  const prompts = stim.prompts;
  const responses: StimulusResponse[] = [];
  const misses: string[] = [];
  const latencies: number[] = [];
  const amps: number[] = [];
  for (let i = 0; i < prompts.length; i++) {
    const p = prompts[i]!;
    const end = Math.min(p.atMs + cfg.windowMs, prompts[i + 1]?.atMs ?? Infinity, durationMs);
    const i0 = at(p.atMs), i1 = at(end);
    let onset: number | null = null;
    let why = '';
    if (p.gesture === 'shake') {
      let peak = 0;
      for (let k = i0; k <= i1; k++) peak = Math.max(peak, a.shake[k]!);
      if (peak >= cfg.shakeMinRms) {
        for (let k = i0; k <= i1; k++) if (a.shake[k]! >= cfg.shakeMinRms / 2) { onset = a.t0 + k * DT; break; }
      } else why = `no shake (peak energy ${round(peak, 1)} m/s^2, need ${cfg.shakeMinRms})`;
    } else {
      // Left/right tilts are measured as roll (exact while the phone is not upright) against pitch;
      // forward/back tilts as pitch against lateral tilt (roll is ill-conditioned near upright).
      const [dr, dp] = DIRECTION[p.gesture];
      const sideways = dr !== 0;
      const alongS = sideways ? a.roll : a.pitch, acrossS = sideways ? a.pitch : a.lateral;
      const sign = sideways ? dr : dp;
      const b0 = at(p.atMs - 400);
      const baseA = median(alongS.subarray(b0, i0 + 5)), baseX = median(acrossS.subarray(b0, i0 + 5));
      let peak = -Infinity, off = 0, opposite = 0, peakK = i0;
      for (let k = i0; k <= i1; k++) {
        const along = sign * (alongS[k]! - baseA);
        const across = Math.abs(acrossS[k]! - baseX);
        if (along > peak) { peak = along; peakK = k; }
        off = Math.max(off, across);
        opposite = Math.max(opposite, -along);
      }
      if (peak >= cfg.tiltMinDeg && peak >= cfg.dominance * off && peak >= cfg.dominance * opposite) {
        for (let k = i0; k <= peakK; k++) {
          const along = sign * (alongS[k]! - baseA);
          if (along >= Math.max(4, 0.3 * peak)) { onset = a.t0 + k * DT; break; }
        }
        amps.push(peak);
      } else if (peak < cfg.tiltMinDeg) why = `no ${p.gesture} (largest tilt that way ${round(Math.max(0, peak), 0)} deg, need ${cfg.tiltMinDeg}; other axis ${round(off, 0)} deg, opposite ${round(opposite, 0)} deg)`;
      else why = `${p.gesture} not dominant (${round(peak, 0)} deg that way, ${round(off, 0)} deg on the other axis, ${round(opposite, 0)} deg the opposite way)`;
    }
    if (onset !== null) {
      const lat = onset - p.atMs;
      if (lat < cfg.latencyMs.min || lat > cfg.latencyMs.max) {
        why = `${p.gesture} started ${round(lat, 0)} ms after the prompt (human range ${cfg.latencyMs.min}-${cfg.latencyMs.max} ms)`;
        onset = null;
      } else latencies.push(lat);
    }
    if (onset === null) misses.push(`gesture ${i + 1} (${p.gesture} at ${fmtS(p.atMs)}): ${why}`);
    responses.push({ index: i, revealAt: p.atMs, onset });
  }
  const hits = prompts.length - misses.length;
  c.add('coupling', misses.length <= cfg.maxMisses && prompts.length > 0, `motion: ${misses.length} of ${prompts.length} prompted gestures not performed as prompted (at most ${cfg.maxMisses}): ${misses.join('; ')}`, prompts.length > 0 ? atMost(misses.length, cfg.maxMisses, SOFT_SCALES.count) : undefined);
  const unprompted = a.episodes.filter((e) => e.start > 500 && !prompts.some((p) => e.start >= p.atMs && e.start < p.atMs + cfg.windowMs));
  c.add('unprompted', unprompted.length <= cfg.maxUnprompted, `motion: ${unprompted.length} movement(s) nobody asked for (at ${unprompted.slice(0, 4).map((e) => fmtS(e.start)).join(', ')}); at most ${cfg.maxUnprompted}`, atMost(unprompted.length, cfg.maxUnprompted, SOFT_SCALES.count));

  // Complexity: high-frequency residual at rest = tremor + sensor noise.
  const t0 = a.t0;
  const [x, y, z] = axes(acc, t0, a.n);
  const lx = lowpass(x, 5, GRID_HZ), ly = lowpass(y, 5, GRID_HZ), lz = lowpass(z, 5, GRID_HZ);
  const half = t0 + (acc[n - 1]!.t - t0) / 2;
  const rs = [0, 0], rn = [0, 0];
  for (let k = 0; k < a.n; k++) {
    const t = t0 + k * DT;
    if (a.episodes.some((e) => t >= e.start - 300 && t <= e.end + 300)) continue;
    const h = t < half ? 0 : 1;
    rs[h]! += ((x[k]! - lx[k]!) ** 2 + (y[k]! - ly[k]!) ** 2 + (z[k]! - lz[k]!) ** 2) / 3;
    rn[h]!++;
  }
  const rest = rn[0]! + rn[1]! > 0 ? Math.sqrt((rs[0]! + rs[1]!) / (rn[0]! + rn[1]!)) : NaN;
  // One hand and one sensor: tremor plus noise keep their level through the session (a splice of two
  // people or devices changes it).
  const restRatio = rn[0]! > 50 && rn[1]! > 50 ? Math.sqrt(rs[0]! / rn[0]!) / Math.sqrt(rs[1]! / rn[1]!) : 1;
  const restShift = Math.max(restRatio, 1 / restRatio);
  // One hand on one phone throughout (consistency.ts): tremor level and frequency, holding pose, the
  // accelerometer's gravity calibration and sample rate hold; a splice of two recordings changes them.
  const cc = cfg.consistency ?? DEFAULT_CONFIG.motion.consistency!;
  const scan = scanChange(acc[0]!.t, acc[n - 1]!.t, cc, motionSegmentFeatures(acc, a));
  c.add('stationarity', scan.stat <= cc.maxStat, `motion: the hand or phone changes at ${fmtS(scan.cutMs)} (change score ${round(scan.stat, 1)}, one hand on one phone stays below ${cc.maxStat}: ${describeChange(scan, MOTION_LABELS)}): two recordings spliced`, scanMargin(scan.stat, cc.maxStat));
  c.add('rest-noise', rest >= cfg.restNoise.min && rest <= cfg.restNoise.max, `motion: micro-motion at rest ${round(rest, 4)} m/s^2 outside ${cfg.restNoise.min}-${cfg.restNoise.max} (${rest < cfg.restNoise.min ? 'no tremor or sensor noise: not a hand-held sensor' : 'too strong for a phone held still'})`);

  // Gyro agrees with the rotation the accelerometer sees.
  let gyroCorr: number | null = null;
  if (gyroOk) {
    const gt = gyro!.map((s) => s.t);
    const wx = lowpass(resample(gt, gyro!.map((s) => s.x), t0, DT, a.n), 1.5, GRID_HZ);
    const wy = lowpass(resample(gt, gyro!.map((s) => s.y), t0, DT, a.n), 1.5, GRID_HZ);
    const A: number[] = [], B: number[] = [];
    // Shakes are excluded: their linear acceleration masquerades as tilt in the accelerometer.
    const shaking = (t: number): boolean => a.episodes.some((e) => e.kind === 'shake' && t >= e.start - 300 && t <= e.end + 300);
    for (let k = 1; k < a.n; k++) {
      // Roll is only trusted while the phone is not near upright (|pitch| < 70 deg).
      if (shaking(t0 + k * DT) || Math.abs(a.pitch[k]!) > 70 || Math.abs(a.pitch[k - 1]!) > 70) continue;
      A.push((a.roll[k]! - a.roll[k - 1]!) / DEG / (DT / 1000), (a.pitch[k]! - a.pitch[k - 1]!) / DEG / (DT / 1000));
      B.push(wy[k]!, wx[k]!);
    }
    gyroCorr = pearson(A, B);
    if (!Number.isFinite(gyroCorr)) gyroCorr = 0;
    c.add('gyro-consistency', gyroCorr >= cfg.minGyroCorrelation, `motion: gyroscope disagrees with the tilts the accelerometer shows (correlation ${round(gyroCorr, 2)}, need ${cfg.minGyroCorrelation}): the two sensors did not see the same movement`);
  }

  const reaction = latencies.length ? median(latencies) : NaN;
  if (profile?.reactionMs && latencies.length) {
    const [lo, hi] = profile.reactionMs;
    c.add('profile', reaction >= lo && reaction <= hi, `motion: median gesture reaction ${round(reaction, 0)} ms outside this person's enrolled ${round(lo, 0)}-${round(hi, 0)} ms`, inRange(reaction, lo, hi, SOFT_SCALES.latencyMs));
  }
  const features = {
    rateHz: round(rate, 1),
    gravityMs2: round(g, 3),
    prompts: prompts.length,
    hits,
    unprompted: unprompted.length,
    reactionMs: round(reaction, 0),
    tiltDeg: round(amps.length ? median(amps) : NaN, 1),
    tremorRms: round(rest, 4),
    restRatio: round(restShift, 3),
    changeScore: round(scan.stat, 2),
    gyroCorrelation: gyroCorr === null ? null : round(gyroCorr, 3),
  };
  return c.result(features, prompts.length ? hits / prompts.length - 0.2 * unprompted.length : 0, responses);
}

/**
 * Person and device features of a part of a motion session (for the change-point scan,
 * consistency.ts), at rest only (outside movement episodes +-300 ms): log tremor + sensor noise RMS
 * above 5 Hz (tremor), its log frequency index RMS(diff)/RMS (tremorHz: 8-12 Hz tremor vs white
 * noise), gravity magnitude of the 1.5 Hz low-passed signal (gravity: the accelerometer's calibration,
 * m/s^2), holding pose (pitch, lateral, deg) and log sample interval (interval). Prefix sums on the
 * 50 Hz grid.
 */
export function motionSegmentFeatures(acc: readonly Vec3Sample[], a: MotionAnalysis): SegmentFeatures {
  const t0 = a.t0, n = a.n;
  const [x, y, z] = axes(acc, t0, n);
  const lx = lowpass(x, 5, GRID_HZ), ly = lowpass(y, 5, GRID_HZ), lz = lowpass(z, 5, GRID_HZ);
  const gx = lowpass(x, 1.5, GRID_HZ), gy = lowpass(y, 1.5, GRID_HZ), gz = lowpass(z, 1.5, GRID_HZ);
  const rest = new Uint8Array(n).fill(1);
  for (const e of a.episodes) {
    const k0 = Math.max(0, Math.floor((e.start - 300 - t0) / DT)), k1 = Math.min(n - 1, Math.ceil((e.end + 300 - t0) / DT));
    for (let k = k0; k <= k1; k++) rest[k] = 0;
  }
  const K = 7;
  const P = new Float64Array((n + 1) * K);
  let prev: [number, number, number] | null = null;
  for (let k = 0; k < n; k++) {
    const hx = x[k]! - lx[k]!, hy = y[k]! - ly[k]!, hz = z[k]! - lz[k]!;
    const r = rest[k] === 1;
    const d = prev && r && rest[k - 1] === 1 ? ((hx - prev[0]) ** 2 + (hy - prev[1]) ** 2 + (hz - prev[2]) ** 2) / 3 : 0;
    prev = [hx, hy, hz];
    const row = r ? [1, (hx * hx + hy * hy + hz * hz) / 3, d, Math.hypot(gx[k]!, gy[k]!, gz[k]!), a.pitch[k]!, a.lateral[k]!, d > 0 ? 1 : 0] : [0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < K; j++) P[(k + 1) * K + j] = P[k * K + j]! + row[j]!;
  }
  // One-second blocks of rest (>= 25 of 50 grid points at rest): tremor is a narrow-band process, so
  // a part's tremor level and frequency are only as certain as the spread of its blocks says; their
  // standard errors go with the features (`tremorSe`, `tremorHzSe`) instead of one fixed scale.
  const B = 50;
  const nb = Math.floor(n / B);
  const blk = new Float64Array((nb + 1) * 5); // prefix sums: count, level, level^2, freq, freq^2
  for (let b = 0; b < nb; b++) {
    const q = (j: number): number => P[(b + 1) * B * K + j]! - P[b * B * K + j]!;
    const ok = q(0) >= 25 && q(6) >= 20 && q(1) > 0 && q(2) > 0;
    const lv = ok ? 0.5 * Math.log(q(1) / q(0)) : 0, fq = ok ? 0.5 * Math.log(q(2) / q(6) / (q(1) / q(0))) : 0;
    const row = ok ? [1, lv, lv * lv, fq, fq * fq] : [0, 0, 0, 0, 0];
    for (let j = 0; j < 5; j++) blk[(b + 1) * 5 + j] = blk[b * 5 + j]! + row[j]!;
  }
  const blockSe = (from: number, to: number): [number, number] => {
    const b0 = Math.max(0, Math.min(nb, Math.ceil((from - t0) / DT / B))), b1 = Math.max(0, Math.min(nb, Math.floor((to - t0) / DT / B)));
    const S = (j: number): number => (b1 > b0 ? blk[b1 * 5 + j]! - blk[b0 * 5 + j]! : 0);
    const c = S(0);
    if (c < 3) return [NaN, NaN];
    const sd = (s1: number, s2: number): number => Math.sqrt(Math.max(0, (s2 - (s1 * s1) / c) / (c - 1)));
    return [sd(S(1), S(2)) / Math.sqrt(c), sd(S(3), S(4)) / Math.sqrt(c)];
  };
  const ts = acc.map((s) => s.t);
  return (from, to) => {
    const k0 = Math.max(0, Math.min(n, Math.ceil((from - t0) / DT))), k1 = Math.max(0, Math.min(n, Math.ceil((to - t0) / DT)));
    const S = (j: number): number => P[k1 * K + j]! - P[k0 * K + j]!;
    const m = S(0);
    const i0 = lowerBound(ts, from), i1 = lowerBound(ts, to);
    let ldt = 0, nd = 0;
    for (let i = i0 + 1; i < i1; i++) {
      const dt = ts[i]! - ts[i - 1]!;
      if (dt > 0) { ldt += Math.log(dt); nd++; }
    }
    if (m < 100) return { interval: nd > 50 ? ldt / nd : NaN };
    const ms = S(1) / m;
    const [tremorSe, tremorHzSe] = blockSe(from, to);
    return {
      tremor: 0.5 * Math.log(ms),
      tremorSe,
      tremorHz: S(6) > 50 ? 0.5 * Math.log(S(2) / S(6) / ms) : NaN,
      tremorHzSe,
      gravity: S(3) / m,
      pitch: S(4) / m,
      lateral: S(5) / m,
      interval: nd > 50 ? ldt / nd : NaN,
    };
  };
}
