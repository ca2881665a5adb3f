import { describe, expect, it } from 'vitest';
import { MODALITIES, type Modality } from '../../src/core/policy/modality.ts';
import { verifyLiveness } from '../../src/core/liveness/verify.ts';
import { buildProfile } from '../../src/core/liveness/profile.ts';
import { makePerson } from '../../clients/device/person.ts';
import { simulateSession } from '../../clients/device/session.ts';
import { genuine, stimulusFor } from './helpers.ts';

/**
 * Bona fide sessions: simulated people answering live. Verification is statistical, so each
 * modality is held to an acceptance rate over several people and challenges (the evaluation corpus
 * measures the exact BPCER); a broken verifier or simulator drops far below these floors.
 */
const FLOOR: Record<Modality, number> = { hrv: 0.75, motion: 0.9, typing: 0.8, gaze: 0.9, voice: 0.9, eda: 0.7 };

describe('bona fide sessions are accepted', () => {
  for (const m of MODALITIES) {
    it(`${m} alone, 12 sessions across 12 people`, () => {
      let ok = 0;
      const reasons: string[] = [];
      for (let i = 0; i < 12; i++) {
        const { result } = genuine(`bf-${m}-${i}`, [m]);
        if (result.accepted) ok++;
        else reasons.push(...result.reasons);
        expect(result.modalities[m]!.checks.length).toBeGreaterThan(4);
      }
      expect(ok / 12, reasons.join('\n')).toBeGreaterThanOrEqual(FLOOR[m]);
    });
  }

  it('all six modalities together (cross-modal checks included)', () => {
    let ok = 0;
    for (let i = 0; i < 5; i++) {
      const { result } = genuine(`bf-all-${i}`, [...MODALITIES]);
      expect(result.checks.some((c) => c.id === 'cross.taps')).toBe(true);
      expect(result.checks.some((c) => c.id === 'cross.shake-gaze')).toBe(true);
      expect(result.checks.some((c) => c.id.startsWith('timing.'))).toBe(true);
      if (result.accepted) ok++;
    }
    expect(ok).toBeGreaterThanOrEqual(4);
  });

  it('pairs: typing+motion and motion+gaze pass their coupling checks', () => {
    for (const pair of [['typing', 'motion'], ['motion', 'gaze']] as Modality[][]) {
      for (let i = 0; i < 3; i++) {
        const { result } = genuine(`bf-pair-${pair.join('')}-${i}`, pair);
        const cross = result.checks.filter((c) => c.id.startsWith('cross.'));
        expect(cross.length).toBeGreaterThan(0);
        expect(cross.every((c) => c.passed), cross.map((c) => c.message).join('\n')).toBe(true);
      }
    }
  });

  it('accepted results carry a score in [0.5, 1], features and a fingerprint, and no raw samples', () => {
    const { result } = genuine('bf-shape', ['gaze']);
    expect(result.accepted).toBe(true);
    expect(result.score).toBeGreaterThanOrEqual(0.5);
    expect(result.score).toBeLessThanOrEqual(1);
    expect(result.reasons).toEqual([]);
    expect(result.fingerprint.modalities.gaze).toHaveLength(64);
    expect(JSON.stringify(result)).not.toMatch(/"pts"/);
  });

  it('is pure: the same input gives the same result', () => {
    const a = genuine('bf-pure', ['voice', 'eda']);
    const b = verifyLiveness({ stimulus: a.stimulus, streams: structuredClone(a.session.streams), arrivals: a.session.arrivals });
    expect(b).toEqual(a.result);
  });

  it('an enrolled profile accepts its owner and rejects a clearly different voice', () => {
    const owner = makePerson('profile-owner');
    const enrol = [0, 1, 2].map((k) => {
      const s = stimulusFor(`enrol-${k}`, ['voice', 'hrv']);
      return verifyLiveness({ stimulus: s, streams: simulateSession(s, owner, s.modalities, { seed: `enrol-${k}` }).streams });
    });
    const profile = buildProfile(enrol);
    expect(profile.voice?.f0MedianHz[0]).toBeGreaterThan(0);
    const stim = stimulusFor('profile-check', ['voice']);
    const mine = verifyLiveness({ stimulus: stim, streams: simulateSession(stim, owner, ['voice'], { seed: 'p1' }).streams, profile });
    expect(mine.accepted, mine.reasons.join('\n')).toBe(true);
    // Find a person whose pitch is far from the owner's (different voice range).
    let other = makePerson('profile-other-0');
    for (let i = 1; Math.abs(Math.log2(other.voice.f0Hz / owner.voice.f0Hz)) < 0.5; i++) other = makePerson('profile-other-' + i);
    const theirs = verifyLiveness({ stimulus: stim, streams: simulateSession(stim, other, ['voice'], { seed: 'p2' }).streams, profile });
    expect(theirs.accepted).toBe(false);
    expect(theirs.reasons.join('\n')).toMatch(/outside this person's enrolled/);
  });
});
