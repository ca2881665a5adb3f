import { createHash } from 'node:crypto';
import { deriveStimulus } from '../../src/core/stimulus/stimulus.ts';
import { breathingGuide } from '../../src/core/stimulus/hrv.ts';
import { gazeTarget } from '../../src/core/stimulus/gaze.ts';
import type { Modality, Stimulus } from '../../src/core/stimulus/types.ts';
import { fingerprintStreams } from '../../src/core/liveness/fingerprint.ts';
import type { ChunkArrival, Fingerprint, KeyEvent, SessionStreams } from '../../src/core/liveness/types.ts';
import { FAMILY_A, FAMILY_B, type SimFamily } from './family.ts';
import { PinkNoise, Rng } from './rng.ts';
import { REASSEMBLY_MODALITIES, reassemble } from './reassembly.ts';
import { honestArrivals, sampleTimes } from './session.ts';
import { botTyping, timingBot } from './timing-bots.ts';

/**
 * Presentation attacks (ISO/IEC 30107-3 "attack instruments"), each a real attempt, not a strawman:
 *  replay           a genuine session of the victim that answered ANOTHER challenge, streamed again
 *                   in real time; the gateway holds that session's fingerprint.
 *  replay-warped    the same, re-timed: shifted 0.5-3 s and stretched x0.85-1.15, resampled to the
 *                   device's nominal rate, cropped to the session; fingerprint held.
 *  recording        a never-submitted recording of the victim answering another challenge (e.g.
 *                   captured by malware); no fingerprint to match, only coupling can catch it.
 *  synthetic-periodic  a live bot that SEES the revealed stimulus and answers with clean, regular
 *                   synthetic signals (noise-free RSA sine, ideal gestures, metronome typing, the
 *                   target path copied with a lag, steady tones, textbook SCRs).
 *  white-noise / pink-noise  signals that are white or 1/f noise around physiological means (for
 *                   typing: a bot typing the revealed words with white / 1/f-noise key timing).
 *  lognormal-bot    (typing only) a bot typing the revealed words with log-normal key intervals and
 *                   holds (right-skewed like people's, drawn i.i.d.: no keyboard-geometry structure),
 *                   a slower first letter per word and a log-normal reading pause drawn per word
 *                   (ex-Gaussian-like spread); TYPING_ONLY_ATTACKS lists such classes.
 *  pink-bot         (typing only) the same with 1/f ("pink") timing: log intervals and log holds are
 *                   1/f noise (Gilden 1995: human timing series wander as 1/f), so the marginals are
 *                   log-normal (right-skewed) and the tempo drifts, but nothing depends on the keys.
 *  re-assembled     the victim's earlier accepted sessions cut element by element (each gesture, word,
 *                   cue or breath from a session where the same element was asked) and pasted at
 *                   the new elements' times, seams level-matched (reassembly.ts); not gaze.
 *  impossible       a genuine answer to THIS challenge with 3-8 physiologically impossible values
 *                   injected (the plausibility checks must catch it even though coupling passes).
 *  splice           the victim's live answer to THIS challenge up to a cut at 30-70 % of the
 *                   session, another person's live answer to it afterwards, timestamps continuous;
 *                   verified against the victim's profile.
 *  contradict       a two-modality session (typing+motion or motion+gaze) where one stream is a
 *                   genuine answer to THIS challenge recorded separately (another person, another
 *                   device, that modality alone), so it was never physically coupled to the other:
 *                   typing+motion swaps either stream; motion+gaze swaps the gaze (a motion stream
 *                   from elsewhere shakes when this one's gaze degrades anyway: same prompts).
 *  batch-upload     a genuine answer delivered faster than real time: all at once after the end,
 *                   fast-forwarded x1.5-4, or shifted earlier so each answer coincides with its reveal.
 *  truncation       a genuine answer that stops at 50-93 % of the sustained duration.
 *  live-synthesis   (reference, out of scope for signal checks) a full physiological simulator of a
 *                   different person answering THIS challenge live: the adversary the threat model
 *                   says signal checks alone cannot stop. It runs the OTHER simulator family than the
 *                   victim's (the attacker's model of people is not the population's).
 *  live-impostor    (reference) another person of the victim's own population answering THIS
 *                   challenge live (same family): what the passkey, not the signal, must stop.
 * Every attempt simulates people with `ctx.family` (default family A; family-b/ is the second family).
 */
export const ATTACK_KINDS = ['replay', 'replay-warped', 'recording', 'synthetic-periodic', 'white-noise', 'pink-noise', 'lognormal-bot', 'pink-bot', 're-assembled', 'impossible', 'splice', 'contradict', 'batch-upload', 'truncation', 'live-synthesis', 'live-impostor'] as const;
/** Classes that only make sense for one modality (the evaluation runs them on typing). */
export const TYPING_ONLY_ATTACKS: readonly AttackKind[] = ['lognormal-bot', 'pink-bot'];
/** The modalities each class applies to (default: all six). */
export function attackModalities(kind: AttackKind): readonly Modality[] {
  if (TYPING_ONLY_ATTACKS.includes(kind)) return ['typing'];
  if (kind === 're-assembled') return REASSEMBLY_MODALITIES;
  return ['hrv', 'motion', 'typing', 'gaze', 'voice', 'eda'];
}
/** Reference rows: reported, not targeted (signal checks cannot stop a live answer; the passkey must). */
export const REFERENCE_ATTACKS: readonly AttackKind[] = ['live-synthesis', 'live-impostor', 'splice'];
export type AttackKind = (typeof ATTACK_KINDS)[number];

export interface AttackContext {
  /** The challenge being attacked. */
  stimulus: Stimulus;
  /** The person the attacker impersonates (whose profile and history the gateway holds), of `family`. */
  victim: { id: string };
  /** The simulator family of the victim's population (default family A). */
  family?: SimFamily;
  /** Modality under attack (contradict picks a pair containing it). */
  modality: Modality;
  /** Seed for everything random in this attempt. */
  seed: string;
}

export interface AttackAttempt {
  kind: AttackKind;
  modalities: Modality[];
  /** The stimulus the verifier uses (the attacked challenge; contradict may add a modality). */
  stimulus: Stimulus;
  streams: SessionStreams;
  arrivals: Partial<Record<Modality, ChunkArrival[]>>;
  /** Fingerprints the gateway holds because the attacker (re)used a submitted session. */
  history: Fingerprint[];
  note: string;
}

const seedBytes = (s: string): Buffer => createHash('sha256').update('attack-challenge/' + s).digest();

type Arr = Record<string, Record<string, Record<string, unknown>[]>>;

function arrivalsFor(streams: SessionStreams, modalities: readonly Modality[], durationMs: number, rng: Rng): Partial<Record<Modality, ChunkArrival[]>> {
  const out: Partial<Record<Modality, ChunkArrival[]>> = {};
  for (const m of modalities) out[m] = honestArrivals(sampleTimes(streams, m), durationMs, rng.fork(m));
  return out;
}

/** Apply a time map to every sample of every stream, keep samples inside [0, D), and fix RR intervals. */
function retime(streams: SessionStreams, f: (t: number) => number, durationMs: number, nominal: boolean): SessionStreams {
  const out = structuredClone(streams) as Arr;
  for (const [m, s] of Object.entries(out)) {
    for (const [k, arr] of Object.entries(s)) {
      const mapped: (Record<string, unknown> & { t: number })[] = arr.map((x) => ({ ...x, t: f(x.t as number) })).filter((x) => x.t >= 0 && x.t < durationMs);
      if (nominal && m !== 'hrv' && m !== 'typing' && mapped.length > 2) {
        // A careful attacker resamples to the device's nominal rate so the sample rate stays normal.
        const dt = median(arr.slice(1).map((x, i) => (x.t as number) - (arr[i]!.t as number)));
        const grid: Record<string, unknown>[] = [];
        let j = 0;
        for (let t = Math.ceil(mapped[0]!.t / dt) * dt; t < durationMs && t <= mapped[mapped.length - 1]!.t; t += dt) {
          while (j < mapped.length - 2 && mapped[j + 1]!.t < t) j++;
          const a = mapped[j]!, b = mapped[j + 1]!;
          const w = b.t > a.t ? (t - a.t) / (b.t - a.t) : 0;
          const o: Record<string, unknown> = { t: Math.round(t * 10) / 10 };
          for (const key of Object.keys(a)) {
            if (key === 't') continue;
            const va = a[key], vb = b[key];
            o[key] = typeof va === 'number' && typeof vb === 'number' ? va + (vb - va) * w : va;
          }
          grid.push(o);
        }
        s[k] = grid;
      } else s[k] = mapped;
    }
    if (m === 'hrv') {
      const rr = s.rr as { t: number; ms: number }[];
      for (let i = 1; i < rr.length; i++) rr[i]!.ms = Math.round(rr[i]!.t - rr[i - 1]!.t);
      for (const x of rr) x.t = Math.round(x.t);
      if (rr.length > 1) rr.shift();
    }
  }
  return out as SessionStreams;
}

function median(a: number[]): number {
  const b = [...a].sort((x, y) => x - y);
  return b.length ? b[Math.floor(b.length / 2)]! : 10;
}

function otherChallenge(ctx: AttackContext, label: string, durationMs = ctx.stimulus.durationMs, modalities: Modality[] = [ctx.modality]): Stimulus {
  return deriveStimulus(seedBytes(ctx.seed + '/' + label), { durationMs, modalities });
}

function synthetic(kind: 'synthetic-periodic' | 'white-noise' | 'pink-noise', stim: Stimulus, m: Modality, r: Rng): SessionStreams {
  const D = stim.durationMs;
  const periodic = kind === 'synthetic-periodic';
  const pink = new PinkNoise(r.fork('pink'), 1, 0.05, 20);
  const noise = (): number => (kind === 'white-noise' ? r.normal() : pink.step(0.01));
  if (m === 'hrv') {
    const rr: { t: number; ms: number }[] = [];
    let t = 0, prev = -800;
    const hr0 = r.uniform(60, 80);
    while (t < D) {
      let ms: number;
      if (periodic) ms = 60000 / (hr0 + 6 * (breathingGuide(stim.hrv!, Math.max(0, t - 1000)).volume - 0.5) * 2);
      else ms = 60000 / hr0 + 40 * (kind === 'white-noise' ? r.normal() : pink.step(0.8) * 1.5);
      t = prev + ms;
      if (t >= 0 && t < D) rr.push({ t: Math.round(t), ms: Math.round(t) - Math.round(prev) });
      prev = t;
    }
    return { hrv: { rr } };
  }
  if (m === 'motion') {
    const acc: { t: number; x: number; y: number; z: number }[] = [];
    const p0 = r.uniform(35, 55) * Math.PI / 180;
    for (let t = 0; t < D; t += 10) {
      let roll = 0, pitch = p0;
      let lin = 0;
      if (periodic) {
        for (const p of stim.motion!.prompts) {
          const u = (t - p.atMs - 400) / 1200;
          if (u < 0 || u > 1) continue;
          const bump = 0.5 - 0.5 * Math.cos(2 * Math.PI * u);
          const A = 30 * Math.PI / 180;
          if (p.gesture === 'tilt-left') roll -= A * bump;
          else if (p.gesture === 'tilt-right') roll += A * bump;
          else if (p.gesture === 'tilt-forward') pitch -= A * bump;
          else if (p.gesture === 'tilt-back') pitch += A * bump;
          else lin = 15 * bump * Math.sin(2 * Math.PI * 4 * (t - p.atMs) / 1000);
        }
      } else {
        roll = 0.15 * noise();
        pitch = p0 + 0.15 * noise();
      }
      const g = 9.81;
      const n = periodic ? 0 : 0.3;
      acc.push({ t, x: -g * Math.sin(roll) * Math.cos(pitch) + lin + n * noise(), y: g * Math.sin(pitch) + n * noise(), z: g * Math.cos(roll) * Math.cos(pitch) + n * noise() });
    }
    return { motion: { acc } };
  }
  if (m === 'typing') {
    const mu = r.uniform(180, 320);
    if (periodic) return { typing: botTyping(stim, () => mu, () => 90, 500) };
    if (kind === 'white-noise') return { typing: botTyping(stim, () => r.normal(mu, 0.35 * mu), () => r.normal(95, 25), r.uniform(300, 800)) };
    return { typing: botTyping(stim, () => mu * (1 + 0.35 * pink.step(0.25)), () => 95 * (1 + 0.25 * pink.step(0.25)), r.uniform(300, 800)) };
  }
  if (m === 'gaze') {
    const pts: { t: number; x: number; y: number }[] = [];
    for (let t = 0; t < D; t += 1000 / 60) {
      if (periodic) {
        const p = gazeTarget(stim.gaze!, t - 150);
        pts.push({ t: Math.round(t * 10) / 10, x: p.x, y: p.y });
      } else pts.push({ t: Math.round(t * 10) / 10, x: 0.5 + 0.15 * noise(), y: 0.5 + 0.15 * noise() });
    }
    return { gaze: { pts } };
  }
  if (m === 'voice') {
    const frames: { t: number; f0Hz: number | null; energyDb: number }[] = [];
    const f0 = r.uniform(100, 220);
    for (let t = 0; t < D; t += 10) {
      if (periodic) {
        const on = stim.voice!.words.some((w) => t >= w.atMs + 600 && t < w.atMs + 600 + 250 * w.syllables);
        frames.push({ t, f0Hz: on ? f0 : null, energyDb: on ? -20 : -55 });
      } else {
        const e = -40 + 12 * noise();
        frames.push({ t, f0Hz: e > -35 ? Math.max(60, f0 * (1 + 0.2 * noise())) : null, energyDb: Math.min(0, e) });
      }
    }
    return { voice: { frames } };
  }
  const sc: { t: number; uS: number }[] = [];
  const scl = r.uniform(2, 10);
  for (let t = 0; t < D; t += 125) {
    let v = scl;
    if (periodic) {
      for (const e of stim.eda!.events) {
        const d = (t - e.atMs - 2000) / 1000;
        if (d > 0) v += 0.3 * (Math.exp(-d / 3) - Math.exp(-d / 0.75)) / 0.46;
      }
    } else v += 0.3 * noise();
    sc.push({ t, uS: Math.round(Math.max(0.06, v) * 1000) / 1000 });
  }
  return { eda: { sc } };
}

function injectImpossible(streams: SessionStreams, m: Modality, r: Rng): SessionStreams {
  const s = structuredClone(streams);
  const k = 3 + r.int(6);
  const idx = (n: number): number => 5 + r.int(Math.max(1, n - 10));
  if (m === 'hrv') {
    const rr = s.hrv!.rr;
    for (let i = 0; i < k; i++) {
      const j = idx(rr.length);
      rr[j]!.ms = r.chance(0.5) ? r.uniform(150, 280) : r.uniform(2100, 3000);
    }
  } else if (m === 'motion') {
    const acc = s.motion!.acc;
    for (let i = 0; i < k; i++) {
      const j = idx(acc.length);
      acc[j] = { ...acc[j]!, x: acc[j]!.x + r.uniform(60, 150) * (r.chance(0.5) ? 1 : -1) };
    }
  } else if (m === 'typing') {
    const keys = s.typing!.keys;
    const downs = keys.map((x, i) => [x, i] as const).filter(([x]) => x.type === 'down');
    for (let i = 0; i < k; i++) {
      const [d] = downs[idx(downs.length)]!;
      const up = keys.find((x) => x.type === 'up' && x.key === d.key && x.t >= d.t);
      if (up) up.t = d.t + r.uniform(1, 8);
    }
    keys.sort((a, b) => a.t - b.t);
  } else if (m === 'gaze') {
    const pts = s.gaze!.pts;
    for (let i = 0; i < k; i++) {
      const j = idx(pts.length);
      pts[j] = { ...pts[j]!, x: r.chance(0.5) ? r.uniform(2, 4) : pts[j]!.x + 1.5 };
    }
  } else if (m === 'voice') {
    const fr = s.voice!.frames;
    const voiced = fr.filter((f) => f.f0Hz !== null);
    for (let i = 0; i < k * 3; i++) voiced[idx(voiced.length)]!.f0Hz = r.uniform(700, 1500);
  } else {
    const sc = s.eda!.sc;
    for (let i = 0; i < k; i++) {
      const j = idx(sc.length);
      sc[j] = { ...sc[j]!, uS: r.chance(0.5) ? r.uniform(0.001, 0.04) : sc[j]!.uS + r.uniform(8, 20) };
    }
  }
  return s;
}

/** Concatenate A before the cut and B after it (B's samples at their own times). */
function splice(a: SessionStreams, b: SessionStreams, cut: number): SessionStreams {
  const out = structuredClone(a) as Arr;
  const bb = b as unknown as Arr;
  for (const [m, s] of Object.entries(out)) {
    for (const k of Object.keys(s)) {
      const before = s[k]!.filter((x) => (x.t as number) < cut);
      const after = (bb[m]?.[k] ?? []).filter((x) => (x.t as number) >= cut);
      s[k] = [...before, ...structuredClone(after)];
    }
    if (m === 'hrv') {
      const rr = s.rr as { t: number; ms: number }[];
      const j = rr.findIndex((x) => x.t >= cut);
      if (j > 0) rr[j]!.ms = rr[j]!.t - rr[j - 1]!.t;
    }
    if (m === 'typing') {
      // Drop key-ups whose key-down lies on the other side of the cut.
      (s.keys as unknown as KeyEvent[]).sort((x, y) => x.t - y.t);
    }
  }
  return out as SessionStreams;
}

/** Build one attack attempt against `ctx.stimulus` for `ctx.modality`. */
export function attack(kind: AttackKind, ctx: AttackContext): AttackAttempt {
  const r = new Rng('attack/' + kind + '/' + ctx.seed);
  const D = ctx.stimulus.durationMs;
  const m = ctx.modality;
  const mods: Modality[] = [m];
  const base = { kind, modalities: mods, stimulus: restrict(ctx.stimulus, mods), history: [] as Fingerprint[] };
  const fam = ctx.family ?? FAMILY_A;
  const makePerson = (id: string): { id: string } => fam.makePerson(id);
  const live = (stim: Stimulus, person: { id: string }, label: string, modalities: Modality[] = mods) => fam.simulate(stim, person, modalities, { seed: ctx.seed + '/' + label });
  switch (kind) {
    case 'replay':
    case 'recording': {
      const other = otherChallenge(ctx, 'other');
      const rec = live(other, ctx.victim, 'rec').streams;
      return { ...base, streams: rec, arrivals: arrivalsFor(rec, mods, D, r), history: kind === 'replay' ? [fingerprintStreams(rec, mods)] : [], note: kind === 'replay' ? 'verbatim replay of a submitted answer to another challenge' : 'unsubmitted recording answering another challenge' };
    }
    case 'replay-warped': {
      // A recording 10 s longer than the session, so the warped copy still covers it.
      const other = otherChallenge(ctx, 'other', D + 10000);
      const rec = live(other, ctx.victim, 'rec').streams;
      const k = r.uniform(0.85, 1.15), shift = r.uniform(500, 3000);
      const streams = retime(rec, (t) => (t - 5000) * k + 5000 - shift, D, true);
      return { ...base, streams, arrivals: arrivalsFor(streams, mods, D, r), history: [fingerprintStreams(rec, mods)], note: `replay stretched x${k.toFixed(2)}, shifted ${Math.round(shift)} ms` };
    }
    case 'synthetic-periodic':
    case 'white-noise':
    case 'pink-noise': {
      const streams = synthetic(kind, ctx.stimulus, m, r);
      return { ...base, streams, arrivals: arrivalsFor(streams, mods, D, r), note: kind };
    }
    case 'lognormal-bot':
    case 'pink-bot': {
      if (m !== 'typing') throw new Error(`${kind} attacks typing only`);
      const streams = { typing: timingBot(ctx.stimulus, kind === 'pink-bot', r) };
      return { ...base, streams, arrivals: arrivalsFor(streams, mods, D, r), note: kind === 'pink-bot' ? '1/f (pink) log-normal timing bot' : 'log-normal timing bot' };
    }
    case 're-assembled': {
      const { streams, history } = reassemble(ctx.stimulus, m, ctx.victim, fam, ctx.seed + '/reassembled', r);
      return { ...base, streams, arrivals: arrivalsFor(streams, mods, D, r), history, note: 'earlier sessions re-assembled element by element' };
    }
    case 'impossible': {
      const g = live(ctx.stimulus, ctx.victim, 'genuine').streams;
      const streams = injectImpossible(g, m, r);
      return { ...base, streams, arrivals: arrivalsFor(streams, mods, D, r), note: 'genuine answer with impossible values injected' };
    }
    case 'splice': {
      const other = makePerson('splice-other/' + ctx.seed);
      const a = live(ctx.stimulus, ctx.victim, 'a').streams;
      const b = live(ctx.stimulus, other, 'b').streams;
      const cut = Math.round(r.uniform(0.3, 0.7) * D);
      const streams = splice(a, b, cut);
      return { ...base, streams, arrivals: arrivalsFor(streams, mods, D, r), note: `victim until ${cut} ms, another person after` };
    }
    case 'contradict': {
      const pair: Modality[] = m === 'typing' ? ['typing', 'motion'] : m === 'gaze' ? ['motion', 'gaze'] : m === 'motion' ? (r.chance(0.5) ? ['typing', 'motion'] : ['motion', 'gaze']) : r.chance(0.5) ? ['typing', 'motion'] : ['motion', 'gaze'];
      const stim = ctx.stimulus.modalities.every((x) => pair.includes(x)) && pair.every((x) => ctx.stimulus.modalities.includes(x))
        ? ctx.stimulus
        : deriveStimulus(seedBytes(ctx.seed + '/pair'), { durationMs: D, modalities: pair });
      const own = live(stim, ctx.victim, 'own', pair).streams;
      const swap: Modality = pair.includes('gaze') ? 'gaze' : r.chance(0.5) ? 'typing' : 'motion';
      const foreign = live(stim, makePerson('contradict-other/' + ctx.seed), 'foreign', [swap]).streams;
      const streams: SessionStreams = { ...own, [swap]: foreign[swap] };
      return { kind, modalities: pair, stimulus: stim, streams, arrivals: arrivalsFor(streams, pair, D, r), history: [], note: `${pair.join('+')} with ${swap} from another person` };
    }
    case 'batch-upload': {
      const g = live(ctx.stimulus, ctx.victim, 'genuine').streams;
      // The 'prescient' variant (answers moved onto their reveals) needs discrete answers or a pursuit
      // lag; heartbeats answer continuously, so for hrv only the delivery-speed variants apply.
      const variant = r.int(m === 'hrv' ? 2 : 3);
      if (variant === 2) {
        const shift = r.uniform(400, 900);
        const streams = retime(g, (t) => t - shift, D, false);
        return { ...base, streams, arrivals: arrivalsFor(streams, mods, D, r), note: `answers moved ${Math.round(shift)} ms earlier (prescient)` };
      }
      const t = sampleTimes(g, m);
      let arrivals: ChunkArrival[];
      if (variant === 0) arrivals = [{ receivedAt: D + Math.round(r.uniform(50, 2000)), t }];
      else {
        const speed = r.uniform(1.5, 4);
        arrivals = honestArrivals(t, D, r).map((c) => ({ receivedAt: Math.round(c.receivedAt / speed), t: c.t }));
      }
      return { ...base, streams: g, arrivals: { [m]: arrivals }, note: variant === 0 ? 'uploaded all at once after the end' : 'fast-forwarded upload' };
    }
    case 'truncation': {
      const g = live(ctx.stimulus, ctx.victim, 'genuine').streams;
      const cut = Math.round(r.uniform(0.5, 0.93) * D);
      const streams = retime(g, (t) => (t < cut ? t : -1), D, false);
      const arrivals = arrivalsFor(streams, mods, cut, r);
      return { ...base, streams, arrivals, note: `stops at ${cut} ms` };
    }
    case 'live-synthesis': {
      const model = fam.name === 'a' ? FAMILY_B : FAMILY_A;
      const s = model.simulate(ctx.stimulus, model.makePerson('synth/' + ctx.seed), mods, { seed: ctx.seed + '/synth' });
      return { ...base, streams: s.streams, arrivals: s.arrivals, note: `physiological simulator (family ${model.name}) answering live` };
    }
    case 'live-impostor': {
      const s = live(ctx.stimulus, makePerson('impostor/' + ctx.seed), 'impostor');
      return { ...base, streams: s.streams, arrivals: s.arrivals, note: 'another live person answering this challenge' };
    }
  }
}

/** The stimulus reduced to the given modalities (what a single-modality attack is verified against). */
export function restrict(stim: Stimulus, modalities: readonly Modality[]): Stimulus {
  const s: Stimulus = { version: 1, durationMs: stim.durationMs, modalities: stim.modalities.filter((m) => modalities.includes(m)) };
  for (const m of s.modalities) (s as unknown as Record<string, unknown>)[m] = (stim as unknown as Record<string, unknown>)[m];
  return s;
}
