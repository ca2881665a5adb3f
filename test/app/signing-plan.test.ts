import { describe, expect, it } from 'vitest';
import { MODALITIES, type Modality } from '../../src/core/policy/modality.ts';
import { planRoles, sessionMeetsPlan } from '../../src/core/policy/signature-roles.ts';
import type { SignatureSpec } from '../../src/core/policy/types.ts';
import { capturePlan, meetsRoles, type ChallengeRoles } from '../../web/app/src/signing/plan.ts';

/**
 * The signing screen's reading of a challenge's roles (web/app/src/signing/plan.ts): what it ticks,
 * what it says, and that it lets start exactly the sessions the gateway's hello check accepts.
 */
const EXAMPLE: SignatureSpec['roles'] = { primary: ['motion', 'typing', 'gaze', 'voice'], minPrimary: 2, onePrimary: ['supporting', 'longer', 'witness'] };
const spec = (modalities: Modality[]): SignatureSpec => ({ windowMs: 900_000, sustainedMs: 30_000, modalities, maxAttempts: 5, roles: EXAMPLE! });
const view = (p: NonNullable<ReturnType<typeof planRoles>>): ChallengeRoles => ({ mode: p.mode, primary: p.primary, minPrimary: p.minPrimary, supporting: p.supporting, minSupporting: p.minSupporting });
const phone = (m: Modality) => m === 'motion' || m === 'typing' || m === 'voice';
const withStrap = (m: Modality) => phone(m) || m === 'hrv';

function subsets<T>(xs: readonly T[]): T[][] {
  return xs.reduce<T[][]>((acc, x) => [...acc, ...acc.map((s) => [...s, x])], [[]]);
}

describe('the signing plan in the app', () => {
  it('ticks two primaries a phone has, and says so', () => {
    const p = planRoles(spec([...MODALITIES]), ['motion', 'typing', 'voice'])!;
    const c = capturePlan({ modalities: ['motion', 'typing', 'voice'], roles: view(p), sustainedMs: p.sustainedMs }, phone);
    expect(c).toEqual({ preselect: ['motion', 'typing'], needs: 'This request needs two of movement, typing or voice, at the same time, for about 30 seconds.' });
  });

  it('one primary: with the strap when there is one, else longer; a browser without the strap cannot meet the first', () => {
    const s = planRoles(spec(['hrv', 'motion']), ['hrv', 'motion'])!;
    expect(capturePlan({ modalities: ['hrv', 'motion'], roles: view(s), sustainedMs: s.sustainedMs }, withStrap)).toEqual({
      preselect: ['motion', 'hrv'],
      needs: 'This request needs movement together with heart rhythm, at the same time, for about 30 seconds.',
    });
    expect(capturePlan({ modalities: ['hrv', 'motion'], roles: view(s), sustainedMs: s.sustainedMs }, phone).unmet).toMatch(/^This browser cannot capture heart rhythm, so it cannot sign this request\./);
    const l = planRoles(spec(['hrv', 'motion']), ['motion', 'typing'])!;
    expect(capturePlan({ modalities: ['motion'], roles: view(l), sustainedMs: l.sustainedMs }, phone)).toEqual({
      preselect: ['motion'],
      needs: 'This request needs movement for about 60 seconds: longer than usual, because you sign with fewer ways than the policy asks for.',
    });
  });

  it('without roles any one offered modality, motion first', () => {
    expect(capturePlan({ modalities: ['hrv', 'motion'], sustainedMs: 30_000 }, phone)).toEqual({ preselect: ['motion'] });
    expect(capturePlan({ modalities: ['hrv', 'typing'], sustainedMs: 30_000 }, phone)).toEqual({ preselect: ['typing'] });
  });

  it('lets start exactly what the gateway accepts at the hello, for every declaration and every choice', () => {
    for (const accepted of [[...MODALITIES], ['hrv', 'motion'] as Modality[], ['motion', 'typing', 'eda'] as Modality[]]) {
      for (const declared of subsets(MODALITIES)) {
        const p = planRoles(spec(accepted), declared);
        if (p === null || p.mode === 'witness') continue;
        const offered = accepted.filter((m) => declared.includes(m));
        for (const chosen of subsets(offered)) {
          if (chosen.length === 0) continue;
          expect(meetsRoles(view(p), chosen), JSON.stringify({ accepted, declared, chosen })).toBe(sessionMeetsPlan(p, chosen, p.sustainedMs) === null);
        }
        // What the page ticks meets the plan whenever it says the browser can.
        const c = capturePlan({ modalities: offered, roles: view(p), sustainedMs: p.sustainedMs }, withStrap);
        if (c.unmet === undefined) expect(meetsRoles(view(p), c.preselect), JSON.stringify({ accepted, declared })).toBe(true);
      }
    }
  });
});
