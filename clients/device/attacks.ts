import { createHash } from 'node:crypto';
import { deriveStimulus } from '../../src/core/stimulus/stimulus.ts';
import type { Modality, Stimulus } from '../../src/core/stimulus/types.ts';
import { fingerprintStreams } from '../../src/core/liveness/fingerprint.ts';
import type { ChunkArrival, Fingerprint, SessionStreams } from '../../src/core/liveness/types.ts';
import { FAMILY_A, FAMILY_B, type SimFamily } from './family.ts';
import { injectImpossible, retime, splice, synthetic } from './forgeries.ts';
import { Rng } from './rng.ts';
import { REASSEMBLY_MODALITIES, reassemble } from './reassembly.ts';
import { honestArrivals, sampleTimes } from './session.ts';
import { timingBot } from './timing-bots.ts';

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

function arrivalsFor(streams: SessionStreams, modalities: readonly Modality[], durationMs: number, rng: Rng): Partial<Record<Modality, ChunkArrival[]>> {
  const out: Partial<Record<Modality, ChunkArrival[]>> = {};
  for (const m of modalities) out[m] = honestArrivals(sampleTimes(streams, m), durationMs, rng.fork(m));
  return out;
}

function otherChallenge(ctx: AttackContext, label: string, durationMs = ctx.stimulus.durationMs, modalities: Modality[] = [ctx.modality]): Stimulus {
  return deriveStimulus(seedBytes(ctx.seed + '/' + label), { durationMs, modalities });
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
