import type { Stimulus } from '../stimulus/types.ts';
import type { LivenessConfig } from './config.ts';
import { lowerBound } from './consistency.ts';
import { mean, std } from './dsp.ts';
import { analyseMotion, type MotionAnalysis } from './motion.ts';
import { strokes, typedText } from './typing.ts';
import type { Check, ElementFeature, Fingerprint, Modality, ModalityResult, SessionStreams } from './types.ts';
import { speechBursts } from './voice.ts';

/**
 * Re-assembled recordings (docs/liveness.md §Re-assembled recordings). An attacker with recordings of
 * the victim's earlier sessions can answer a new challenge element by element: each gesture, word,
 * cue or breath cut from an earlier session where the same element was asked, pasted at its new
 * time. Every piece is a genuine response to its element, and the whole-session fingerprint matches
 * nothing, because no earlier session is reused for long.
 *
 * So each response element is reduced to a few numbers describing the response itself, relative to
 * its own onset (not to the session): a person repeating a gesture, a word or a breath never repeats
 * these as closely as a copy does. The gateway keeps them per accepted session (inside the stored
 * fingerprint; no samples: coarse means and summary statistics, docs/privacy.md), and a new element
 * closer to an earlier element of the same kind than natural repetition allows is a reuse.
 *
 * Descriptors (`v`), each divided by its scale `ELEMENT_SCALES` (the smallest trial-to-trial
 * variation of one person, sources below) before the distance:
 *   motion (per prompt, key = gesture): the change of each gravity axis (acceleration below 1.5 Hz)
 *     from the pose just before the response, and shake energy, as means over six 250 ms bins from
 *     the response onset (24 values). Scale 0.25 m/s^2 (about 1.5 deg of tilt) and 0.3 m/s^2:
 *     repeated aimed movements vary in amplitude by ~10 % and in timing by ~30-60 ms (Schmidt et
 *     al. 1979's impulse variability), i.e. several degrees for 15-40 deg tilts. Axes in m/s^2, not
 *     angles: a constant added to every sample (a re-assembler's level matching) cancels exactly.
 *   typing (per word, key = the word): mean and SD of log within-word intervals and log holds (4).
 *     Scale 0.05 log units: keystroke intervals vary with sd 0.25-0.45 log units per key (Dhakal et
 *     al. 2018), so the mean over a word's 3-8 keys moves by >= 0.1 between two typings.
 *   voice (per word, key = the word): over the answer's voiced span, its duration, the energy peak
 *     above the span's mean, the energy SD, mean and SD of pitch, and the time of the energy peak (6).
 *     Scales 20 ms, 0.5 dB, 0.5 dB, 0.3 st, 0.1 st, 20 ms: repeated words vary in
 *     duration by ~5-10 % and in pitch by ~1 semitone (Titze 1994).
 *   eda (per answered cue, key = cue kind): conductance change from the cue (means over +-125 ms) at
 *     0.4, 0.9, ... 2.9 s, inside the 3 s before the next cue can come (6).
 *     Scale 0.004 uS: sensor noise and quantisation are ~0.001-0.005 uS, and two SCRs differ in
 *     amplitude by tens of percent (habituation; Boucsein 2012).
 *   hrv (per whole breath, key = its rate): over its last three quarters (the first beats after a
 *     breath starts are where a re-assembler's seam falls), mean heart rate and each quarter's heart
 *     rate less that mean (4). Scale 0.5 bpm: beat-to-beat heart rate varies by several bpm
 *     between breaths of one session (Mayer waves, 1/f variability; Task Force 1996).
 * Gaze has no discrete elements (the path is new at every instant), so nothing is kept for it.
 */
export const ELEMENT_SCALES: Readonly<Record<Exclude<Modality, 'gaze'>, readonly number[]>> = {
  motion: [...Array(18).fill(0.25), ...Array(6).fill(0.3)],
  typing: [0.05, 0.05, 0.05, 0.05],
  voice: [20, 0.5, 0.5, 0.3, 0.1, 20],
  eda: Array(6).fill(0.004),
  hrv: [0.5, 0.5, 0.5, 0.5],
};

const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const finite = (v: number[]): boolean => v.every(Number.isFinite);

function meanIn(t0: number, dt: number, xs: Float64Array, from: number, to: number): number {
  const a = Math.max(0, Math.ceil((from - t0) / dt)), b = Math.min(xs.length, Math.ceil((to - t0) / dt));
  if (b <= a) return NaN;
  let s = 0;
  for (let i = a; i < b; i++) s += xs[i]!;
  return s / (b - a);
}

function motionElements(stim: Stimulus, res: ModalityResult, a: MotionAnalysis): ElementFeature[] {
  const dt = 20;
  const out: ElementFeature[] = [];
  for (const r of res.responses) {
    const p = stim.motion!.prompts[r.index];
    const onset = r.onset;
    if (!p || onset === null) continue;
    const bins = (xs: Float64Array, base: number): number[] => Array.from({ length: 6 }, (_, b) => meanIn(a.t0, dt, xs, onset + 250 * b, onset + 250 * (b + 1)) - base);
    // Each gravity axis's change from the pose just before the response began (140-20 ms before its
    // onset): relative to the response itself, so a piece pasted a little later than its prompt keeps
    // its descriptor, and in m/s^2 rather than angles, so a constant added to every sample (the
    // re-assembler's level matching at its seams) leaves it exactly as it was.
    const change = (xs: Float64Array): number[] => bins(xs, meanIn(a.t0, dt, xs, onset - 140, onset - 20));
    const v = [...change(a.gx), ...change(a.gy), ...change(a.gz), ...bins(a.shake, 0)];
    if (finite(v)) out.push({ m: 'motion', key: p.gesture, v: v.map(r3) });
  }
  return out;
}

function typingElements(streams: SessionStreams, stim: Stimulus): ElementFeature[] {
  const { list } = strokes(streams.typing!.keys);
  const { wordOf } = typedText(list);
  const out: ElementFeature[] = [];
  stim.typing!.words.forEach((w, i) => {
    const idx = wordOf.map((x, k) => (x === i ? k : -1)).filter((k) => k >= 0);
    const iki: number[] = [], hold: number[] = [];
    for (const k of idx) {
      const s = list[k]!;
      if (s.up !== null && s.up > s.down) hold.push(Math.log(s.up - s.down));
      if (k > 0 && wordOf[k - 1] === i && list[k]!.down > list[k - 1]!.down) iki.push(Math.log(list[k]!.down - list[k - 1]!.down));
    }
    if (iki.length < 2 || hold.length < 3) return;
    const v = [mean(iki), std(iki), mean(hold), std(hold)];
    if (finite(v)) out.push({ m: 'typing', key: w.word, v: v.map(r3) });
  });
  return out;
}

function voiceElements(streams: SessionStreams, stim: Stimulus, res: ModalityResult): ElementFeature[] {
  const frames = streams.voice!.frames;
  const bursts = speechBursts(frames);
  const out: ElementFeature[] = [];
  for (const r of res.responses) {
    const w = stim.voice!.words[r.index];
    if (!w || r.onset === null) continue;
    const b = bursts.find((x) => r.onset! >= x.start - 150 && r.onset! <= x.end);
    if (!b) continue;
    // The voiced span of the burst: independent of where the energy threshold (set by the whole
    // stream's levels) puts the burst's edges.
    const inBurst = frames.filter((f) => f.t >= b.start - 150 && f.t <= b.end + 150);
    const voiced = inBurst.filter((f) => f.f0Hz !== null && f.f0Hz > 0);
    if (voiced.length < 3) continue;
    const t0 = voiced[0]!.t, t1 = voiced[voiced.length - 1]!.t;
    const span = inBurst.filter((f) => f.t >= t0 && f.t <= t1);
    const f0 = voiced.map((f) => 12 * Math.log2(f.f0Hz! / 100));
    let peak = span[0]!;
    for (const f of span) if (f.energyDb > peak.energyDb) peak = f;
    // Energies relative to the word's own mean: a level offset (gain, distance) says nothing about the word.
    const en = span.map((f) => f.energyDb);
    const v = [t1 - t0, peak.energyDb - mean(en), std(en), mean(f0), std(f0), peak.t - t0];
    if (finite(v)) out.push({ m: 'voice', key: w.word, v: v.map(r3) });
  }
  return out;
}

function edaElements(streams: SessionStreams, stim: Stimulus, res: ModalityResult): ElementFeature[] {
  const sc = streams.eda!.sc;
  const ts = sc.map((x) => x.t);
  // Local means of the samples (+-125 ms): no filter whose transient would reach across the element's edges.
  const at = (t: number): number => {
    let s = 0, k = 0;
    for (let i = lowerBound(ts, t - 125); i < sc.length && sc[i]!.t <= t + 125; i++) { s += sc[i]!.uS; k++; }
    return k ? s / k : NaN;
  };
  const out: ElementFeature[] = [];
  // Aligned to the cue, not to the detected onset: the onset moves by a grid step or more with the
  // tail of the response before it, and a slope of 0.1 uS/s makes that a difference of several scales.
  for (const r of res.responses) {
    const e = stim.eda!.events[r.index];
    if (!e || r.onset === null) continue;
    const base = at(e.atMs);
    const v = Array.from({ length: 6 }, (_, k) => at(e.atMs + 400 + 500 * k) - base);
    if (finite(v)) out.push({ m: 'eda', key: e.cue, v: v.map((x) => Math.round(x * 1e4) / 1e4) });
  }
  return out;
}

function hrvElements(streams: SessionStreams, stim: Stimulus): ElementFeature[] {
  const rr = streams.hrv!.rr;
  const out: ElementFeature[] = [];
  for (const seg of stim.hrv!.segments) {
    if (seg.phaseAtStart !== 0) continue;
    const len = seg.endMs - seg.startMs;
    if (Math.abs(len - 60000 / seg.rateBpm) > 50) continue; // the last breath, cut by the end
    // The last three quarters: the first beats of a breath carry the seam of a re-assembled stream.
    const q = [1, 2, 3].map((k) => rr.filter((b) => b.t >= seg.startMs + (k * len) / 4 && b.t < seg.startMs + ((k + 1) * len) / 4).map((b) => 60000 / b.ms));
    if (q.some((x) => x.length === 0)) continue;
    const all = q.flat();
    const m = mean(all);
    const v = [m, ...q.map((x) => mean(x) - m)];
    if (finite(v)) out.push({ m: 'hrv', key: String(seg.rateBpm), v: v.map(r3) });
  }
  return out;
}

/** Per-element response descriptors of the usable modalities of a verified session (`motion`: the motion stream's analysis, when the caller has it). */
export function elementFeatures(stim: Stimulus, streams: SessionStreams, results: Partial<Record<Modality, ModalityResult>>, usable: ReadonlySet<Modality>, cfg: LivenessConfig, motion?: () => MotionAnalysis): ElementFeature[] {
  const out: ElementFeature[] = [];
  for (const m of stim.modalities) {
    const res = results[m];
    if (!usable.has(m) || !res) continue;
    if (m === 'motion' && streams.motion?.acc?.length) out.push(...motionElements(stim, res, motion ? motion() : analyseMotion(streams.motion, cfg.motion)));
    else if (m === 'typing' && streams.typing?.keys?.length) out.push(...typingElements(streams, stim));
    else if (m === 'voice' && streams.voice?.frames?.length) out.push(...voiceElements(streams, stim, res));
    else if (m === 'eda' && streams.eda?.sc?.length) out.push(...edaElements(streams, stim, res));
    else if (m === 'hrv' && streams.hrv?.rr?.length) out.push(...hrvElements(streams, stim));
  }
  return out;
}

/** Scaled RMS distance between two descriptors of the same modality (Infinity if their shapes differ). */
export function elementDistance(a: ElementFeature, b: ElementFeature): number {
  if (a.m !== b.m || a.key !== b.key || a.v.length !== b.v.length || a.m === 'gaze') return Infinity;
  const s = ELEMENT_SCALES[a.m];
  let sum = 0;
  for (let i = 0; i < a.v.length; i++) sum += ((a.v[i]! - b.v[i]!) / (s[i] ?? 1)) ** 2;
  return Math.sqrt(sum / a.v.length);
}

/**
 * The reuse check: every element of this session against the elements of the same modality and kind
 * kept from earlier sessions. A distance below `maxDistance` (in units of natural trial-to-trial
 * variation) is a copy; `maxReused` such elements are tolerated (0 by default).
 */
export function checkElementReuse(elements: readonly ElementFeature[], history: readonly Fingerprint[], maxDistance: number, maxReused: number): { check: Check; closest: number } {
  const byKey = new Map<string, ElementFeature[]>();
  for (const h of history) for (const e of h.elements ?? []) {
    const k = `${e.m}/${e.key}`;
    const list = byKey.get(k) ?? [];
    list.push(e);
    byKey.set(k, list);
  }
  const reused: { e: ElementFeature; d: number }[] = [];
  let closest = Infinity;
  for (const e of elements) {
    let best = Infinity;
    for (const h of byKey.get(`${e.m}/${e.key}`) ?? []) best = Math.min(best, elementDistance(e, h));
    closest = Math.min(closest, best);
    if (best < maxDistance) reused.push({ e, d: best });
  }
  const first = reused[0];
  return {
    closest,
    check: {
      id: 'reuse',
      passed: reused.length <= maxReused,
      message: `reuse: ${reused.length} response element(s) repeat an earlier response too closely (e.g. ${first?.e.m} "${first?.e.key}" at distance ${first ? Math.round(first.d * 1000) / 1000 : '-'}; one person's repetitions stay above ${maxDistance}): re-assembled from earlier recordings`,
    },
  };
}
