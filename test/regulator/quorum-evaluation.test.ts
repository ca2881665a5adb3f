import { describe, expect, it } from 'vitest';
import type { Approval } from '../../clients/regulator/action-rules/approval.ts';
import { evaluateQuorum, parseQuorumRequirement, type QuorumRequirementView } from '../../clients/regulator/action-rules/quorum-evaluation.ts';
import { assignToGroups } from '../../clients/regulator/action-rules/group-assignment.ts';

const requirement = (extra: Record<string, unknown> = {}): QuorumRequirementView => {
  const q = parseQuorumRequirement({
    allOf: [
      { group: 'platform', min: 2, members: ['bob', 'carol', 'dave'] },
      { group: 'risk', min: 1, members: ['dave'] },
    ],
    comparators: [{ group: 'compliance', min: 1, biological: false, members: ['erin', 'wendy'] }],
    distinctOrganisations: false,
    windowMs: 3_600_000,
    ...extra,
  });
  if (typeof q === 'string') throw new Error(q);
  return q;
};
const live = { modality: 'hrv', score: 0.9 };
const auth = (who: string, at: number, more: Partial<Approval> = {}): Approval => ({ who, device: `${who}-phone`, role: 'authorizer', at, liveness: live, ...more });
const comp = (who: string, at: number, more: Partial<Approval> = {}): Approval => ({ who, device: `${who}-desk`, role: 'comparator', at, ...more });

describe('quorum evaluation (verifier)', () => {
  it('finds the assignment that meets the quorum when approvals name no group', () => {
    // dave must count in risk (he is its only member), carol and bob in platform.
    expect(evaluateQuorum(requirement(), [auth('dave', 100), auth('bob', 101), auth('carol', 102), comp('erin', 103)], undefined)).toEqual([]);
    expect(assignToGroups([{ key: 'dave', groups: ['platform', 'risk'] }, { key: 'bob', groups: ['platform'] }], new Map([['platform', 1], ['risk', 1]]))).toEqual(
      new Map([['dave', 'risk'], ['bob', 'platform']]),
    );
  });

  it('counts one person once, whatever the number of devices', () => {
    const p = evaluateQuorum(requirement(), [auth('bob', 100), auth('bob', 101, { device: 'bob-watch' }), auth('dave', 102), comp('erin', 103)], undefined);
    // Two distinct people for three places: whichever group the assignment leaves short is named.
    expect(p.join('; ')).toMatch(/group '(platform' has 1 of 2|risk' has 0 of 1) distinct qualifying approvers/);
  });

  it('authorizers need liveness of an accepted modality; comparators only when biological', () => {
    const noLive = auth('carol', 102);
    delete noLive.liveness;
    expect(evaluateQuorum(requirement(), [auth('bob', 100), noLive, auth('dave', 101), comp('erin', 103)], undefined).join()).toMatch(/has (1 of 2|0 of 1).*carol in 'platform': no liveness summary/);
    expect(evaluateQuorum(requirement(), [auth('bob', 100), auth('carol', 101), auth('dave', 102), comp('erin', 103)], ['voice']).join()).toMatch(/not one the policy accepted/);
    const bio = requirement({ comparators: [{ group: 'compliance', min: 1, biological: true, members: ['erin'] }] });
    expect(evaluateQuorum(bio, [auth('bob', 100), auth('carol', 101), auth('dave', 102), comp('erin', 103)], undefined)[0]).toMatch(/comparator group 'compliance' has 0 of 1/);
    expect(evaluateQuorum(bio, [auth('bob', 100), auth('carol', 101), auth('dave', 102), comp('erin', 103, { liveness: live })], undefined)).toEqual([]);
  });

  it('the comparator verifies after the authorizers and is not one of them', () => {
    expect(evaluateQuorum(requirement(), [comp('erin', 99), auth('bob', 100), auth('carol', 101), auth('dave', 102)], undefined).join()).toMatch(/erin's comparator approval is not dated after the authorizers met the quorum/);
    const both = evaluateQuorum(requirement({ comparators: [{ group: 'compliance', min: 1, biological: false, members: ['bob'] }] }), [auth('bob', 100), auth('carol', 101), auth('dave', 102), comp('bob', 103)], undefined);
    expect(both.join()).toMatch(/bob also approved as an authorizer/);
  });

  it('a witness stands in for the person it attests, only where the policy allows it, and is never the comparator', () => {
    // carol cannot produce any modality: wendy (an institutional witness) attests her authorisation in person.
    const forCarol = comp('wendy', 101, { role: 'witness', onBehalfOf: 'carol' });
    const approvals = [auth('bob', 100), forCarol, auth('dave', 102), comp('erin', 103)];
    expect(evaluateQuorum(requirement(), approvals, undefined).join()).toMatch(/group '(platform' has 1 of 2|risk' has 0 of 1)/);
    expect(evaluateQuorum(requirement({ allowWitness: true }), approvals, undefined)).toEqual([]);
    // A witness approval is not a comparator verification.
    const noComparator = [auth('bob', 100), auth('carol', 101), auth('dave', 102), comp('wendy', 103, { role: 'witness', onBehalfOf: 'x' })];
    expect(evaluateQuorum(requirement({ allowWitness: true }), noComparator, undefined)[0]).toMatch(/comparator group 'compliance' has 0 of 1/);
    // The witness took part, so it cannot also be the comparator.
    const sameWitness = [auth('bob', 100), comp('erin', 101, { role: 'witness', onBehalfOf: 'carol' }), auth('dave', 102), comp('erin', 103)];
    expect(evaluateQuorum(requirement({ allowWitness: true }), sameWitness, undefined).join()).toMatch(/erin also approved as an authorizer/);
  });

  it('distinct organisations: at most one counted authorizer per organisation', () => {
    const q = requirement({ distinctOrganisations: true, organisationOf: { bob: 'acme', carol: 'acme', dave: 'bank' } });
    expect(evaluateQuorum(q, [auth('bob', 100), auth('carol', 101), auth('dave', 102), comp('erin', 103)], undefined).join()).toMatch(
      /has (1 of 2|0 of 1) distinct qualifying approvers from distinct organisations/,
    );
    const ok = requirement({ distinctOrganisations: true, organisationOf: { bob: 'acme', carol: 'bank', dave: 'gov' } });
    expect(evaluateQuorum(ok, [auth('bob', 100), auth('carol', 101), auth('dave', 102), comp('erin', 103)], undefined)).toEqual([]);
  });

  it('refuses malformed requirements and approvals in unknown groups', () => {
    for (const bad of [null, {}, { allOf: [], comparators: [] }, { allOf: [{ group: 'g', min: 0, members: [] }], comparators: [{ group: 'c', min: 1, members: [] }] }]) {
      expect(typeof parseQuorumRequirement(bad)).toBe('string');
    }
    expect(evaluateQuorum(requirement(), [auth('bob', 100, { group: 'treasury' }), auth('carol', 101), auth('dave', 102), comp('erin', 103)], undefined).join()).toMatch(/names group 'treasury'/);
  });
});
