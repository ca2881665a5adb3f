import type { Modality, RevealEvent, Stimulus } from '../../src/core/stimulus/types.ts';
import { strokes, typedText } from '../../src/core/liveness/typing.ts';
import { verifyLiveness } from '../../src/core/liveness/verify.ts';
import type { Fingerprint, KeyEvent, RrSample, ScSample, SessionStreams, Vec3Sample, VoiceFrame } from '../../src/core/liveness/types.ts';
import type { SimFamily } from './family.ts';
import type { SampleSource } from './live-session.ts';
import type { Rng } from './rng.ts';

/**
 * The re-assembled recording (attack class `re-assembled`): an attacker holding recordings of the
 * victim's earlier sessions answers a new challenge element by element, each gesture, word, cue or
 * breath cut from an earlier session where the same element was asked and pasted at its new time.
 *
 * Simulated as: K = 3 earlier sessions of the victim, each a genuine answer to a challenge with the
 * same elements at other times (this stimulus shifted 0.4-1.5 s later) that the gateway accepted
 * (their fingerprints, with element descriptors, are in the history). Element i comes from
 * session i mod K: its window (from its element to the next) is cut there and pasted here. The
 * attacker is careful at the seams: skin conductance and accelerometer levels are matched, voice
 * background levels too, the first heartbeat after a seam is moved (or dropped) so the intervals around the seam match the rhythm,
 * and each word's keystrokes start no sooner than a plausible interval after the previous word's.
 * Gaze has no discrete elements to re-assemble (the path is new at every instant): not applicable.
 */
export const REASSEMBLY_MODALITIES: readonly Modality[] = ['hrv', 'motion', 'typing', 'voice', 'eda'];

/** This stimulus with every element `d` ms later (and `d` ms longer): the earlier session's challenge. */
export function shiftStimulus(stim: Stimulus, d: number): Stimulus {
  const s = structuredClone(stim);
  s.durationMs = stim.durationMs + d;
  if (s.hrv) {
    const first = s.hrv.segments[0]!;
    const phase = (((first.phaseAtStart - (first.rateBpm / 60000) * d) % 1) + 1) % 1;
    for (const g of s.hrv.segments) { g.startMs += d; g.endMs += d; }
    s.hrv.segments.unshift({ startMs: 0, endMs: d, rateBpm: first.rateBpm, phaseAtStart: phase });
  }
  for (const p of s.motion?.prompts ?? []) p.atMs += d;
  for (const w of s.typing?.words ?? []) w.atMs += d;
  for (const w of s.voice?.words ?? []) w.atMs += d;
  for (const e of s.eda?.events ?? []) e.atMs += d;
  // Gaze (not re-assembled) keeps its path; the shifted copy is never used for it.
  return s;
}

/** Element windows [start, end) of a modality in this stimulus: element i owns the time up to element i + 1. */
function windows(stim: Stimulus, m: Modality): [number, number][] {
  const D = stim.durationMs;
  const starts = m === 'hrv' ? stim.hrv!.segments.map((g) => g.startMs)
    : m === 'motion' ? stim.motion!.prompts.map((p) => p.atMs)
      : m === 'typing' ? stim.typing!.words.map((w) => w.atMs)
        : m === 'voice' ? stim.voice!.words.map((w) => w.atMs)
          : stim.eda!.events.map((e) => e.atMs);
  // Time before the first element goes with the first window.
  return starts.map((s, i) => [i === 0 ? 0 : s, starts[i + 1] ?? D]);
}

const cut = <T extends { t: number }>(xs: readonly T[], a: number, b: number, shift: number): T[] => xs.filter((x) => x.t >= a + shift && x.t < b + shift).map((x) => ({ ...x, t: Math.round((x.t - shift) * 10) / 10 }));

function meanOf(xs: readonly number[]): number {
  return xs.length ? xs.reduce((p, q) => p + q, 0) / xs.length : 0;
}

function pasteSamples<T extends { t: number }>(pieces: T[][], match: (prev: T[], next: T[]) => (x: T) => T): T[] {
  const out: T[] = [];
  for (const p of pieces) {
    if (!p.length) continue;
    const f = out.length ? match(out.slice(-8), p.slice(0, 8)) : (x: T) => x;
    for (const x of p) if (!out.length || x.t > out[out.length - 1]!.t) out.push(f(x));
  }
  return out;
}

function assemble(m: Modality, stim: Stimulus, past: { streams: SessionStreams; shift: number }[], r: Rng): SessionStreams {
  const win = windows(stim, m);
  const src = (i: number): { streams: SessionStreams; shift: number } => past[i % past.length]!;
  if (m === 'typing') {
    // Whole words (with their space and corrections), each no sooner than 120-300 ms after the previous word's last key.
    const keys: KeyEvent[] = [];
    let lastDown = -Infinity;
    win.forEach((_, i) => {
      const { streams, shift } = src(i);
      const { list } = strokes(streams.typing!.keys);
      const { wordOf } = typedText(list);
      let cur = 0;
      const mine = list.filter((s, k) => {
        if (wordOf[k]! >= 0) cur = wordOf[k]!;
        return cur === i;
      });
      if (!mine.length) return;
      const extra = Math.max(0, lastDown + r.uniform(120, 300) - (mine[0]!.down - shift));
      for (const s of mine) {
        const d = Math.round(s.down - shift + extra);
        if (d >= stim.durationMs) break;
        keys.push({ t: d, key: s.key, type: 'down' }, { t: Math.round((s.up ?? s.down + 90) - shift + extra), key: s.key, type: 'up' });
        lastDown = d;
      }
    });
    keys.sort((a, b) => a.t - b.t);
    return { typing: { keys: keys.filter((k) => k.t < stim.durationMs) } };
  }
  if (m === 'hrv') {
    const rr: RrSample[] = [];
    win.forEach(([a, b], i) => {
      const { streams, shift } = src(i);
      const piece = cut(streams.hrv!.rr, a, b, shift);
      if (rr.length >= 2 && piece.length >= 2) {
        // The seam: the time from the last pasted beat to the second beat of this piece holds one or
        // two beats of the neighbouring rhythm; the first beat goes where that leaves two equal intervals, or away.
        const last = rr[rr.length - 1]!, gap = piece[1]!.t - last.t, beat = (last.ms + piece[1]!.ms) / 2;
        if (Math.abs(gap - beat) < Math.abs(gap / 2 - beat)) piece.shift();
        else piece[0] = { ...piece[0]!, t: last.t + gap / 2 };
      }
      for (const x of piece) if (!rr.length || x.t > rr[rr.length - 1]!.t) rr.push({ t: Math.round(x.t), ms: x.ms });
    });
    for (let i = 1; i < rr.length; i++) rr[i]!.ms = rr[i]!.t - rr[i - 1]!.t;
    return { hrv: { rr: rr.filter((x) => x.t < stim.durationMs) } };
  }
  if (m === 'motion') {
    const acc = pasteSamples<Vec3Sample>(win.map(([a, b], i) => cut(src(i).streams.motion!.acc, a, b, src(i).shift)), (prev, next) => {
      const d = { x: meanOf(prev.map((s) => s.x)) - meanOf(next.map((s) => s.x)), y: meanOf(prev.map((s) => s.y)) - meanOf(next.map((s) => s.y)), z: meanOf(prev.map((s) => s.z)) - meanOf(next.map((s) => s.z)) };
      return (s) => ({ t: s.t, x: s.x + d.x, y: s.y + d.y, z: s.z + d.z });
    });
    const gyro = past[0]!.streams.motion!.gyro ? pasteSamples<Vec3Sample>(win.map(([a, b], i) => cut(src(i).streams.motion!.gyro ?? [], a, b, src(i).shift)), () => (s) => s) : undefined;
    return { motion: gyro ? { acc, gyro } : { acc } };
  }
  if (m === 'voice') {
    const q10 = (fs: VoiceFrame[]): number => [...fs.map((f) => f.energyDb)].sort((x, y) => x - y)[Math.floor(fs.length / 10)] ?? 0;
    const pieces = win.map(([a, b], i) => cut(src(i).streams.voice!.frames, a, b, src(i).shift));
    const floor0 = q10(pieces[0] ?? []);
    return { voice: { frames: pasteSamples<VoiceFrame>(pieces.map((p) => {
      const d = floor0 - q10(p);
      return p.map((f) => ({ ...f, energyDb: Math.min(0, f.energyDb + d) }));
    }), () => (f) => f) } };
  }
  const sc = pasteSamples<ScSample>(win.map(([a, b], i) => cut(src(i).streams.eda!.sc, a, b, src(i).shift)), (prev, next) => {
    const d = prev[prev.length - 1]!.uS - next[0]!.uS;
    return (s) => ({ t: s.t, uS: Math.round(Math.max(0.06, s.uS + d) * 1000) / 1000 });
  });
  return { eda: { sc } };
}

/** Build the attempt: the re-assembled streams, and the fingerprints the gateway kept of the earlier sessions. */
export function reassemble(stim: Stimulus, m: Modality, victim: { id: string }, fam: SimFamily, seed: string, r: Rng): { streams: SessionStreams; history: Fingerprint[] } {
  if (!REASSEMBLY_MODALITIES.includes(m)) throw new Error(`re-assembled does not apply to ${m}`);
  const past = [0, 1, 2].map((k) => {
    const shift = Math.round(r.uniform(400, 1500));
    const s = shiftStimulus(stim, shift);
    // The attacker uses sessions the victim signed successfully (up to six tries per source); the
    // gateway kept their fingerprints, element descriptors only for accepted ones.
    let last: { streams: SessionStreams; shift: number; fp: Fingerprint } | undefined;
    for (let attempt = 0; attempt < 6; attempt++) {
      const streams = fam.simulate(s, victim, [m], { seed: `${seed}/past/${k}/${attempt}` }).streams;
      const res = verifyLiveness({ stimulus: s, streams });
      last = { streams, shift, fp: res.accepted ? res.fingerprint : { v: 1, modalities: res.fingerprint.modalities } };
      if (res.accepted) break;
    }
    return last!;
  });
  return { streams: assemble(m, stim, past, r), history: past.map((p) => p.fp) };
}

/**
 * The same attack live, for the motion modality over the real transport: each gesture prompt, when
 * it is revealed, switches the output to an earlier recorded session of the victim at a prompt of the
 * same gesture, with the accelerometer level matched at the switch. `recorded` are earlier sessions
 * as a device saw them: their streams and the reveal events they received.
 *
 * A careful attacker never lets a piece run into what came after it in the old session: a piece is
 * usable from its prompt until just before that session's next prompt (or its end). Of the pieces
 * answering a gesture it takes, in turn over the sessions, one long enough for any window (prompts
 * are at most 5 s apart), else the longest; when the piece in use runs out before the next prompt
 * is revealed, it bridges with a stretch where the old session was at rest (before its first prompt,
 * or from 3 s after a prompt to just before the next), chained as needed. Without this the output
 * carried the old session's next gesture unprompted, and a gap where its recording ended.
 */
export function reassembledMotionSource(recorded: readonly { streams: SessionStreams; revealed: readonly RevealEvent[] }[]): SampleSource {
  const accOf = (k: number): Vec3Sample[] => recorded[k]!.streams.motion?.acc ?? [];
  const lastOf = (k: number): number => accOf(k).at(-1)?.t ?? 0;
  // A piece of an old session: [start, end) in its own time.
  type Piece = { src: number; start: number; end: number };
  const gestures: (Piece & { gesture: string })[] = [];
  const rests: Piece[] = [];
  recorded.forEach((r, k) => {
    const ps = r.revealed.filter((e) => e.modality === 'motion' && e.payload.type === 'gesture').map((e) => ({ at: e.revealAt, gesture: (e.payload as { gesture: string }).gesture })).sort((a, b) => a.at - b.at);
    // The old session's next movement starts no sooner than a human reaction (150 ms) after its prompt.
    const stop = (j: number): number => Math.min((ps[j + 1]?.at ?? Infinity) + 100, lastOf(k));
    ps.forEach((p, j) => gestures.push({ src: k, start: p.at, end: stop(j), gesture: p.gesture }));
    rests.push({ src: k, start: 300, end: Math.min((ps[0]?.at ?? Infinity) + 100, lastOf(k)) });
    ps.forEach((p, j) => rests.push({ src: k, start: p.at + 3000, end: stop(j) }));
  });
  const longestRest = rests.filter((p) => p.end - p.start >= 300).sort((a, b) => b.end - b.start - (a.end - a.start))[0];
  if (!longestRest) throw new Error('re-assembly: the recorded sessions hold no stretch at rest');
  const first = rests.find((p) => p.src === 0)!;
  // A segment of the output: from `from` (new time), old session `src` shifted by `offset`, usable until `end` (new time), level moved by `d`.
  const segs: { from: number; src: number; offset: number; end: number; d: [number, number, number] }[] = [{ from: 0, src: 0, offset: 0, end: first.end, d: [0, 0, 0] }];
  let seen = 0, turn = 0, last = -Infinity;
  // The pose around an old session's time t (the 200 ms before it, or after it at a recording's start).
  const level = (src: number, t: number): [number, number, number] => {
    let xs = accOf(src).filter((s) => s.t >= t - 200 && s.t < t);
    if (!xs.length) xs = accOf(src).filter((s) => s.t >= t && s.t < t + 200);
    return [meanOf(xs.map((s) => s.x)), meanOf(xs.map((s) => s.y)), meanOf(xs.map((s) => s.z))];
  };
  const switchTo = (at: number, p: Piece): void => {
    const prev = segs[segs.length - 1]!;
    const cur = level(prev.src, at + prev.offset), old = level(p.src, p.start);
    segs.push({ from: at, src: p.src, offset: p.start - at, end: at + p.end - p.start, d: [cur[0] + prev.d[0] - old[0], cur[1] + prev.d[1] - old[1], cur[2] + prev.d[2] - old[2]] });
  };
  // Bridge at rest up to t, so that no segment is used past its end (nor its level read there).
  const restUntil = (t: number): void => {
    while (segs[segs.length - 1]!.end < t) switchTo(segs[segs.length - 1]!.end, longestRest);
  };
  return {
    next(from, until, revealed) {
      const mine = revealed.filter((e) => e.modality === 'motion' && e.payload.type === 'gesture');
      for (; seen < mine.length; seen++) {
        const e = mine[seen]!, g = (e.payload as { gesture: string }).gesture;
        const fits = gestures.filter((p) => p.gesture === g);
        if (!fits.length) continue;
        const inTurn = [...fits].sort((a, b) => ((a.src - turn + recorded.length) % recorded.length) - ((b.src - turn + recorded.length) % recorded.length));
        const p = inTurn.find((x) => x.end - x.start >= 5000) ?? [...fits].sort((a, b) => b.end - b.start - (a.end - a.start))[0]!;
        // A reveal that arrives after samples past its time were sent: the piece starts when it is known.
        const at = Math.max(e.revealAt, last + 1, segs[segs.length - 1]!.from + 1);
        restUntil(at);
        switchTo(at, p);
        turn = p.src + 1;
      }
      restUntil(until);
      const acc: Vec3Sample[] = [];
      segs.forEach((sg, i) => {
        const end = Math.min(until, segs[i + 1]?.from ?? Infinity), start = Math.max(from, sg.from);
        if (end <= start) return;
        for (const s of accOf(sg.src)) {
          const t = Math.round((s.t - sg.offset) * 10) / 10;
          if (t < start || t >= end || t <= last) continue;
          acc.push({ t, x: s.x + sg.d[0], y: s.y + sg.d[1], z: s.z + sg.d[2] });
          last = t;
        }
      });
      return acc.length ? { motion: { acc } } : {};
    },
  };
}
