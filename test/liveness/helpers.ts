import { createHash } from 'node:crypto';
import { deriveStimulus } from '../../src/core/stimulus/stimulus.ts';
import type { Modality, Stimulus } from '../../src/core/stimulus/types.ts';
import { verifyLiveness } from '../../src/core/liveness/verify.ts';
import type { LivenessResult } from '../../src/core/liveness/types.ts';
import { makePerson } from '../../clients/device/person.ts';
import { simulateSession, type SimulatedSession } from '../../clients/device/session.ts';

/** Test seeds live in their own namespace ("test/..."), disjoint from the tune and eval corpora. */
export const seedOf = (label: string): Buffer => createHash('sha256').update('test/' + label).digest();

export function stimulusFor(label: string, modalities: Modality[]): Stimulus {
  return deriveStimulus(seedOf(label), { modalities });
}

export function genuine(label: string, modalities: Modality[], person = 'test-person-' + label): { stimulus: Stimulus; session: SimulatedSession; result: LivenessResult } {
  const stimulus = stimulusFor(label, modalities);
  const session = simulateSession(stimulus, makePerson(person), modalities, { seed: 'test/' + label });
  const result = verifyLiveness({ stimulus, streams: session.streams, arrivals: session.arrivals });
  return { stimulus, session, result };
}
