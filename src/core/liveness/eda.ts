import { atLeast, atMost, inLogRange, inRange, scanMargin, SOFT_SCALES } from './margins.ts';
import type { EdaStimulus } from '../stimulus/types.ts';
import { CheckList, fmtS, unusable } from './checks.ts';
import { DEFAULT_CONFIG, type EdaConfig } from './config.ts';
import { checkTimes, lowpass, median, quantile, resample, round, std } from './dsp.ts';
import type { EdaStream, ModalityResult, PersonProfile, ScSample, StimulusResponse } from './types.ts';
import { describeChange, lowerBound, scanChange, type SegmentFeatures } from './consistency.ts';

const GRID_HZ = 8;
const DT = 1000 / GRID_HZ;

export interface Scr { onset: number; peak: number; amp: number }

const EDA_LABELS: Record<string, (a: number, b: number) => string> = {
  level: (a, b) => `tonic level ${round(Math.exp(a), 2)} -> ${round(Math.exp(b), 2)} uS`,
  noise: (a, b) => `sensor noise x${round(Math.exp(b - a), 2)}`,
  amp: (a, b) => `response size x${round(Math.exp(b - a), 2)}`,
  interval: (a, b) => `sample interval ${round(Math.exp(a), 0)} -> ${round(Math.exp(b), 0)} ms`,
};

/**
 * Persistent jumps: sample k whose change from k-1 exceeds 0.01 uS, 8x the noise of a difference and
 * 3x the changes just before and after it. A response's steepest sample is followed by a
 * comparable rise (3x fails); a spike artefact returns at once (the next change is as large).
 */
export function edaSteps(sc: readonly ScSample[], noiseUs: number): number[] {
  const out: number[] = [];
  const sdDiff = noiseUs * Math.SQRT2;
  for (let k = 2; k < sc.length - 1; k++) {
    const d = Math.abs(sc[k]!.uS - sc[k - 1]!.uS);
    const before = Math.abs(sc[k - 1]!.uS - sc[k - 2]!.uS), after = Math.abs(sc[k + 1]!.uS - sc[k]!.uS);
    if (d >= 0.01 && d >= 8 * sdDiff && d >= 3 * (before + after)) out.push(k);
  }
  return out;
}

/**
 * Skin-conductance responses by the derivative method (trough-to-peak; Boucsein 2012): SC resampled
 * at 8 Hz and low-passed at 1 Hz; each local maximum of the slope above 0.01 uS/s is one SCR, whose
 * onset is where the slope falls back below 10 % of that maximum (or reaches a local minimum, for
 * overlapping SCRs) and whose peak is where the slope returns to zero.
 */
export function detectScrs(t0: number, s: Float64Array, minAmp: number): Scr[] {
  const n = s.length;
  const d = new Float64Array(n);
  for (let k = 1; k < n - 1; k++) d[k] = ((s[k + 1]! - s[k - 1]!) / (2 * DT)) * 1000;
  const out: Scr[] = [];
  for (let k = 2; k < n - 2; k++) {
    if (!(d[k]! >= 0.01 && d[k]! >= d[k - 1]! && d[k]! > d[k + 1]!)) continue;
    let a = k;
    while (a > 1 && d[a - 1]! > 0.1 * d[k]! && d[a - 1]! <= d[a]!) a--;
    let b = k;
    while (b < n - 1 && d[b]! > 0) b++;
    const onset = t0 + a * DT, peak = t0 + b * DT;
    // A second slope maximum inside the same rise (noise on a single response) is not a new SCR.
    const prev = out[out.length - 1];
    if (prev && onset < prev.peak) {
      prev.peak = Math.max(prev.peak, peak);
      prev.amp = Math.max(prev.amp, s[Math.min(n - 1, b)]! - s[Math.round((prev.onset - t0) / DT)]!);
      continue;
    }
    const amp = s[b]! - s[a]!;
    if (amp >= minAmp) out.push({ onset, peak, amp });
  }
  return out;
}

/**
 * Electrodermal activity answering startle cues.
 *
 * Plausibility: sample rate, SC within 0.05-60 uS, rise/fall slopes a sweat gland can produce.
 * Complexity: sensor noise present (a perfectly smooth curve is drawn, not measured), SCR rise times
 * 0.3-5 s. Coupling: an SCR of at least 0.02 uS starting 0.9-3.5 s after most cues (1-3 s latency
 * plus onset-detection error), few SCRs that follow no cue, and consistent latencies (one person's
 * SCR latency varies by a few hundred ms within a session).
 */
export function verifyEda(stream: EdaStream | undefined, stim: EdaStimulus, durationMs: number, cfg: EdaConfig, profile?: PersonProfile['eda']): ModalityResult {
  const sc = stream?.sc;
  if (!Array.isArray(sc) || sc.length < 20) return unusable('eda', 'eda: no skin-conductance stream (need at least 20 samples)');
  const bad = checkTimes(sc);
  if (bad) return unusable('eda', `eda: ${bad}`);
  if (sc.some((s) => !Number.isFinite(s.uS))) return unusable('eda', 'eda: a conductance value is not a finite number');
  const c = new CheckList('eda');
  const n = sc.length;
  const dts: number[] = [];
  for (let i = 1; i < n; i++) dts.push(sc[i]!.t - sc[i - 1]!.t);
  const rate = 1000 / Math.max(1e-6, median(dts));
  c.add('rate', rate >= cfg.rateHz.min && rate <= cfg.rateHz.max, `eda: sample rate ${round(rate, 1)} Hz outside ${cfg.rateHz.min}-${cfg.rateHz.max} Hz`);
  c.add('coverage', sc[0]!.t <= 1000 && sc[n - 1]!.t >= durationMs - 1000, `eda: samples span ${fmtS(sc[0]!.t)} to ${fmtS(sc[n - 1]!.t)}, not the whole ${fmtS(durationMs)} session`);
  const out = sc.filter((s) => s.uS < cfg.scUs.min || s.uS > cfg.scUs.max);
  c.add('range', out.length === 0, `eda: ${out.length} sample(s) outside ${cfg.scUs.min}-${cfg.scUs.max} uS (e.g. ${out[0]?.uS} uS at ${fmtS(out[0]?.t ?? 0)}): not skin`);

  const t = sc.map((s) => s.t);
  const v = sc.map((s) => s.uS);
  const t0 = t[0]!;
  const m = Math.max(2, Math.floor((t[n - 1]! - t0) / DT) + 1);
  const raw = resample(t, v, t0, DT, m);
  // Slopes over 250 ms (two grid steps), on the unfiltered resampled signal.
  let rises = 0, falls = 0, firstSlope = 0;
  for (let k = 2; k < m; k++) {
    const slope = ((raw[k]! - raw[k - 2]!) / (2 * DT)) * 1000;
    if (slope > cfg.maxRiseUsPerS && rises++ === 0) firstSlope = t0 + k * DT;
    if (-slope > cfg.maxFallUsPerS && falls++ === 0) firstSlope = firstSlope || t0 + k * DT;
  }
  c.add('slope', rises + falls === 0, `eda: conductance changes faster than sweat glands allow (${rises} rise(s) > ${cfg.maxRiseUsPerS} uS/s, ${falls} fall(s) > ${cfg.maxFallUsPerS} uS/s), first at ${fmtS(firstSlope)}`);
  // Measurement noise from second differences (immune to the smooth SCR shape): for white noise of
  // sd s, the second difference has sd s*sqrt(6); median absolute value x 1.4826 estimates that.
  const d2: number[] = [];
  for (let i = 1; i < n - 1; i++) d2.push(Math.abs(v[i + 1]! - 2 * v[i]! + v[i - 1]!));
  const noise = (median(d2) * 1.4826) / Math.sqrt(6);
  c.add('sensor-noise', noise >= cfg.minNoiseUs, `eda: no measurement noise (${round(noise, 5)} uS, any real sensor shows >= ${cfg.minNoiseUs}): a drawn curve, not a sensor reading`);

  const s = lowpass(raw, 1, GRID_HZ);
  const scrs = detectScrs(t0, s, cfg.minAmpUs);
  const badRise = scrs.filter((r) => (r.peak - r.onset) / 1000 < cfg.riseS.min || (r.peak - r.onset) / 1000 > cfg.riseS.max);
  c.add('scr-shape', badRise.length <= 1, `eda: ${badRise.length} response(s) rise in ${badRise.slice(0, 3).map((r) => round((r.peak - r.onset) / 1000, 2) + ' s').join(', ')} (skin conductance responses rise in ${cfg.riseS.min}-${cfg.riseS.max} s)`);

  // One person answers every cue with about the same latency: find the common latency m (within the
  // 1-3 s window) at which the most cues have an SCR onset within +-tolerance, each SCR used once.
  const assign = (m: number): number[] => {
    const used = new Set<number>();
    return stim.events.map((e) => {
      let hit = -1, bestD = Infinity;
      for (let k = 0; k < scrs.length; k++) {
        if (used.has(k)) continue;
        const lat = (scrs[k]!.onset - e.atMs) / 1000;
        const d = Math.abs(lat - m);
        // Never earlier than the physiological minimum (1 s) less the onset-detection error.
        if (d <= cfg.latencyToleranceS && lat >= cfg.minOnsetS && d < bestD) { hit = k; bestD = d; }
      }
      if (hit >= 0) used.add(hit);
      return hit;
    });
  };
  // The enrolled person's own latency narrows the search: a foreign recording then has fewer
  // latencies at which its responses can line up with these cues by accident.
  let mLo = cfg.latencyS.min, mHi = cfg.latencyS.max;
  if (profile?.latencyS && Math.min(mHi, profile.latencyS[1]) >= Math.max(mLo, profile.latencyS[0])) {
    mLo = Math.max(mLo, profile.latencyS[0]);
    mHi = Math.min(mHi, profile.latencyS[1]);
  }
  let bestM = mLo, bestHits: number[] = [];
  for (let m = mLo; m <= mHi + 1e-9; m += 0.1) {
    const h = assign(m);
    if (h.filter((x) => x >= 0).length > bestHits.filter((x) => x >= 0).length) { bestHits = h; bestM = m; }
  }
  if (bestHits.length === 0) bestHits = stim.events.map(() => -1);
  const used = new Set(bestHits.filter((x) => x >= 0));
  const lats: number[] = [];
  const responses: StimulusResponse[] = stim.events.map((e, j) => {
    const k = bestHits[j]!;
    if (k >= 0) lats.push((scrs[k]!.onset - e.atMs) / 1000);
    return { index: j, revealAt: e.atMs, onset: k >= 0 ? scrs[k]!.onset : null };
  });
  const hits = lats.length;
  const cues = stim.events.length;
  const need = Math.ceil(cfg.minHitFraction * cues);
  const unexplainedEarly = scrs.filter((_, k) => !used.has(k) && scrs[k]!.onset > t0 + 500).length;
  // Responses locked to the cues: answered cues minus responses that answer nothing.
  const net = hits - unexplainedEarly;
  c.add('coupling', net >= need && cues > 0, `eda: only ${hits} of ${cues} cues were followed by a skin-conductance response at a common latency (best ${round(bestM, 1)} s +-${cfg.latencyToleranceS} s within ${round(mLo, 1)}-${round(mHi, 1)} s), and ${unexplainedEarly} response(s) followed no cue; answered minus unexplained = ${net}, need ${need}`, cues > 0 ? atLeast(net, need, SOFT_SCALES.count) : undefined);
  const unexplained = unexplainedEarly;
  const maxUnexplained = Math.round((cfg.maxUnexplained * durationMs) / 30000);
  c.add('unprompted', unexplained <= maxUnexplained, `eda: ${unexplained} response(s) that follow no cue (at most ${maxUnexplained}): the responses are not locked to this challenge's cues`, atMost(unexplained, maxUnexplained, SOFT_SCALES.count));
  const latSd = lats.length >= 3 ? std(lats) : 0;
  c.add('latency-consistency', latSd <= cfg.maxLatencySdS, `eda: response latencies scatter by ${round(latSd, 2)} s (one person's vary by less than ${cfg.maxLatencySdS} s): chance alignment, not responses`, atMost(latSd, cfg.maxLatencySdS, SOFT_SCALES.edaLatencyS));

  // Textbook responses: identical latencies or amplitudes across cues do not occur (latency varies by
  // >= ~0.1 s, amplitudes vary and habituate; Dawson et al. 2017).
  const hitAmps = responses.filter((r) => r.onset !== null).map((r) => scrs.find((x) => x.onset === r.onset)!.amp);
  const ampCv = hitAmps.length >= 3 ? std(hitAmps) / Math.max(1e-9, hitAmps.reduce((a, b) => a + b, 0) / hitAmps.length) : 1;
  c.add('too-regular', hits < 4 || latSd >= cfg.minLatencySdS || ampCv >= cfg.minAmpCv, `eda: responses are too regular for skin (latency spread ${round(latSd, 3)} s and amplitude CV ${round(ampCv, 3)}; real responses exceed ${cfg.minLatencySdS} s or ${cfg.minAmpCv}): synthetic`);
  // One skin, one sensor throughout. Conductance changes smoothly (responses rise over 0.5-5 s, recover
  // over seconds; the tonic level drifts): a persistent jump between two samples, larger than the
  // noise and than the changes on both sides of it, is where two recordings were cut together.
  const steps = edaSteps(sc, noise);
  c.add('continuity', steps.length <= cfg.maxSteps, `eda: conductance jumps by ${steps.slice(0, 3).map((k) => `${round(sc[k]!.uS - sc[k - 1]!.uS, 3)} uS at ${fmtS(sc[k]!.t)}`).join(', ')} between two samples, with no rise or recovery around it: skin does not do that; two recordings cut together`);
  // ...and its level, noise, response size and sample rate hold (consistency.ts).
  const cc = cfg.consistency ?? DEFAULT_CONFIG.eda.consistency!;
  const scan = scanChange(sc[0]!.t, sc[n - 1]!.t, cc, edaSegmentFeatures(sc, scrs));
  c.add('stationarity', scan.stat <= cc.maxStat, `eda: the skin or sensor changes at ${fmtS(scan.cutMs)} (change score ${round(scan.stat, 1)}, one person stays below ${cc.maxStat}: ${describeChange(scan, EDA_LABELS)}): two recordings spliced`, scanMargin(scan.stat, cc.maxStat));
  const scl = median(v);
  const latMed = lats.length ? median(lats) : NaN;
  if (profile) {
    c.add('profile', scl >= profile.sclUs[0] && scl <= profile.sclUs[1], `eda: conductance level ${round(scl, 2)} uS outside this person's enrolled ${round(profile.sclUs[0], 2)}-${round(profile.sclUs[1], 2)} uS`, inLogRange(scl, profile.sclUs[0], profile.sclUs[1], SOFT_SCALES.wideLog));
    if (profile.latencyS && lats.length) c.add('profile-latency', latMed >= profile.latencyS[0] && latMed <= profile.latencyS[1], `eda: median response latency ${round(latMed, 2)} s outside this person's enrolled ${round(profile.latencyS[0], 2)}-${round(profile.latencyS[1], 2)} s`, inRange(latMed, profile.latencyS[0], profile.latencyS[1], SOFT_SCALES.edaLatencyS));
  }
  const features = {
    rateHz: round(rate, 1),
    sclUs: round(scl, 3),
    scrs: scrs.length,
    cues,
    hits,
    unexplained,
    latencyS: round(latMed, 2),
    latencySdS: round(latSd, 3),
    ampUs: round(scrs.length ? median(scrs.map((r) => r.amp)) : NaN, 3),
    noiseUs: round(noise, 5),
    ampCv: round(ampCv, 3),
    net,
    steps: steps.length,
    changeScore: round(scan.stat, 2),
  };
  return c.result(features, cues ? hits / cues - 0.1 * unexplained : 0, responses);
}

/**
 * Person and sensor features of a part of an eda session (for the change-point scan,
 * consistency.ts): log tonic level (level: the 10th percentile of conductance; responses only add to
 * it), log measurement noise (noise: median absolute second difference of raw samples), log median
 * response amplitude (amp, at least two responses) and log sample interval (interval).
 */
export function edaSegmentFeatures(sc: readonly ScSample[], scrs: readonly Scr[]): SegmentFeatures {
  const t = sc.map((s) => s.t);
  return (a, b) => {
    const i0 = lowerBound(t, a), i1 = lowerBound(t, b);
    if (i1 - i0 < 12) return {};
    const v: number[] = [], d2: number[] = [];
    let ldt = 0;
    for (let i = i0; i < i1; i++) {
      v.push(sc[i]!.uS);
      if (i > i0 && i < i1 - 1) d2.push(Math.abs(sc[i + 1]!.uS - 2 * sc[i]!.uS + sc[i - 1]!.uS));
      if (i > i0) ldt += Math.log(Math.max(1, sc[i]!.t - sc[i - 1]!.t));
    }
    const amps = scrs.filter((r) => r.onset >= a && r.onset < b).map((r) => r.amp);
    return {
      level: Math.log(Math.max(0.01, quantile(v, 0.1))),
      noise: Math.log(median(d2) + 0.0005),
      amp: amps.length >= 2 ? Math.log(median(amps)) : NaN,
      interval: ldt / (i1 - i0 - 1),
    };
  };
}
