import { atLeast, inLogRange, inRange, scanMargin, SOFT_SCALES } from './margins.ts';
import { breathingGuide } from '../stimulus/hrv.ts';
import type { HrvStimulus } from '../stimulus/types.ts';
import { CheckList, fmtS, unusable } from './checks.ts';
import { DEFAULT_CONFIG, type ConsistencyConfig, type HrvConfig } from './config.ts';
import { checkTimes, detrend, lowpass, mean, median, movingAverage, pearson, permutationEntropy, resample, round, std } from './dsp.ts';
import type { HrvStream, ModalityResult, PersonProfile } from './types.ts';
import { changeAt, describeChange, lowerBound, scanChange, type ChangeScan, type SegmentFeatures } from './consistency.ts';

const HRV_LABELS: Record<string, (a: number, b: number) => string> = {
  level: (a, b) => `heart-rate level ${round(a, 1)} -> ${round(b, 1)} bpm`,
  swing: (a, b) => `heart-rate swing x${round(Math.exp(b - a), 2)}`,
  beatNoise: (a, b) => `beat-timing noise x${round(Math.exp(b - a), 2)}`,
};

/** The guide's lung-volume target on a grid t0 + k dt (times before 0 hold the start). */
function guideGrid(stim: HrvStimulus, t0: number, dt: number, n: number): Float64Array {
  const g = new Float64Array(n);
  for (let k = 0; k < n; k++) g[k] = breathingGuide(stim, Math.max(0, t0 + k * dt)).volume;
  return g;
}

/**
 * Correlation of a fixed series with a guide over a range of shifts: for shift s the guide sample
 * aligned with hr[k] is G[k + s] (G starts lagSteps samples early, so s = lagSteps is the smallest
 * lag). Returns the best whole-series correlation, its shift, and the best weaker-half correlation.
 */
function guideFit(hr: Float64Array): (G: Float64Array, lagSteps: number) => { best: number; shift: number; halves: number } {
  const m = hr.length, half = Math.floor(m / 2);
  return (G, lagSteps) => {
    let best = -Infinity, shift = lagSteps, halves = -Infinity;
    for (let s = lagSteps; s >= 0; s--) {
      const g = G.subarray(s, s + m);
      const r = pearson(hr, g);
      if (r > best) { best = r; shift = s; }
      const h = Math.min(pearson(hr.subarray(0, half), g.subarray(0, half)), pearson(hr.subarray(half), g.subarray(half)));
      if (h > halves) halves = h;
    }
    return { best, shift, halves };
  };
}

export type RrKind = 'normal' | 'premature' | 'pause' | 'missed' | 'recovery' | 'unexplained';

/**
 * Classify each RR interval against the local rhythm R (median of the 9 intervals around it): a
 * change of more than `maxRel` from the previous interval is an artefact, explained as a premature
 * beat (short, then a pause, the pair spanning the two (or three) sinus intervals around it within
 * 20 %), a missed detection (~2R or ~3R, or the sum of its neighbours), or the return to normal after
 * either (within 20 % of R); anything else is 'unexplained'. Changes within 5x the local median
 * successive difference are not artefacts at all (strong sinus arrhythmia).
 */
export function classifyRr(ms: readonly number[], maxRel = 0.2): RrKind[] {
  const n = ms.length;
  const kind: RrKind[] = new Array(n).fill('normal');
  const local = (i: number): number => median(ms.slice(Math.max(0, i - 4), Math.min(n, i + 5)));
  const dRR = ms.map((x, i) => (i > 0 ? Math.abs(x - ms[i - 1]!) : 0));
  for (let i = 1; i < n; i++) {
    if (kind[i] !== 'normal') continue;
    // A change is an artefact above 20 % of the previous interval AND well above this heart's usual
    // beat-to-beat change (strong respiratory arrhythmia swings by more than 20 % in some people;
    // Lipponen & Tarvainen 2019 scale the threshold by the local spread of successive differences).
    const spread = median(dRR.slice(Math.max(1, i - 10), Math.min(n, i + 11)));
    const change = Math.abs(ms[i]! - ms[i - 1]!);
    if (change <= maxRel * ms[i - 1]! || (change <= 0.25 * ms[i - 1]! && change <= 5 * spread)) continue;
    const R = local(i);
    const x = ms[i]!;
    const prev = ms[i - 1]!, next = ms[i + 1], next2 = ms[i + 2];
    // Missed: the interval spans two (three) beats of the local rhythm, or of the intervals either
    // side of it (heart rate swings by 10-20 % within a breath).
    if (Math.abs(x - 2 * R) <= 0.2 * R || Math.abs(x - 2 * prev) <= 0.24 * prev || (next !== undefined && Math.abs(x - prev - next) <= 0.15 * (prev + next)) || Math.abs(x - 3 * R) <= 0.25 * R) kind[i] = 'missed';
    // The pause after a premature beat that was not itself flagged (the first interval, or a
    // premature beat within the respiratory swing).
    else if (x > R && prev < (1 - maxRel) * R && (kind[i - 1] === 'normal' || i === 1) && Math.abs(x + prev - 2 * R) <= 0.4 * R) {
      kind[i - 1] = 'premature';
      kind[i] = 'pause';
    }
    // Premature: short, then a pause, and the sinus rhythm carries on undisturbed around the pair
    // (compensatory pause: the pair spans the two sinus intervals either side of it, within 20 %;
    // or three, when the detector also missed the beat after the pause).
    else if (x < (1 - maxRel) * prev && next !== undefined && next > x && (next2 === undefined ? x + next >= 1.6 * R : Math.abs(x + next - prev - next2) <= 0.2 * (prev + next2) || Math.abs(x + next - 1.5 * (prev + next2)) <= 0.2 * (prev + next2))) {
      kind[i] = 'premature';
      kind[i + 1] = 'pause';
    } else if (Math.abs(x - R) <= maxRel * R) kind[i] = 'recovery';
    else kind[i] = 'unexplained';
  }
  return kind;
}

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

  // Plausibility. A detector that misses a beat reports one interval spanning two (or three) beats:
  // that is a known artefact, not an impossible heart, so it is exempt from the range check.
  const kinds = classifyRr(ms, cfg.maxRelChange);
  const outOfRange = rr.filter((s, i) => (s.ms < cfg.rrMs.min || s.ms > cfg.rrMs.max) && kinds[i] !== 'missed');
  const first = outOfRange[0];
  c.add('range', outOfRange.length === 0, first
    ? `hrv: ${outOfRange.length} RR interval(s) outside ${cfg.rrMs.min}-${cfg.rrMs.max} ms (heart rate 30-200 bpm); first ${round(first.ms, 0)} ms at ${fmtS(first.t)}`
    : 'hrv: RR intervals within physiological range');
  const artefact = new Uint8Array(n);
  for (let i = 1; i < n; i++) if (Math.abs(ms[i]! - ms[i - 1]!) > cfg.maxRelChange * ms[i - 1]!) artefact[i] = 1;
  // Artefact events: a premature beat with its pause, or a missed beat with the return after it,
  // count once.
  const artefacts = kinds.filter((k) => k === 'premature' || k === 'missed' || k === 'unexplained').length;
  c.add('beat-to-beat', artefacts <= cfg.maxArtifactFraction * n, `hrv: ${artefacts} artefact(s) in ${n} beats (premature, missed or unexplained beats; at most ${Math.floor(cfg.maxArtifactFraction * n)} tolerated as ectopy or detection error)`);
  let consistent = 0;
  for (let i = 1; i < n; i++) if (Math.abs(t[i]! - t[i - 1]! - ms[i]!) <= cfg.timeConsistencyMs) consistent++;
  const consistentShare = n > 1 ? consistent / (n - 1) : 0;
  c.add('time-consistency', consistentShare >= cfg.minConsistentFraction, `hrv: only ${Math.round(consistentShare * 100)} % of beat times agree with their RR intervals within ${cfg.timeConsistencyMs} ms (need ${cfg.minConsistentFraction * 100} %)`);
  // One heart throughout: every change of more than 20 % must be explicable as a premature beat with
  // its compensatory pause, a missed detection, or the return to normal after one (artefact classes of
  // Lipponen & Tarvainen 2019). Cutting two recordings together leaves an interval at the cut that is
  // a random fraction of a beat: none of these.
  // (The last interval has nothing after it to explain it by; a cut there would change nothing.)
  const unexplained = kinds.map((k, i) => (k === 'unexplained' && i < n - 1 ? i : -1)).filter((i) => i >= 0);
  c.add('continuity', unexplained.length <= cfg.maxUnexplainedBeats, `hrv: ${unexplained.length} beat interval(s) that no heart or beat detector produces (${unexplained.slice(0, 3).map((i) => `${round(ms[i]!, 0)} ms after ${round(ms[i - 1]!, 0)} ms at ${fmtS(t[i]!)}`).join(', ')}): not premature, not a missed beat; the beat rhythm is broken, as where two recordings are cut together`);
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
  // The enrolled person's heart follows breathing with a lag of their own (breathing behind the pacer
  // plus the vagal delay): searching only that window gives a foreign recording fewer chances to
  // line up by accident.
  let lagMin = cfg.lagMs.min, lagMax = cfg.lagMs.max;
  if (profile?.lagMs) {
    const lo = Math.max(lagMin, profile.lagMs[0]), hi = Math.min(lagMax, profile.lagMs[1]);
    if (hi >= lo) {
      lagMin = cfg.lagMs.min + Math.ceil((lo - cfg.lagMs.min) / dt - 1e-9) * dt;
      lagMax = Math.max(lagMin, cfg.lagMs.min + Math.floor((hi - cfg.lagMs.min) / dt + 1e-9) * dt);
    }
  }
  const hrFit = guideFit(hr);
  const lagSteps = Math.round((lagMax - lagMin) / dt);
  const own = hrFit(guideGrid(stim, t0 - lagMax, dt, m + lagSteps), lagSteps);
  let { best, halves } = own;
  const bestLag = lagMax - own.shift * dt;
  if (!Number.isFinite(best)) best = 0;
  if (!Number.isFinite(halves)) halves = 0;
  c.add('coupling', best >= cfg.minCorrelation && m >= 20, `hrv: heart rate does not follow this challenge's breathing guide (best correlation ${round(best, 2)} at ${bestLag} ms lag, need ${cfg.minCorrelation} within ${lagMin}..${lagMax} ms)`, m >= 20 ? atLeast(best, cfg.minCorrelation, SOFT_SCALES.correlation) : undefined);
  // Beat by beat (no interpolation): how much of the heart rate the guide explains, at the best lag
  // of the whole physiological window (not only the enrolled person's: a synthesiser need not use it).
  const beatHr = good.map((i) => 60000 / ms[i]!);
  let perfect = 0;
  if (good.length >= 8) {
    for (let lag = cfg.lagMs.min; lag <= cfg.lagMs.max; lag += dt) {
      const r = pearson(beatHr, good.map((i) => breathingGuide(stim, Math.max(0, t[i]! - lag)).volume));
      if (r > perfect) perfect = r;
    }
  }
  c.add('too-perfect', !(perfect > cfg.maxCorrelation), `hrv: heart rate follows the guide too perfectly (beat-by-beat correlation ${round(perfect, 3)} > ${cfg.maxCorrelation} at its best lag): Mayer waves and 1/f variability always leave part of a real heart's rhythm unexplained`);
  c.add('coupling-sustained', halves >= cfg.minHalfCorrelation, `hrv: heart rate does not follow the breathing guide in both halves of the session (weaker half correlates ${round(halves, 2)}, need ${cfg.minHalfCorrelation})`, atLeast(halves, cfg.minHalfCorrelation, SOFT_SCALES.correlation));

  // One person throughout: heart-rate level (after the breathing response), swing and the sensor's
  // beat-timing noise do not jump within a session (consistency.ts). A splice of two people does.
  const bt = good.map((i) => t[i]!), bm = good.map((i) => ms[i]!);
  const bg = good.map((i) => breathingGuide(stim, Math.max(0, t[i]! - bestLag)).volume);
  const cc = cfg.consistency ?? DEFAULT_CONFIG.hrv.consistency!;
  const scan = good.length >= 16 ? scanChange(t0, t1, cc, hrvSegmentFeatures(bt, bm, bg)) : null;
  // Where the beat rhythm itself shows a seam, the same features are tested at that one beat with a
  // far lower threshold (no search to pay for): an interval explained as an artefact (a cut often
  // leaves one that passes for a premature beat or its recovery), or the least smooth beat of the
  // session when it stands out from the rest.
  const seam = good.length >= 16 ? seamChange(t, ms, kinds, t0, t1, cc, hrvSegmentFeatures(bt, bm, bg), cfg) : null;
  // Longer sessions have more artefact beats to test (tuning corpus: the bona fide tail grows with them).
  const seamMax = cfg.seamMaxStat * Math.max(1, durationMs / 30_000);
  c.add('seam', !seam || seam.stat <= seamMax, `hrv: the heart changes at the irregular beat at ${fmtS(seam?.cutMs ?? 0)} (change score ${round(seam?.stat ?? 0, 1)} there, one person stays below ${round(seamMax, 1)}: ${seam ? describeChange(seam, HRV_LABELS) : ''}): two recordings cut together at that beat`);
  const mid = t0 + (t1 - t0) / 2;
  const h1 = good.filter((i) => t[i]! < mid).map((i) => 60000 / ms[i]!), h2 = good.filter((i) => t[i]! >= mid).map((i) => 60000 / ms[i]!);
  const levelShift = h1.length >= 4 && h2.length >= 4 ? Math.abs(median(h1) - median(h2)) : 0;
  c.add('stationarity', !scan || scan.stat <= cc.maxStat, `hrv: the heart changes at ${fmtS(scan?.cutMs ?? 0)} (change score ${round(scan?.stat ?? 0, 1)}, one person stays below ${cc.maxStat}: ${scan ? describeChange(scan, HRV_LABELS) : ''}): two recordings spliced`, scan ? scanMargin(scan.stat, cc.maxStat) : undefined);
  const meanHr = 60000 / mean(ms);
  const rsa = std(hrRaw) * Math.SQRT2;
  if (profile) {
    const [lo, hi] = profile.meanHrBpm;
    c.add('profile', meanHr >= lo && meanHr <= hi, `hrv: mean heart rate ${round(meanHr, 1)} bpm is outside this person's enrolled range ${round(lo, 1)}-${round(hi, 1)} bpm`, inRange(meanHr, lo, hi, SOFT_SCALES.heartRateBpm));
    if (profile.rsaBpm) {
      const [a, b] = profile.rsaBpm;
      c.add('profile-rsa', rsa >= a && rsa <= b, `hrv: breathing-related heart-rate swing ${round(rsa, 1)} bpm is outside this person's enrolled range ${round(a, 1)}-${round(b, 1)} bpm`, inLogRange(rsa, a, b, SOFT_SCALES.wideLog));
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
    changeScore: round(scan?.stat ?? 0, 2),
    unexplainedBeats: unexplained.length,
    seamScore: round(seam?.stat ?? 0, 2),
    lagMs: bestLag,
  };
  return c.result(features, Math.min(1, Math.max(0, (best - cfg.minCorrelation) / (1 - cfg.minCorrelation)) * 0.5 + (best >= cfg.minCorrelation ? 0.5 : 0)));
}

/**
 * The change of person features at the beats where a cut would show in the rhythm: every interval
 * classified as an artefact (premature, missed, recovery), and the interval that departs most from
 * the local trend of its neighbours (cubic prediction from i-2, i-1, i+1, i+2) when it departs by more
 * than `seamOutlierSigma` robust SDs of all such departures. Parts shorter than `seamMinPartMs` are
 * not tested. Returns the largest change, or null when there is no candidate.
 */
export function seamChange(t: readonly number[], ms: readonly number[], kinds: readonly RrKind[], t0: number, t1: number, cc: ConsistencyConfig, features: SegmentFeatures, cfg: HrvConfig): ChangeScan | null {
  const n = ms.length;
  const cuts: number[] = [];
  for (let i = 1; i < n; i++) if (kinds[i] === 'premature' || kinds[i] === 'missed' || kinds[i] === 'recovery') cuts.push(t[i]! - 1);
  let worst = -1, worstDev = 0;
  const devs: number[] = [];
  for (let i = 2; i < n - 2; i++) {
    let clean = true;
    for (let j = i - 2; j <= i + 2; j++) if (kinds[j] !== 'normal') clean = false;
    if (!clean) continue;
    const d = Math.abs(ms[i]! - (-ms[i - 2]! + 4 * ms[i - 1]! + 4 * ms[i + 1]! - ms[i + 2]!) / 6);
    devs.push(d);
    if (d > worstDev) { worstDev = d; worst = i; }
  }
  // +0.5 ms: beat times are integers, so a very smooth heart must not make every beat an outlier.
  if (worst >= 0 && worstDev / (1.4826 * median(devs) + 0.5) >= cfg.seamOutlierSigma) cuts.push(t[worst]! - 1);
  let out: ChangeScan | null = null;
  for (const c of cuts) {
    if (c - t0 < cfg.seamMinPartMs || t1 - c < cfg.seamMinPartMs) continue;
    const at = changeAt(t0, t1, c, cc, features);
    if (!out || at.stat > out.stat) out = at;
  }
  return out;
}

/**
 * Person features of a part of an hrv session (for the change-point scan, consistency.ts), from the
 * clean beats: heart-rate level after removing the breathing response (level, bpm), the log
 * heart-rate swing (swing) and the log beat-level noise (median RR second difference: sensor timing
 * jitter, ECG ~1 ms vs PPG ~5 ms). (Tried and left out, too noisy on 6-15 s: the part's own
 * breathing gain, heart-to-breathing lag, and the residual variability.)
 */
export function hrvSegmentFeatures(beatT: readonly number[], beatMs: readonly number[], guide: readonly number[]): SegmentFeatures {
  const n = beatT.length;
  const hr = beatMs.map((x) => 60000 / x);
  // Global breathing gain: level differences are measured after removing it.
  let mg = 0, mh = 0;
  for (let i = 0; i < n; i++) { mg += guide[i]!; mh += hr[i]!; }
  mg /= n; mh /= n;
  let sgh = 0, sgg = 0;
  for (let i = 0; i < n; i++) { sgh += (guide[i]! - mg) * (hr[i]! - mh); sgg += (guide[i]! - mg) ** 2; }
  const beta = sgg > 0 ? sgh / sgg : 0;
  return (a, b) => {
    const i0 = lowerBound(beatT, a), i1 = lowerBound(beatT, b);
    const k = i1 - i0;
    if (k < 6) return {};
    let sl = 0, sh = 0;
    for (let i = i0; i < i1; i++) { sl += hr[i]! - beta * guide[i]!; sh += hr[i]!; }
    const mH = sh / k;
    let vh = 0;
    for (let i = i0; i < i1; i++) vh += (hr[i]! - mH) ** 2;
    const d2: number[] = [];
    for (let i = Math.max(i0, 1); i < i1 - 1; i++) d2.push(Math.abs(beatMs[i + 1]! - 2 * beatMs[i]! + beatMs[i - 1]!));
    return {
      level: sl / k,
      swing: Math.log(Math.sqrt(vh / (k - 1)) + 0.3),
      beatNoise: d2.length >= 4 ? Math.log(median(d2) + 0.5) : NaN,
    };
  };
}
