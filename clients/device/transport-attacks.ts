import { createHash } from 'node:crypto';
import type { SessionStreams } from '../../src/core/liveness/types.ts';
import type { Modality } from '../../src/core/policy/modality.ts';
import { deriveStimulus } from '../../src/core/stimulus/stimulus.ts';
import type { BreathingSegment, RevealEvent, Stimulus } from '../../src/core/stimulus/types.ts';
import { WORDS } from '../../src/core/stimulus/words.ts';
import { ATTACK_KINDS, attack, type AttackKind } from './attacks.ts';
import { recordedSource, simulatorSource, type SampleSource, type SessionHooks } from './live-session.ts';
import type { SimPerson } from './person.ts';

/**
 * The attack classes of attacks.ts, run over the real transport (docs/protocol.md §Attacks).
 * A device never has the whole stimulus, so attacks that answer THIS challenge are regenerated
 * from the stimulus revealed so far whenever a new element arrives (a causal attacker, which is
 * all a real one can be); recordings of other challenges are streamed as recorded. Two classes
 * exist only on a transport: `fast-forward` (a recording sent faster than real time) and
 * `batch-upload` (a live answer held back and sent at the end).
 */
export const TRANSPORT_ATTACKS = [...ATTACK_KINDS, 'fast-forward'] as const;
export type TransportAttack = (typeof TRANSPORT_ATTACKS)[number];

/** Classes whose streams do not depend on this challenge's stimulus: streamed as recorded. */
const RECORDED = new Set<string>(['replay', 'replay-warped', 'recording']);

const syllablesOf = new Map(WORDS.map((w) => [w.word, w.syllables]));

/**
 * The stimulus as far as a device knows it: every revealed element, nothing more. Gaze cannot be
 * rebuilt (the device gets path points, not the sinusoids), so gaze is refused here.
 */
export function stimulusFromReveals(revealed: readonly RevealEvent[], durationMs: number, modalities: readonly Modality[]): Stimulus {
  if (modalities.includes('gaze')) throw new Error('a causal attack cannot rebuild a gaze stimulus from its reveals; use a recorded class (replay, recording) for gaze');
  const s: Stimulus = { version: 1, durationMs, modalities: [...modalities] };
  const of = (m: Modality) => revealed.filter((e) => e.modality === m).sort((a, b) => a.index - b.index);
  if (modalities.includes('hrv')) {
    const seg = of('hrv').flatMap((e) => (e.payload.type === 'breathing-rate' ? [e.payload] : []));
    const segments: BreathingSegment[] = seg.map((p, i) => ({ startMs: p.startMs, endMs: seg[i + 1]?.startMs ?? durationMs, rateBpm: p.rateBpm, phaseAtStart: p.phaseAtStart }));
    s.hrv = { kind: 'paced-breathing', segments: segments.length ? segments : [{ startMs: 0, endMs: durationMs, rateBpm: 6, phaseAtStart: 0 }] };
  }
  if (modalities.includes('motion')) s.motion = { kind: 'gestures', prompts: of('motion').flatMap((e) => (e.payload.type === 'gesture' ? [{ atMs: e.dueAt, gesture: e.payload.gesture }] : [])) };
  if (modalities.includes('typing')) s.typing = { kind: 'typing', words: of('typing').flatMap((e) => (e.payload.type === 'word' ? [{ atMs: e.dueAt, word: e.payload.word }] : [])) };
  if (modalities.includes('voice')) {
    s.voice = { kind: 'words-aloud', words: of('voice').flatMap((e) => (e.payload.type === 'word' ? [{ atMs: e.dueAt, word: e.payload.word, syllables: syllablesOf.get(e.payload.word) ?? 1 }] : [])) };
  }
  if (modalities.includes('eda')) s.eda = { kind: 'cues', events: of('eda').flatMap((e) => (e.payload.type === 'cue' ? [{ atMs: e.dueAt, cue: e.payload.cue }] : [])) };
  return s;
}

function only(streams: SessionStreams, modalities: readonly Modality[]): SessionStreams {
  return Object.fromEntries(Object.entries(streams).filter(([m]) => modalities.includes(m as Modality))) as SessionStreams;
}

/** Samples and hooks for one attack attempt against a session of `durationMs` using `modalities`. */
export function transportAttack(kind: TransportAttack, o: { victim: SimPerson; modalities: Modality[]; durationMs: number; seed: string; recording?: SessionStreams }): { source: SampleSource; hooks: SessionHooks; note: string } {
  const m = o.modalities[0]!;
  const placeholder = (): Stimulus => deriveStimulus(createHash('sha256').update(`placeholder/${o.seed}`).digest(), { durationMs: o.durationMs, modalities: o.modalities });
  if (kind === 'fast-forward') {
    const rec = o.recording ?? attack('recording', { stimulus: placeholder(), victim: o.victim, modality: m, seed: o.seed }).streams;
    const inner = recordedSource(rec);
    // Device time runs at twice real time: every sample claims a time still in the future.
    return { source: { next: (from, until, revealed) => inner.next(from * 2, until * 2, revealed) }, hooks: {}, note: 'a recording sent at twice real time' };
  }
  if (kind === 'batch-upload') {
    return {
      source: simulatorSource(o.victim, o.modalities, `batch/${o.seed}`),
      hooks: { holdUntilMs: o.durationMs },
      note: 'a live answer held back and uploaded in one go at the end',
    };
  }
  if (RECORDED.has(kind)) {
    if (o.recording !== undefined && kind === 'replay') return { source: recordedSource(only(o.recording, o.modalities)), hooks: {}, note: 'a submitted session streamed again, live' };
    const a = attack(kind as AttackKind, { stimulus: placeholder(), victim: o.victim, modality: m, seed: o.seed });
    return { source: recordedSource(only(a.streams, o.modalities)), hooks: {}, note: a.note };
  }
  // Answers THIS challenge: regenerate from what has been revealed whenever something new arrives.
  let seen = -1;
  let current = recordedSource({});
  return {
    source: {
      next(from, until, revealed) {
        if (revealed.length !== seen) {
          seen = revealed.length;
          const stim = stimulusFromReveals(revealed, o.durationMs, o.modalities);
          current = recordedSource(only(attack(kind as AttackKind, { stimulus: stim, victim: o.victim, modality: m, seed: o.seed }).streams, o.modalities));
        }
        return current.next(from, until, revealed);
      },
    },
    hooks: {},
    note: `${kind}, regenerated from the reveals as they arrive`,
  };
}
