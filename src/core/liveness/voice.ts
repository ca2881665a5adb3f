import { atLeast, atMost, inLogRange, inRange, scanMargin, SOFT_SCALES } from './margins.ts';
import type { VoiceStimulus } from '../stimulus/types.ts';
import { CheckList, fmtS, unusable } from './checks.ts';
import { DEFAULT_CONFIG, type VoiceConfig } from './config.ts';
import { checkTimes, median, movingAverage, quantile, round, std } from './dsp.ts';
import type { ModalityResult, PersonProfile, StimulusResponse, VoiceFrame, VoiceStream } from './types.ts';
import { describeChange, lowerBound, scanChange, type SegmentFeatures } from './consistency.ts';

const VOICE_LABELS: Record<string, (a: number, b: number) => string> = {
  pitch: (a, b) => `pitch ${round(100 * 2 ** (a / 12), 0)} -> ${round(100 * 2 ** (b / 12), 0)} Hz`,
  level: (a, b) => `speech level ${round(a, 1)} -> ${round(b, 1)} dB`,
  floor: (a, b) => `background ${round(a, 1)} -> ${round(b, 1)} dB`,
  interval: (a, b) => `frame interval ${round(Math.exp(a), 1)} -> ${round(Math.exp(b), 1)} ms`,
  jitter: (a, b) => `pitch jitter x${round(Math.exp(b - a), 2)}`,
};

export interface Burst { start: number; end: number; syllables: number; voiced: number }

/**
 * Speech bursts from energy and voicing: frames louder than the noise floor by max(8 dB, 35 % of the
 * floor-to-speech range), gaps under 150 ms merged, at least 100 ms and three voiced frames (so an
 * audible breath is not a word). Syllables = energy peaks (50 ms smoothing) at least 4 dB above the
 * dip before them: one vowel nucleus per syllable.
 */
export function speechBursts(frames: readonly VoiceFrame[]): Burst[] {
  const e = frames.map((f) => f.energyDb);
  const floor = quantile(e, 0.1);
  const top = quantile(e, 0.97);
  const thr = floor + Math.max(8, 0.35 * (top - floor));
  const bursts: Burst[] = [];
  let cur: { a: number; b: number } | null = null;
  const close = (): void => {
    if (!cur) return;
    const seg = frames.slice(cur.a, cur.b + 1);
    const voiced = seg.filter((f) => f.f0Hz !== null).length;
    // Onset: the first voiced frame, moved back over at most 120 ms of loud unvoiced frames (an
    // initial consonant). An audible breath before a word is unvoiced and quieter: it is skipped.
    let a = cur.a;
    while (a < cur.b && frames[a]!.f0Hz === null) a++;
    const firstVoiced = frames[a]!.t;
    while (a > cur.a && frames[a - 1]!.energyDb >= floor + 0.5 * (top - floor) && firstVoiced - frames[a - 1]!.t <= 120) a--;
    const start = frames[a]!.t, end = frames[cur.b]!.t;
    if (end - start >= 100 && voiced >= 3) {
      const sm = movingAverage(seg.map((f) => f.energyDb), 5);
      let syl = 0, dip = Infinity, peak = -Infinity, rising = true;
      for (let i = 0; i < sm.length; i++) {
        const v = sm[i]!;
        if (rising) {
          if (v > peak) peak = v;
          if (peak - v >= 4 && peak - dip >= 4) {
            syl++;
            rising = false;
            dip = v;
          } else if (v < dip) dip = v;
        } else {
          if (v < dip) dip = v;
          if (v - dip >= 4) {
            rising = true;
            peak = v;
          }
        }
      }
      if (rising && peak - dip >= 4) syl++;
      bursts.push({ start, end, syllables: Math.max(1, syl), voiced });
    }
    cur = null;
  };
  for (let i = 0; i < frames.length; i++) {
    if (frames[i]!.energyDb > thr) {
      if (cur && frames[i]!.t - frames[cur.b]!.t <= 150) cur.b = i;
      else {
        close();
        cur = { a: i, b: i };
      }
    }
  }
  close();
  return bursts;
}

/**
 * Reading words aloud, as pitch and energy frames (no audio).
 *
 * Plausibility: frame rate, energy in dBFS range, f0 within 50-500 Hz (allowing rare pitch-tracker
 * octave errors), voicing only where there is energy, few impossible f0 jumps. Coupling: one speech
 * burst per revealed word, starting 250-2000 ms after the reveal (word-naming latency), with the
 * word's syllable count, and no speech that answers nothing. Complexity: a voice has frame-level
 * pitch perturbation (jitter) and intonation; a synthetic tone has neither.
 */
export function verifyVoice(stream: VoiceStream | undefined, stim: VoiceStimulus, durationMs: number, cfg: VoiceConfig, profile?: PersonProfile['voice']): ModalityResult {
  const frames = stream?.frames;
  if (!Array.isArray(frames) || frames.length < 100) return unusable('voice', 'voice: no voice frames (need at least 100)');
  const bad = checkTimes(frames);
  if (bad) return unusable('voice', `voice: ${bad}`);
  if (frames.some((f) => !Number.isFinite(f.energyDb) || (f.f0Hz !== null && !Number.isFinite(f.f0Hz)))) return unusable('voice', 'voice: a frame has a non-numeric f0 or energy');
  const c = new CheckList('voice');
  const n = frames.length;
  const dts: number[] = [];
  for (let i = 1; i < n; i++) dts.push(frames[i]!.t - frames[i - 1]!.t);
  const rate = 1000 / Math.max(1e-6, median(dts));
  c.add('rate', rate >= cfg.frameRateHz.min && rate <= cfg.frameRateHz.max, `voice: frame rate ${round(rate, 1)} Hz outside ${cfg.frameRateHz.min}-${cfg.frameRateHz.max} Hz`);
  c.add('coverage', frames[0]!.t <= 500 && frames[n - 1]!.t >= durationMs - 500, `voice: frames span ${fmtS(frames[0]!.t)} to ${fmtS(frames[n - 1]!.t)}, not the whole ${fmtS(durationMs)} session`);
  const badE = frames.filter((f) => f.energyDb < cfg.energyDb.min || f.energyDb > cfg.energyDb.max);
  c.add('energy-range', badE.length === 0, `voice: ${badE.length} frame(s) with energy outside ${cfg.energyDb.min}..${cfg.energyDb.max} dBFS (e.g. ${badE[0]?.energyDb} at ${fmtS(badE[0]?.t ?? 0)})`);
  const voiced = frames.filter((f) => f.f0Hz !== null) as (VoiceFrame & { f0Hz: number })[];
  // Out-of-range f0 is tolerated (2 %) only as a pitch tracker's octave error: twice or half the
  // speaker's median pitch. Anything else outside 50-500 Hz is not a larynx (at most one frame).
  const medAll = voiced.length ? median(voiced.map((f) => f.f0Hz)) : NaN;
  const badF0 = voiced.filter((f) => f.f0Hz < cfg.f0Hz.min || f.f0Hz > cfg.f0Hz.max);
  const octave = (f: { f0Hz: number }): boolean => Math.abs(Math.abs(12 * Math.log2(f.f0Hz / medAll)) - 12) <= 3;
  const nonOctave = badF0.filter((f) => !octave(f));
  c.add('f0-range', badF0.length <= Math.max(1, 0.02 * voiced.length) && nonOctave.length <= 1, `voice: ${badF0.length} of ${voiced.length} voiced frames have f0 outside ${cfg.f0Hz.min}-${cfg.f0Hz.max} Hz (${nonOctave.length} of them not octave errors of the ${round(medAll, 0)} Hz voice; e.g. ${(nonOctave[0] ?? badF0[0])?.f0Hz} Hz at ${fmtS((nonOctave[0] ?? badF0[0])?.t ?? 0)}): not a human voice`);
  const floor = quantile(frames.map((f) => f.energyDb), 0.1);
  const silentVoiced = voiced.filter((f) => f.energyDb < floor + 6).length;
  c.add('voicing-energy', silentVoiced <= Math.max(3, 0.05 * voiced.length), `voice: ${silentVoiced} voiced frames carry no more energy than the background: a pitch without a sound`);
  let jumps = 0, pairs = 0;
  const rel: number[] = [];
  const st: number[] = [];
  const f0med = voiced.length ? median(voiced.map((f) => f.f0Hz)) : NaN;
  for (let i = 1; i < n; i++) {
    const a = frames[i - 1]!.f0Hz, b = frames[i]!.f0Hz;
    if (a === null || b === null) continue;
    pairs++;
    const d = Math.abs(12 * Math.log2(b / a));
    if (d > 5 && Math.abs(d - 12) > 1.5) jumps++;
  }
  c.add('f0-continuity', jumps <= Math.max(1, cfg.maxJumpFraction * pairs), `voice: ${jumps} of ${pairs} consecutive voiced frames jump by more than 5 semitones (not octave errors): no larynx moves that fast`);
  // Jitter: each voiced frame against the mean of its two neighbours (removes the intonation trend);
  // for white perturbation of relative sd s that residual has sd s*sqrt(1.5). Octave errors excluded.
  for (let i = 1; i < n - 1; i++) {
    const a = frames[i - 1]!.f0Hz, x = frames[i]!.f0Hz, b = frames[i + 1]!.f0Hz;
    if (a === null || x === null || b === null) continue;
    const mid = (a + b) / 2;
    if (Math.abs(12 * Math.log2(x / mid)) > 3 || Math.abs(12 * Math.log2(a / b)) > 3) continue;
    rel.push(Math.abs(x - mid) / mid / Math.sqrt(1.5));
  }
  for (const f of voiced) {
    const s = 12 * Math.log2(f.f0Hz / f0med);
    if (Math.abs(s) < 10) st.push(s);
  }
  const jitter = rel.length ? median(rel) * 1.4826 : NaN;
  const spread = st.length > 2 ? std(st) : NaN;
  c.add('jitter', jitter >= cfg.jitter.min && jitter <= cfg.jitter.max, `voice: pitch perturbation ${round(jitter * 100, 2)} % outside the human range ${cfg.jitter.min * 100}-${cfg.jitter.max * 100} % (${jitter < cfg.jitter.min ? 'perfectly steady: synthetic' : 'erratic'})`);
  c.add('intonation', spread >= cfg.f0SpreadSt.min && spread <= cfg.f0SpreadSt.max, `voice: pitch spread ${round(spread, 2)} semitones outside ${cfg.f0SpreadSt.min}-${cfg.f0SpreadSt.max} (${spread < cfg.f0SpreadSt.min ? 'monotone' : 'too erratic'})`);

  // Coupling: bursts answer the revealed words in order.
  const bursts = speechBursts(frames);
  const used = new Set<number>();
  const responses: StimulusResponse[] = [];
  const latencies: number[] = [];
  let sylMatch = 0;
  const misses: string[] = [];
  for (let i = 0; i < stim.words.length; i++) {
    const w = stim.words[i]!;
    const next = stim.words[i + 1]?.atMs ?? Infinity;
    let hit = -1;
    for (let b = 0; b < bursts.length; b++) {
      if (used.has(b)) continue;
      const lat = bursts[b]!.start - w.atMs;
      if (lat >= cfg.latencyMs.min && lat <= cfg.latencyMs.max && bursts[b]!.start < next + cfg.latencyMs.max) {
        hit = b;
        break;
      }
    }
    if (hit < 0) {
      misses.push(`word ${i + 1} ("${w.word}" at ${fmtS(w.atMs)})`);
      responses.push({ index: i, revealAt: w.atMs, onset: null });
      continue;
    }
    used.add(hit);
    const b = bursts[hit]!;
    latencies.push(b.start - w.atMs);
    // An energy-peak count misses the dip between two sonorant syllables (de Jong & Wempe 2009: nuclei
    // detection undercounts), but seldom invents one: the count may fall short by one, not exceed.
    if (b.syllables <= w.syllables && b.syllables >= w.syllables - 1) sylMatch++;
    responses.push({ index: i, revealAt: w.atMs, onset: b.start });
  }
  const hits = stim.words.length - misses.length;
  c.add('coupling', misses.length <= cfg.maxMisses && stim.words.length > 0, `voice: ${misses.length} of ${stim.words.length} revealed words not spoken ${cfg.latencyMs.min}-${cfg.latencyMs.max} ms after they appeared (at most ${cfg.maxMisses}): ${misses.slice(0, 4).join(', ')}`, stim.words.length > 0 ? atMost(misses.length, cfg.maxMisses, SOFT_SCALES.count) : undefined);
  const extra = bursts.filter((_, b) => !used.has(b));
  c.add('unprompted', extra.length <= cfg.maxExtraBursts, `voice: ${extra.length} utterance(s) that answer no revealed word (at ${extra.slice(0, 4).map((b) => fmtS(b.start)).join(', ')}); at most ${cfg.maxExtraBursts}`, atMost(extra.length, cfg.maxExtraBursts, SOFT_SCALES.count));
  // Robust spread (1.4826 x MAD): naming latencies are ex-Gaussian, one slow word is the right tail
  // of one reader (Balota et al. 2004), not a sign of chance alignment, which scatters them all.
  const namingSd = latencies.length > 2 ? 1.4826 * median(latencies.map((x) => Math.abs(x - median(latencies)))) : 0;
  c.add('latency-consistency', namingSd <= cfg.maxNamingSdMs, `voice: reading latencies scatter by ${round(namingSd, 0)} ms (one reader varies by less than ${cfg.maxNamingSdMs} ms): the speech is not answering these reveals`, atMost(namingSd, cfg.maxNamingSdMs, SOFT_SCALES.namingSdMs));
  const sylShare = hits ? sylMatch / hits : 0;
  c.add('syllables', sylShare >= cfg.minSyllableMatch, `voice: only ${Math.round(sylShare * 100)} % of utterances have the syllable count of their word, or one fewer (need ${cfg.minSyllableMatch * 100} %): not these words`, hits ? atLeast(sylShare, cfg.minSyllableMatch, SOFT_SCALES.syllableShare) : undefined);

  // One larynx: the median pitch of the first and second half stays within a few semitones.
  const midT = frames[0]!.t + (frames[n - 1]!.t - frames[0]!.t) / 2;
  const v1 = voiced.filter((f) => f.t < midT).map((f) => f.f0Hz), v2 = voiced.filter((f) => f.t >= midT).map((f) => f.f0Hz);
  const pitchShift = v1.length >= 20 && v2.length >= 20 ? Math.abs(12 * Math.log2(median(v1) / median(v2))) : 0;
  // One speaker in one room throughout (consistency.ts): pitch, speech level, background level and
  // frame rate hold; a splice of two speakers (two sessions, two rooms) changes them at the cut.
  const cc = cfg.consistency ?? DEFAULT_CONFIG.voice.consistency!;
  const scan = scanChange(frames[0]!.t, frames[n - 1]!.t, cc, voiceSegmentFeatures(frames, bursts));
  c.add('stationarity', scan.stat <= cc.maxStat, `voice: the voice changes at ${fmtS(scan.cutMs)} (change score ${round(scan.stat, 1)}, one speaker stays below ${cc.maxStat}: ${describeChange(scan, VOICE_LABELS)}): two recordings spliced`, scanMargin(scan.stat, cc.maxStat));
  const naming = latencies.length ? median(latencies) : NaN;
  if (profile) {
    const [lo, hi] = profile.f0MedianHz;
    c.add('profile', f0med >= lo && f0med <= hi, `voice: median pitch ${round(f0med, 0)} Hz outside this person's enrolled ${round(lo, 0)}-${round(hi, 0)} Hz`, inLogRange(f0med, lo, hi, SOFT_SCALES.pitchLog));
    if (profile.namingMs && latencies.length) {
      const [a, b] = profile.namingMs;
      c.add('profile-naming', naming >= a && naming <= b, `voice: median reading latency ${round(naming, 0)} ms outside this person's enrolled ${round(a, 0)}-${round(b, 0)} ms`, inRange(naming, a, b, SOFT_SCALES.latencyMs));
    }
  }
  const features = {
    frameRateHz: round(rate, 1),
    voicedFrames: voiced.length,
    f0MedianHz: round(f0med, 1),
    jitter: round(jitter, 4),
    f0SpreadSt: round(spread, 2),
    bursts: bursts.length,
    wordsAnswered: hits,
    namingMs: round(naming, 0),
    namingSdMs: round(namingSd, 0),
    syllableMatch: round(sylShare, 3),
    pitchShiftSt: round(pitchShift, 2),
    changeScore: round(scan.stat, 2),
  };
  return c.result(features, stim.words.length ? (hits / stim.words.length) * (0.5 + 0.5 * sylShare) : 0, responses);
}

/**
 * Person and environment features of a part of a voice session (for the change-point scan,
 * consistency.ts): mean pitch of voiced frames in semitones (pitch; octave errors excluded), mean
 * speech level of voiced frames above the burst threshold (level, dB: the voice and its distance to
 * the microphone), mean background level of frames outside speech (floor, dB: the room and the
 * microphone), log frame interval (interval), and the mean reading latency of words revealed in the
 * part (naming, ms). Prefix sums over frames; naming over the few responses.
 */
export function voiceSegmentFeatures(frames: readonly VoiceFrame[], bursts: readonly Burst[]): SegmentFeatures {
  const n = frames.length;
  const t = new Float64Array(n);
  const e = frames.map((f) => f.energyDb);
  const floor = quantile(e, 0.1), top = quantile(e, 0.97);
  const thr = floor + Math.max(8, 0.35 * (top - floor));
  const voicedSt = frames.filter((f) => f.f0Hz !== null && f.f0Hz > 0).map((f) => 12 * Math.log2(f.f0Hz! / 100));
  const medSt = voicedSt.length ? median(voicedSt) : 0;
  const inBurst = new Uint8Array(n);
  let bi = 0;
  const K = 9;
  const P = new Float64Array((n + 1) * K);
  for (let i = 0; i < n; i++) {
    const f = frames[i]!;
    t[i] = f.t;
    while (bi < bursts.length && bursts[bi]!.end + 300 < f.t) bi++;
    const b = bursts[bi];
    inBurst[i] = b && f.t >= b.start - 400 && f.t <= b.end + 300 ? 1 : 0;
    const st = f.f0Hz !== null && f.f0Hz > 0 ? 12 * Math.log2(f.f0Hz / 100) : NaN;
    const pitchOk = Number.isFinite(st) && Math.abs(st - medSt) < 6 && f.energyDb > thr;
    const quiet = !inBurst[i] && f.energyDb < thr;
    const dt = i > 0 ? f.t - frames[i - 1]!.t : NaN;
    // Frame jitter: deviation from the neighbours' mean (as in verifyVoice), octave errors excluded.
    let jit = NaN;
    const fa = frames[i - 1]?.f0Hz, fb = frames[i + 1]?.f0Hz;
    if (f.f0Hz !== null && fa != null && fb != null && fa > 0 && fb > 0) {
      const mid = (fa + fb) / 2;
      if (Math.abs(12 * Math.log2(f.f0Hz / mid)) <= 3 && Math.abs(12 * Math.log2(fa / fb)) <= 3) jit = Math.min(0.05, Math.abs(f.f0Hz - mid) / mid);
    }
    const row = [pitchOk ? st : 0, pitchOk ? 1 : 0, pitchOk ? f.energyDb : 0, quiet ? f.energyDb : 0, quiet ? 1 : 0, dt > 0 && dt < 100 ? Math.log(dt) : 0, dt > 0 && dt < 100 ? 1 : 0, Number.isFinite(jit) ? jit : 0, Number.isFinite(jit) ? 1 : 0];
    for (let k = 0; k < K; k++) P[(i + 1) * K + k] = P[i * K + k]! + row[k]!;
  }
  return (a, b) => {
    const i0 = lowerBound(t, a), i1 = lowerBound(t, b);
    const S = (k: number): number => P[i1 * K + k]! - P[i0 * K + k]!;
    const nv = S(1), nq = S(4), nd = S(6);
    return {
      jitter: S(8) >= 30 ? Math.log(S(7) / S(8)) : NaN,
      pitch: nv >= 30 ? S(0) / nv : NaN,
      level: nv >= 30 ? S(2) / nv : NaN,
      floor: nq >= 50 ? S(3) / nq : NaN,
      interval: nd >= 50 ? S(5) / nd : NaN,
    };
  };
}
