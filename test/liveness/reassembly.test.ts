import { describe, expect, it } from 'vitest';
import { verifyLiveness } from '../../src/core/liveness/verify.ts';
import { elementDistance, ELEMENT_SCALES } from '../../src/core/liveness/elements.ts';
import type { Fingerprint, LivenessResult } from '../../src/core/liveness/types.ts';
import type { Modality } from '../../src/core/stimulus/types.ts';
import { FAMILY_A, FAMILY_B, type SimFamily } from '../../clients/device/family.ts';
import { attack } from '../../clients/device/attacks.ts';
import { stimulusFor } from './helpers.ts';

/**
 * Re-assembled recordings (issue #15 item 5): the victim's earlier accepted sessions cut element by
 * element and pasted at a new challenge's element times. Each element is compared with the element
 * descriptors the gateway kept from earlier accepted sessions.
 */
const failedIds = (r: LivenessResult): string[] => [...Object.values(r.modalities).flatMap((m) => m!.checks), ...r.checks].filter((c) => !c.passed).map((c) => c.id);
const stripped = (h: readonly Fingerprint[]): Fingerprint[] => h.map((f) => ({ v: 1, modalities: f.modalities }));

function earlier(fam: SimFamily, person: { id: string }, m: Modality, n: number): Fingerprint[] {
  const out: Fingerprint[] = [];
  for (let k = 0; k < n; k++) {
    const stim = stimulusFor(`reasm-earlier/${fam.name}/${m}/${k}`, [m]);
    const r = verifyLiveness({ stimulus: stim, streams: fam.simulate(stim, person, [m], { seed: `reasm-earlier/${k}` }).streams });
    if (r.accepted) out.push(r.fingerprint);
  }
  return out;
}

describe('re-assembled recordings', () => {
  for (const [fam, m] of [[FAMILY_A, 'typing'], [FAMILY_B, 'voice'], [FAMILY_B, 'eda'], [FAMILY_A, 'hrv'], [FAMILY_A, 'motion']] as const) {
    it(`${m} (family ${fam.name}): rejected as reuse; without the kept element descriptors the reuse check has nothing to compare`, () => {
      const victim = fam.makePerson(`reasm-victim-${m}`);
      let reuse = 0, reuseWithout = 0;
      for (let j = 0; j < 4; j++) {
        const stim = stimulusFor(`reasm/${m}/${j}`, [m]);
        const at = attack('re-assembled', { stimulus: stim, victim, modality: m, seed: `reasm/${m}/${j}`, family: fam });
        expect(at.history.some((h) => (h.elements?.length ?? 0) > 0)).toBe(true);
        if (failedIds(verifyLiveness({ stimulus: at.stimulus, streams: at.streams, arrivals: at.arrivals, history: at.history })).includes('reuse')) reuse++;
        if (failedIds(verifyLiveness({ stimulus: at.stimulus, streams: at.streams, arrivals: at.arrivals, history: stripped(at.history) })).includes('reuse')) reuseWithout++;
      }
      expect(reuse).toBeGreaterThanOrEqual(3);
      expect(reuseWithout).toBe(0);
    });
  }

  it("a person's own genuine sessions are not taken for reuse of their earlier ones", () => {
    for (const [fam, m] of [[FAMILY_A, 'motion'], [FAMILY_B, 'motion'], [FAMILY_A, 'eda'], [FAMILY_B, 'typing']] as const) {
      const person = fam.makePerson(`reasm-genuine-${fam.name}-${m}`);
      const history = earlier(fam, person, m, 6);
      expect(history.length).toBeGreaterThanOrEqual(3);
      for (let j = 0; j < 4; j++) {
        const stim = stimulusFor(`reasm-genuine/${m}/${j}`, [m]);
        const s = fam.simulate(stim, person, [m], { seed: `reasm-genuine/${j}` });
        expect(failedIds(verifyLiveness({ stimulus: stim, streams: s.streams, history }))).not.toContain('reuse');
      }
    }
  });

  it('keeps a few numbers per element, none for gaze', () => {
    const stim = stimulusFor('reasm-size', ['motion', 'typing', 'gaze', 'voice', 'eda', 'hrv']);
    const s = FAMILY_A.simulate(stim, FAMILY_A.makePerson('reasm-size'), stim.modalities, { seed: 'reasm-size' });
    const els = verifyLiveness({ stimulus: stim, streams: s.streams }).fingerprint.elements!;
    expect(els.length).toBeGreaterThan(15);
    expect(els.some((e) => e.m === 'gaze')).toBe(false);
    for (const e of els) expect(e.v.length).toBe(ELEMENT_SCALES[e.m as Exclude<Modality, 'gaze'>].length);
    expect(elementDistance(els[0]!, { ...els[0]!, key: 'another' })).toBe(Infinity);
  });
});
