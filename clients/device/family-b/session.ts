import type { Modality, Stimulus } from '../../../src/core/stimulus/types.ts';
import type { ChunkArrival, SessionStreams } from '../../../src/core/liveness/types.ts';
import { Rng } from '../rng.ts';
import { honestArrivals, sampleTimes, type SimulatedSession } from '../session.ts';
import type { BodyB } from './body.ts';
import { edaB } from './eda.ts';
import { gazeB } from './gaze.ts';
import { hrvB } from './hrv.ts';
import { motionB, planGesturesB } from './motion.ts';
import { dayB, type PersonB } from './person.ts';
import { typingB } from './typing.ts';
import { voiceB } from './voice.ts';

/** Ground truth of a family-B session: true response onsets (device ms) per element, NaN when not answered. */
export interface TruthB { motion?: number[]; typing?: number[]; voice?: number[]; eda?: number[] }

export interface SimulatedSessionB extends SimulatedSession { truth: TruthB }

/**
 * One family-B session. Unlike family A it writes each stream in one pass (it is an evaluation
 * corpus, not a device); each response is drawn from its element's reveal time onward only, so no
 * answer precedes what the device was sent. The body plan comes first: gestures, then taps, so the
 * accelerometer feels the taps and typing pauses for gestures. Arrivals use the same honest
 * transport model as family A (the network is not what the families differ in).
 */
export function simulateSessionB(stimulus: Stimulus, trait: PersonB, modalities: readonly Modality[] = stimulus.modalities, options: { seed: string }): SimulatedSessionB {
  const rng = new Rng('family-b/session/' + options.seed + '/' + trait.id);
  const p = dayB(trait, rng.fork('day'));
  const D = stimulus.durationMs;
  const body: BodyB = { gestures: [], taps: [] };
  const streams: SessionStreams = {};
  const truth: TruthB = {};
  const has = (m: Modality): boolean => modalities.includes(m);
  const plan = has('motion') && stimulus.motion ? planGesturesB(p.motion, stimulus.motion.prompts, rng.fork('plan'), body) : null;
  if (plan) truth.motion = plan.truth;
  if (has('typing') && stimulus.typing) {
    const t = typingB(p, stimulus.typing.words, D, rng.fork('typing'), body);
    streams.typing = t.stream;
    truth.typing = t.truth;
  }
  body.taps.sort((a, b) => a - b);
  if (plan) streams.motion = motionB(p.motion, plan, D, rng.fork('motion'), body);
  if (has('hrv') && stimulus.hrv) streams.hrv = hrvB(p.hrv, stimulus.hrv.segments, D, rng.fork('hrv')).stream;
  if (has('gaze') && stimulus.gaze) streams.gaze = gazeB(p.gaze, stimulus.gaze, D, rng.fork('gaze'), body);
  if (has('voice') && stimulus.voice) {
    const v = voiceB(p.voice, stimulus.voice.words, D, rng.fork('voice'));
    streams.voice = v.stream;
    truth.voice = v.truth;
  }
  if (has('eda') && stimulus.eda) {
    const e = edaB(p.eda, stimulus.eda.events, D, rng.fork('eda'));
    streams.eda = e.stream;
    truth.eda = e.truth;
  }
  const net = new Rng('net/' + options.seed + '/' + trait.id);
  const arrivals: Partial<Record<Modality, ChunkArrival[]>> = {};
  for (const m of modalities) arrivals[m] = honestArrivals(sampleTimes(streams, m), D, net.fork(m));
  return { streams, arrivals, truth };
}
