import { breathingGuide } from '../stimulus/hrv.ts';
import type { HrvStimulus } from '../stimulus/types.ts';
import { CheckList, fmtS, unusable } from './checks.ts';
import type { HrvConfig } from './config.ts';
import { checkTimes, detrend, lowpass, mean, median, movingAverage, pearson, permutationEntropy, resample, round, std } from './dsp.ts';
import type { HrvStream, ModalityResult, PersonProfile } from './types.ts';

/**
 * Heart-rate variability under paced breathing.
 *
 * Plausibility: RR in 300-2000 ms, beat-to-beat changes mostly under 20 %, beat times consistent with
 * the intervals, beats covering the whole session.
 * Complexity: permutation entropy of RR inside the human band, non-zero RR variation and beat-level
 * noise (a synthetic sine has neither the right entropy nor beat noise).
 * Coupling: instantaneous heart rate, resampled at 4 Hz and high-passed, must correlate with THIS
 * challenge's breathing guide (lung-volume target, with its random rate hops and phase) at a lag in
 * the physiological window. Another challenge's guide has different hop times, rates and phase, so a
 * replayed or recorded answer correlates poorly.
 */
export function verifyHrv(stream: HrvStream | undefined, stim: HrvStimulus, durationMs: number, cfg: HrvConfig, profile?: PersonProfile['hrv']): ModalityResult {
  const rr = stream?.rr;
  if (!Array.isArray(rr)) return unusable('hrv', 'hrv: no RR stream');
  const bad = checkTimes(rr);
  if (bad) return unusable('hrv', `hrv: ${bad}`);
  if (rr.some((s) => typeof s.ms !== 'number' || !Number.isFinite(s.ms))) return unusable('hrv', 'hrv: an RR interval is not a finite number');
  const c = new CheckList('hrv');
  const n = rr.length;
  const ms = rr.map((s) => s.ms);
  const t = rr.map((s) => s.t);

  // Plausibility.
  const outOfRange = rr.filter((s) => s.ms < cfg.rrMs.min || s.ms > cfg.rrMs.max);
  const first = outOfRange[0];
  c.add('range', outOfRange.length === 0, first
    ? `hrv: ${outOfRange.length} RR interval(s) outside ${cfg.rrMs.min}-${cfg.rrMs.max} ms (heart rate 30-200 bpm); first ${round(first.ms, 0)} ms at ${fmtS(first.t)}`
    : 'hrv: RR intervals within physiological range');
  const artefact = new Uint8Array(n);
  for (let i = 1; i < n; i++) if (Math.abs(ms[i]! - ms[i - 1]!) > cfg.maxRelChange * ms[i - 1]!) artefact[i] = 1;
  const artefacts = artefact.reduce((a, b) => a + b, 0);
  c.add('beat-to-beat', artefacts <= cfg.maxArtifactFraction * n, `hrv: ${artefacts} of ${n} beats change by more than ${cfg.maxRelChange * 100} % from the previous beat (at most ${Math.floor(cfg.maxArtifactFraction * n)} tolerated as ectopy or detection error)`);
  let consistent = 0;
  for (let i = 1; i < n; i++) if (Math.abs(t[i]! - t[i - 1]! - ms[i]!) <= cfg.timeConsistencyMs) consistent++;
  const consistentShare = n > 1 ? consistent / (n - 1) : 0;
  c.add('time-consistency', consistentShare >= cfg.minConsistentFraction, `hrv: only ${Math.round(consistentShare * 100)} % of beat times agree with their RR intervals within ${cfg.timeConsistencyMs} ms (need ${cfg.minConsistentFraction * 100} %)`);
  const covered = n >= 2 && t[0]! <= cfg.edgeMs && t[n - 1]! >= durationMs - cfg.edgeMs;
  c.add('coverage', covered, n < 2 ? `hrv: only ${n} beat(s)` : `hrv: beats span ${fmtS(t[0]!)} to ${fmtS(t[n - 1]!)}, but must cover the whole ${fmtS(durationMs)} session (within ${fmtS(cfg.edgeMs)} of each end)`);
  if (n < 8) return c.result({ beats: n }, 0);

  // Complexity.
  const cv = std(ms) / mean(ms);
  const pe = permutationEntropy(ms, 3);
  const smooth = movingAverage(ms, 5);
  let noise = 0;
  for (let i = 0; i < n; i++) noise += (ms[i]! - smooth[i]!) ** 2;
  const beatNoise = Math.sqrt(noise / n);
  c.add('variability', cv >= cfg.minCv, `hrv: RR intervals vary by only ${round(cv * 100, 2)} % (a living heart under paced breathing varies by more than ${cfg.minCv * 100} %)`);
  c.add('complexity', pe >= cfg.permEntropy.min && pe <= cfg.permEntropy.max, `hrv: RR permutation entropy ${round(pe, 2)} is outside the human range ${cfg.permEntropy.min}-${cfg.permEntropy.max} (${pe > cfg.permEntropy.max ? 'noise-like: no breathing rhythm' : 'too regular'})`);
  c.add('beat-noise', beatNoise >= cfg.minBeatNoiseMs, `hrv: beat-to-beat residual ${round(beatNoise, 2)} ms is below ${cfg.minBeatNoiseMs} ms: no real heart is that smooth`);

  // Coupling to this challenge's breathing guide.
  const good: number[] = [];
  for (let i = 0; i < n; i++) if (!artefact[i] && ms[i]! >= cfg.rrMs.min && ms[i]! <= cfg.rrMs.max) good.push(i);
  const dt = 1000 / cfg.gridHz;
  const t0 = Math.max(0, t[good[0] ?? 0]!);
  const t1 = Math.min(durationMs, t[good[good.length - 1] ?? n - 1]!);
  const m = Math.max(0, Math.floor((t1 - t0) / dt));
  const hrRaw = resample(good.map((i) => t[i]!), good.map((i) => 60000 / ms[i]!), t0, dt, m);
  const hr = detrend(hrRaw);
  const slow = lowpass(hr, 0.04, cfg.gridHz);
  for (let k = 0; k < m; k++) hr[k] = hr[k]! - slow[k]!;
  // Correlate at every lag in the window; keep the best whole-session lag, and separately the best
  // lag at which BOTH halves correlate (a real response tracks the guide throughout with one
  // physiological lag; a chance match of another challenge's answer rarely holds in both halves).
  let best = -Infinity, bestLag = 0, halves = -Infinity;
  const guide = new Float64Array(m);
  const half = Math.floor(m / 2);
  for (let lag = cfg.lagMs.min; lag <= cfg.lagMs.max; lag += dt) {
    for (let k = 0; k < m; k++) guide[k] = breathingGuide(stim, Math.max(0, t0 + k * dt - lag)).volume;
    const r = pearson(hr, guide);
    if (r > best) {
      best = r;
      bestLag = lag;
    }
    const h = Math.min(pearson(hr.subarray(0, half), guide.subarray(0, half)), pearson(hr.subarray(half), guide.subarray(half)));
    if (h > halves) halves = h;
  }
  if (!Number.isFinite(best)) best = 0;
  if (!Number.isFinite(halves)) halves = 0;
  c.add('coupling', best >= cfg.minCorrelation && m >= 20, `hrv: heart rate does not follow this challenge's breathing guide (best correlation ${round(best, 2)} at ${bestLag} ms lag, need ${cfg.minCorrelation} within ${cfg.lagMs.min}..${cfg.lagMs.max} ms)`);
  // Beat by beat (no interpolation): how much of the heart rate the guide explains at the best lag.
  const beatHr = good.map((i) => 60000 / ms[i]!), beatGuide = good.map((i) => breathingGuide(stim, Math.max(0, t[i]! - bestLag)).volume);
  const perfect = good.length >= 8 ? pearson(beatHr, beatGuide) : 0;
  c.add('too-perfect', !(perfect > cfg.maxCorrelation), `hrv: heart rate follows the guide too perfectly (beat-by-beat correlation ${round(perfect, 3)} > ${cfg.maxCorrelation}): Mayer waves and 1/f variability always leave part of a real heart's rhythm unexplained`);
  c.add('coupling-sustained', halves >= cfg.minHalfCorrelation, `hrv: heart rate does not follow the breathing guide in both halves of the session (weaker half correlates ${round(halves, 2)}, need ${cfg.minHalfCorrelation})`);

  // One heart over 30 s: the level may drift but does not jump between halves (a splice of two people does).
  const mid = t0 + (t1 - t0) / 2;
  const h1 = good.filter((i) => t[i]! < mid).map((i) => 60000 / ms[i]!), h2 = good.filter((i) => t[i]! >= mid).map((i) => 60000 / ms[i]!);
  const levelShift = h1.length >= 4 && h2.length >= 4 ? Math.abs(median(h1) - median(h2)) : 0;
  c.add('stationarity', levelShift <= cfg.maxLevelShiftBpm, `hrv: median heart rate differs by ${round(levelShift, 1)} bpm between the two halves (one heart drifts by less than ${cfg.maxLevelShiftBpm} bpm in 15 s): two recordings spliced`);
  const meanHr = 60000 / mean(ms);
  const rsa = std(hrRaw) * Math.SQRT2;
  if (profile) {
    const [lo, hi] = profile.meanHrBpm;
    c.add('profile', meanHr >= lo && meanHr <= hi, `hrv: mean heart rate ${round(meanHr, 1)} bpm is outside this person's enrolled range ${round(lo, 1)}-${round(hi, 1)} bpm`);
    if (profile.rsaBpm) {
      const [a, b] = profile.rsaBpm;
      c.add('profile-rsa', rsa >= a && rsa <= b, `hrv: breathing-related heart-rate swing ${round(rsa, 1)} bpm is outside this person's enrolled range ${round(a, 1)}-${round(b, 1)} bpm`);
    }
  }
  const features = {
    beats: n,
    meanHrBpm: round(meanHr, 2),
    sdnnMs: round(std(ms), 2),
    rsaBpm: round(rsa, 2),
    cv: round(cv, 4),
    permEntropy: round(pe, 3),
    beatNoiseMs: round(beatNoise, 2),
    artefacts,
    coupling: round(best, 3),
    couplingHalves: round(halves, 3),
    beatCorrelation: round(perfect, 3),
    levelShiftBpm: round(levelShift, 2),
    lagMs: bestLag,
  };
  return c.result(features, Math.min(1, Math.max(0, (best - cfg.minCorrelation) / (1 - cfg.minCorrelation)) * 0.5 + (best >= cfg.minCorrelation ? 0.5 : 0)));
}
