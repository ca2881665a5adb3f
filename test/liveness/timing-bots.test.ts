import { describe, expect, it } from 'vitest';
import { verifyLiveness } from '../../src/core/liveness/verify.ts';
import { buildProfile } from '../../src/core/liveness/profile.ts';
import { keyMoments, keyboardProfile, patternZ, rankAutocorr, type KeyPairs } from '../../src/core/liveness/keyboard.ts';
import type { LivenessResult, PersonProfile } from '../../src/core/liveness/types.ts';
import { FAMILY_A, FAMILY_B, type SimFamily } from '../../clients/device/family.ts';
import { attack } from '../../clients/device/attacks.ts';
import { Rng } from '../../clients/device/rng.ts';
import { stimulusFor } from './helpers.ts';

/**
 * Timing bots (issue #15 item 6): log-normal and 1/f keystroke timing, however human its distribution,
 * does not depend on the keys and does not follow the Wing-Kristofferson serial structure of a hand.
 */
const failedIds = (r: LivenessResult): string[] => Object.values(r.modalities).flatMap((m) => m!.checks).filter((c) => !c.passed).map((c) => c.id);

function enrolled(fam: SimFamily, id: string): { person: { id: string }; profile: PersonProfile } {
  const person = fam.makePerson(id);
  const res = [0, 1, 2].map((k) => {
    const stim = stimulusFor(`bots-enrol/${id}/${k}`, ['typing']);
    return verifyLiveness({ stimulus: stim, streams: fam.simulate(stim, person, ['typing'], { seed: `bots-enrol/${id}/${k}` }).streams });
  });
  return { person, profile: buildProfile(res) };
}

describe('keyboard dependence (keyboard.ts)', () => {
  it('finds a Fitts-law pattern, and about N(0, 1) for intervals that ignore the keys', () => {
    const r = new Rng('kb-unit');
    const letters = 'thequickbrownfoxjumpsoverthelazydogpackmyboxwithfivedozenliquorjugs';
    const make = (fitts: boolean): KeyPairs => {
      const p: KeyPairs = { t: [], same: [], dist: [], y: [], raw: [] };
      for (let i = 1; i < letters.length; i++) {
        const same = r.chance(0.5) ? 1 : 0, dist = Math.log2(1 + r.uniform(0, 8));
        p.t.push(i * 300); p.same.push(same); p.dist.push(dist);
        const y = Math.log(fitts ? 120 + 90 * dist : 250) + 0.2 * r.normal();
        p.y.push(y); p.raw.push(y);
      }
      return p;
    };
    const own = keyboardProfile([keyMoments(make(true)), keyMoments(make(true)), keyMoments(make(true))])!;
    expect(own.pattern[1]).toBeGreaterThan(0.2);
    expect(own.expectedZ).toBeGreaterThan(4);
    const nulls = Array.from({ length: 200 }, () => patternZ(keyMoments(make(false)), own.pattern));
    const mean = nulls.reduce((a, b) => a + b, 0) / nulls.length;
    const sd = Math.sqrt(nulls.reduce((a, b) => a + (b - mean) ** 2, 0) / nulls.length);
    expect(Math.abs(mean)).toBeLessThan(0.25);
    expect(sd).toBeGreaterThan(0.8);
    expect(sd).toBeLessThan(1.2);
  });

  it('rank autocorrelation: positive for a 1/f series, near zero for independent intervals', () => {
    const r = new Rng('ac-unit');
    let x = 0;
    const pink = Array.from({ length: 60 }, () => (x = 0.8 * x + r.normal()));
    const white = Array.from({ length: 60 }, () => r.normal());
    expect(rankAutocorr(pink)).toBeGreaterThan(0.4);
    expect(Math.abs(rankAutocorr(white))).toBeLessThan(0.35);
  });
});

describe('timing bots against the typing verifier', () => {
  it('a log-normal bot fails typing.keyboard against a typist whose timing follows the keyboard; the typist passes', () => {
    // A family-B person whose enrolled pattern is strong enough for a threshold of z >= 2 (about 2 % of timing bots reach it).
    let chosen: ReturnType<typeof enrolled> | undefined;
    for (let i = 0; i < 30 && !chosen; i++) {
      const e = enrolled(FAMILY_B, `bots-b-${i}`);
      if ((e.profile.typing?.keyboard?.expectedZ ?? 0) >= 4.5) chosen = e;
    }
    expect(chosen).toBeDefined();
    const { person, profile } = chosen!;
    let genuineFailed = 0, botsPassed = 0;
    for (let j = 0; j < 8; j++) {
      const stim = stimulusFor(`bots-session/${j}`, ['typing']);
      const s = FAMILY_B.simulate(stim, person, ['typing'], { seed: `bots-session/${j}` });
      if (failedIds(verifyLiveness({ stimulus: stim, streams: s.streams, arrivals: s.arrivals, profile })).includes('typing.keyboard')) genuineFailed++;
      const at = attack('lognormal-bot', { stimulus: stim, victim: person, modality: 'typing', seed: `bots/${j}`, family: FAMILY_B });
      const res = verifyLiveness({ stimulus: at.stimulus, streams: at.streams, arrivals: at.arrivals, profile });
      if (!failedIds(res).includes('typing.keyboard')) botsPassed++;
    }
    expect(genuineFailed).toBeLessThanOrEqual(1);
    expect(botsPassed).toBeLessThanOrEqual(1);
  });

  it('1/f (pink) timing bots fail typing.tempo-correlation; family-A typists, whose tempo wanders, mostly do not', () => {
    const victim = FAMILY_A.makePerson('bots-a-victim');
    let pinkCaught = 0, humansCaught = 0;
    for (let j = 0; j < 10; j++) {
      const stim = stimulusFor(`pink/${j}`, ['typing']);
      const at = attack('pink-bot', { stimulus: stim, victim, modality: 'typing', seed: `pink/${j}`, family: FAMILY_A });
      if (failedIds(verifyLiveness({ stimulus: at.stimulus, streams: at.streams })).includes('typing.tempo-correlation')) pinkCaught++;
      const s = FAMILY_A.simulate(stim, FAMILY_A.makePerson(`pink-human-${j}`), ['typing'], { seed: `pink-human/${j}` });
      if (failedIds(verifyLiveness({ stimulus: stim, streams: s.streams })).includes('typing.tempo-correlation')) humansCaught++;
    }
    expect(pinkCaught).toBeGreaterThanOrEqual(7);
    expect(humansCaught).toBeLessThanOrEqual(1);
  });
});
