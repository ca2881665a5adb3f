import type { Modality, Stimulus } from '../../src/core/stimulus/types.ts';
import { makePersonB } from './family-b/person.ts';
import { simulateSessionB } from './family-b/session.ts';
import { makePerson } from './person.ts';
import { simulateSession, type SimulatedSession } from './session.ts';

/**
 * A simulator family: how people are drawn and how a session of one of them is simulated. Family A
 * (person.ts, session.ts) and family B (family-b/) are written from different published models so
 * the evaluation can choose thresholds on one and report on the other (bench/eval-liveness.ts).
 */
export interface SimFamily {
  name: 'a' | 'b';
  makePerson(id: string): { id: string };
  simulate(stimulus: Stimulus, person: { id: string }, modalities: readonly Modality[], options: { seed: string }): SimulatedSession;
}

export const FAMILY_A: SimFamily = {
  name: 'a',
  makePerson: (id) => makePerson(id),
  simulate: (stim, person, mods, o) => simulateSession(stim, person as ReturnType<typeof makePerson>, mods, o),
};

export const FAMILY_B: SimFamily = {
  name: 'b',
  makePerson: (id) => makePersonB(id),
  simulate: (stim, person, mods, o) => simulateSessionB(stim, person as ReturnType<typeof makePersonB>, mods, o),
};

export const FAMILIES: Readonly<Record<'a' | 'b', SimFamily>> = { a: FAMILY_A, b: FAMILY_B };
