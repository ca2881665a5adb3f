import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyLiveness } from '../../src/core/liveness/verify.ts';
import { deriveStimulus } from '../../src/core/stimulus/stimulus.ts';
import { makePerson } from '../../clients/device/person.ts';
import { simulateSession } from '../../clients/device/session.ts';
import { STEADY_SEEDS, SUSTAINED } from '../signature/helpers.ts';

/**
 * The answers the tests against a gateway process sign with (STEADY_SEEDS) are accepted whatever
 * the stimulus, as far as 200 fixed stimuli show. Those tests see a new stimulus on every run, so a
 * seed the liveness decision refuses now and then makes them fail now and then, for a reason that
 * is not theirs. This test fails instead, on every run, when a change to the simulator or the
 * checks makes one of the seeds unsteady: measure a new one (5,000 random stimuli, none refused) and
 * put it in STEADY_SEEDS. The seeds chosen before were refused for 1.3 % of stimuli (carol, dave):
 * with them this test fails.
 */
const STIMULI = 200;
const durationMs = Number.parseInt(SUSTAINED, 10) * 1000;

describe('the simulated answers of the tests against a gateway process', () => {
  for (const [person, seeds] of Object.entries(STEADY_SEEDS)) {
    for (const seed of seeds) {
      it(`${person} (${seed}) is accepted for ${STIMULI} stimuli`, () => {
        const refused: string[] = [];
        for (let i = 0; i < STIMULI; i++) {
          const stimulus = deriveStimulus(createHash('sha256').update(`steady/${i}`).digest(), { durationMs, modalities: ['motion'] });
          const session = simulateSession(stimulus, makePerson(person), ['motion'], { seed });
          const result = verifyLiveness({ stimulus, streams: session.streams, arrivals: session.arrivals });
          if (!result.accepted) refused.push(`stimulus ${i}: ${result.reasons.join('; ')}`);
        }
        expect(refused).toEqual([]);
      });
    }
  }
});
