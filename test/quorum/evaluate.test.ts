import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateQuorum, assignToGroups, type QuorumApproval, type QuorumContext, type QuorumRule, type PrincipalDirectory } from '../../src/core/quorum/index.ts';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const DIGEST = 'a'.repeat(64);
const live = { modality: 'hrv', score: 0.97 };

/** delete-cluster of examples/policy.yaml: platform 2 AND risk 1, then compliance verifies. */
const RULE: QuorumRule = {
  allOf: [
    { group: 'platform', min: 2, members: ['bob', 'carol', 'dave'] },
    { group: 'risk', min: 1, members: ['dave'] },
  ],
  distinctOrganisations: false,
  windowMs: 60 * MIN,
  comparators: [{ group: 'compliance', min: 1, biological: false, members: ['erin', 'olga'] }],
};

const DIRECTORY: PrincipalDirectory = {
  alice: { roles: ['authorizer'] },
  bob: { roles: ['authorizer'], devices: ['bob-phone', 'bob-watch'] },
  carol: { roles: ['authorizer'] },
  dave: { roles: ['authorizer'] },
  erin: { roles: ['comparator'] },
  olga: { roles: ['authorizer', 'comparator'] },
  frank: { roles: ['admin'] },
  rita: { roles: ['regulator'] },
  mallory: { roles: ['authorizer'], disabled: true },
  'agent-1': { roles: ['agent'] },
};

const CTX: QuorumContext = { actionDigest: DIGEST, openedAt: T0, requester: { agent: 'agent-1', owner: 'zoe' }, directory: DIRECTORY };

let minute = 0;
function ap(who: string, o: Partial<QuorumApproval> = {}): QuorumApproval {
  minute += 1;
  return { who, device: `${who}-phone`, role: 'authorizer', at: T0 + minute * MIN, liveness: live, ...o };
}
const cmp = (who: string, o: Partial<QuorumApproval> = {}) => ap(who, { role: 'comparator', ...o });
const codes = (e: ReturnType<typeof evaluateQuorum>) => e.refused.map((r) => r.code);

describe('quorum: groups and distinct people', () => {
  it('is met by 2 of platform AND 1 of risk, then the comparator', () => {
    minute = 0;
    const e = evaluateQuorum(RULE, [ap('bob'), ap('carol'), ap('dave'), cmp('erin')], CTX);
    expect(e.satisfied).toBe(true);
    expect(e.refused).toEqual([]);
    expect(e.groups).toEqual([
      { group: 'platform', required: 2, counted: 2, people: ['bob', 'carol'] },
      { group: 'risk', required: 1, counted: 1, people: ['dave'] },
    ]);
    expect(e.comparators[0]).toMatchObject({ group: 'compliance', counted: 1, people: ['erin'] });
    expect(e.quorumMetAt).toBe(T0 + 3 * MIN);
    expect(e.reasons).toEqual(['quorum met: platform 2/2, risk 1/1, compliance 1/1']);
  });

  it('ANDs the groups: a full platform without risk is not a quorum, nor risk without platform', () => {
    minute = 0;
    const noRisk = evaluateQuorum(RULE, [ap('bob'), ap('carol'), cmp('erin')], CTX);
    expect(noRisk.satisfied).toBe(false);
    expect(noRisk.quorumMet).toBe(false);
    expect(noRisk.shortfalls.map((s) => [s.code, s.group, s.counted, s.required])).toEqual([
      ['QUORUM_GROUP_SHORT', 'risk', 0, 1],
      ['COMPARATOR_SHORT', 'compliance', 0, 1],
    ]);
    expect(codes(noRisk)).toEqual(['COMPARATOR_BEFORE_QUORUM']);
    minute = 0;
    const noPlatform = evaluateQuorum(RULE, [ap('dave'), ap('bob')], CTX);
    expect(noPlatform.satisfied).toBe(false);
    // Two people for three places: exactly one place stays empty, whichever group it is in.
    expect(noPlatform.shortfalls.reduce((n, s) => n + s.required - s.counted, 0)).toBe(1 + 1); // + the comparator
    expect(noPlatform.counted.map((c) => c.who).sort()).toEqual(['bob', 'dave']);
  });

  it('puts a member of two groups where he is needed (dave in risk, not platform), whatever the order', () => {
    minute = 0;
    const e = evaluateQuorum(RULE, [ap('dave'), ap('bob'), ap('carol'), cmp('erin')], CTX);
    expect(e.satisfied).toBe(true);
    expect(e.counted.map((c) => [c.who, c.group])).toEqual([
      ['dave', 'risk'],
      ['bob', 'platform'],
      ['carol', 'platform'],
      ['erin', 'compliance'],
    ]);
  });

  it('counts a person in two groups once: dave alone cannot fill platform and risk', () => {
    minute = 0;
    const e = evaluateQuorum(RULE, [ap('bob'), ap('dave')], CTX);
    expect(e.quorumMet).toBe(false);
    const counted = e.counted.filter((c) => c.who === 'dave');
    expect(counted).toHaveLength(1);
    // Named group is honoured: dave asks to count in platform, so risk stays empty.
    minute = 0;
    const named = evaluateQuorum(RULE, [ap('bob'), ap('dave', { group: 'platform' }), ap('carol')], CTX);
    expect(named.groups.find((g) => g.group === 'risk')!.counted).toBe(0);
    expect(named.surplus).toHaveLength(1);
  });

  it('counts one person with several devices once (QUORUM_DUPLICATE_PERSON)', () => {
    minute = 0;
    const e = evaluateQuorum(RULE, [ap('bob', { device: 'bob-phone' }), ap('bob', { device: 'bob-watch' }), ap('dave')], CTX);
    expect(e.counted.map((c) => c.who)).toEqual(['bob', 'dave']);
    expect(e.groups.reduce((n, g) => n + g.counted, 0)).toBe(2);
    expect(e.refused).toHaveLength(1);
    expect(e.refused[0]).toMatchObject({ index: 1, code: 'QUORUM_DUPLICATE_PERSON' });
    expect(e.refused[0]!.message).toContain('bob already approved (approval 1, device bob-phone)');
    expect(e.satisfied).toBe(false);
  });

  it('a device belongs to one person: a registered device used by someone else, or one device for two people', () => {
    minute = 0;
    const stolen = evaluateQuorum(RULE, [ap('carol', { device: 'bob-phone' })], CTX);
    expect(stolen.refused[0]).toMatchObject({ code: 'QUORUM_DEVICE_MISMATCH' });
    expect(stolen.refused[0]!.message).toContain('registered to bob, not to carol');
    minute = 0;
    const shared = evaluateQuorum(RULE, [ap('carol', { device: 'kiosk' }), ap('dave', { device: 'kiosk' })], CTX);
    expect(codes(shared)).toEqual(['QUORUM_DEVICE_MISMATCH']);
    expect(shared.refused[0]!.who).toBe('dave');
    minute = 0;
    const unregistered = evaluateQuorum(RULE, [ap('bob', { device: 'borrowed-phone' })], CTX);
    expect(codes(unregistered)).toEqual(['QUORUM_DEVICE_NOT_REGISTERED']);
    const doubleRegistered = evaluateQuorum(RULE, [ap('carol', { device: 'x' })], { ...CTX, directory: { ...DIRECTORY, carol: { roles: ['authorizer'], devices: ['x'] }, dave: { roles: ['authorizer'], devices: ['x'] } } });
    expect(codes(doubleRegistered)).toEqual(['QUORUM_DEVICE_MISMATCH']);
  });
});

describe('quorum: separation of duties and roles', () => {
  it('the owner and operators of the requesting agent never count', () => {
    minute = 0;
    const ctx = { ...CTX, requester: { agent: 'agent-1', owner: 'bob', operators: ['carol'] } };
    const e = evaluateQuorum(RULE, [ap('bob'), ap('carol'), ap('dave')], ctx);
    expect(codes(e)).toEqual(['QUORUM_SEPARATION_OF_DUTIES', 'QUORUM_SEPARATION_OF_DUTIES']);
    expect(e.refused[0]!.message).toContain("bob owns the requesting agent 'agent-1'");
    expect(e.refused[1]!.message).toContain("carol operates the requesting agent 'agent-1'");
    expect(e.satisfied).toBe(false);
  });

  it('an agent credential never approves, even one listed in a group', () => {
    minute = 0;
    const rule: QuorumRule = { ...RULE, allOf: [{ group: 'platform', min: 1, members: ['agent-1', 'agent-2', 'bob'] }] };
    const e = evaluateQuorum(rule, [ap('agent-1'), ap('agent-2')], { ...CTX, directory: { ...DIRECTORY, 'agent-2': { roles: ['agent'] } } });
    expect(codes(e)).toEqual(['QUORUM_SEPARATION_OF_DUTIES', 'QUORUM_SEPARATION_OF_DUTIES']);
    expect(e.refused[0]!.message).toContain('is the requesting agent');
    expect(e.refused[1]!.message).toContain('holds an agent credential');
  });

  it('an authorizer who also approves as comparator counts only as authorizer', () => {
    minute = 0;
    const rule: QuorumRule = { ...RULE, allOf: [{ group: 'platform', min: 1, members: ['olga', 'bob'] }] };
    const e = evaluateQuorum(rule, [ap('olga'), cmp('olga')], CTX);
    expect(e.quorumMet).toBe(true);
    expect(e.satisfied).toBe(false);
    expect(e.refused[0]).toMatchObject({ code: 'QUORUM_SEPARATION_OF_DUTIES', role: 'comparator' });
    expect(e.refused[0]!.message).toContain('the comparator must be someone else');
  });

  it('roles: an admin cannot approve in place of an authorizer, a regulator never approves, a comparator needs the comparator role', () => {
    minute = 0;
    const rule: QuorumRule = { ...RULE, allOf: [{ group: 'platform', min: 1, members: ['frank', 'rita', 'bob'] }], comparators: [{ group: 'compliance', min: 1, biological: false, members: ['carol', 'erin'] }] };
    const e = evaluateQuorum(rule, [ap('frank'), ap('rita'), ap('bob'), cmp('carol')], CTX);
    expect(e.refused.map((r) => [r.who, r.code])).toEqual([
      ['frank', 'QUORUM_ROLE_FORBIDDEN'],
      ['rita', 'QUORUM_ROLE_FORBIDDEN'],
      ['carol', 'QUORUM_ROLE_FORBIDDEN'],
    ]);
    expect(e.refused[0]!.message).toContain('an admin cannot approve in place of an authorizer');
    expect(e.refused[2]!.message).toContain("needs the role 'comparator'");
  });

  it('unknown and disabled people never count', () => {
    minute = 0;
    const rule: QuorumRule = { ...RULE, allOf: [{ group: 'platform', min: 1, members: ['ghost', 'mallory'] }] };
    expect(codes(evaluateQuorum(rule, [ap('ghost'), ap('mallory')], CTX))).toEqual(['QUORUM_UNKNOWN_PERSON', 'QUORUM_PERSON_DISABLED']);
  });
});

describe('quorum: window, digest, biology, membership', () => {
  it('refuses approvals after the window closes and before the action existed', () => {
    const late = evaluateQuorum(RULE, [ap('bob', { at: T0 + 60 * MIN })], CTX);
    expect(codes(late)).toEqual(['QUORUM_WINDOW_CLOSED']);
    expect(late.refused[0]!.message).toContain('after the quorum window closed at 2026-01-01T01:00:00.000Z');
    expect(codes(evaluateQuorum(RULE, [ap('bob', { at: T0 + 60 * MIN - 1 })], CTX))).toEqual([]);
    expect(codes(evaluateQuorum(RULE, [ap('bob', { at: T0 - 1 })], CTX))).toEqual(['QUORUM_APPROVAL_BEFORE_REQUEST']);
    expect(codes(evaluateQuorum(RULE, [ap('bob', { at: Number.NaN })], CTX))).toEqual(['QUORUM_APPROVAL_BEFORE_REQUEST']);
  });

  it('refuses an approval of another digest', () => {
    const e = evaluateQuorum(RULE, [ap('bob', { digest: 'b'.repeat(64) }), ap('carol', { digest: DIGEST.toUpperCase() })], CTX);
    expect(codes(e)).toEqual(['QUORUM_DIGEST_MISMATCH']);
    expect(e.refused[0]!.who).toBe('bob');
  });

  it('authorizers must sign biologically; a biological comparator too', () => {
    minute = 0;
    const noLiveness = { ...ap('bob') };
    delete noLiveness.liveness;
    expect(codes(evaluateQuorum(RULE, [noLiveness], CTX))).toEqual(['QUORUM_NOT_BIOLOGICAL']);
    minute = 0;
    const bio: QuorumRule = { ...RULE, comparators: [{ group: 'compliance', min: 1, biological: true, members: ['erin'] }] };
    const erin = { ...cmp('erin'), at: T0 + 10 * MIN };
    delete erin.liveness;
    const e = evaluateQuorum(bio, [ap('bob'), ap('carol'), ap('dave'), erin], CTX);
    expect(codes(e)).toEqual(['COMPARATOR_NOT_BIOLOGICAL']);
    expect(evaluateQuorum(bio, [ap('bob'), ap('carol'), ap('dave'), { ...erin, liveness: live }], CTX).satisfied).toBe(true);
  });

  it('names the group problem: not part of the quorum, not a member, member of nothing', () => {
    minute = 0;
    const e = evaluateQuorum(RULE, [ap('bob', { group: 'treasury' }), ap('bob', { group: 'risk' }), ap('alice'), cmp('erin', { group: 'platform' })], CTX);
    expect(e.refused.map((r) => r.code)).toEqual(['QUORUM_GROUP_NOT_REQUIRED', 'QUORUM_NOT_A_MEMBER', 'QUORUM_NOT_A_MEMBER', 'QUORUM_GROUP_NOT_REQUIRED']);
    expect(e.refused[0]!.message).toContain("group 'treasury' is not part of this quorum (its groups: 'platform', 'risk')");
    expect(e.refused[1]!.message).toContain("bob is not a member of group 'risk'");
    expect(e.refused[2]!.message).toContain('alice is a member of none');
  });
});

describe('quorum: comparators and witnesses', () => {
  it('a comparator approval given before the quorum is met does not count; given again afterwards it does', () => {
    minute = 0;
    const early = cmp('erin');
    const e1 = evaluateQuorum(RULE, [early, ap('bob'), ap('carol'), ap('dave')], CTX);
    expect(e1.quorumMet).toBe(true);
    expect(e1.satisfied).toBe(false);
    expect(codes(e1)).toEqual(['COMPARATOR_BEFORE_QUORUM']);
    expect(e1.refused[0]!.message).toContain('not after the quorum was met at');
    const e2 = evaluateQuorum(RULE, [early, ap('bob'), ap('carol'), ap('dave'), cmp('erin')], CTX);
    expect(e2.satisfied).toBe(true);
    expect(codes(e2)).toEqual(['COMPARATOR_BEFORE_QUORUM']);
    // A comparator at the very instant the quorum was met did not see it met.
    minute = 0;
    const [b, c, d] = [ap('bob'), ap('carol'), ap('dave')];
    expect(codes(evaluateQuorum(RULE, [b, c, d, cmp('erin', { at: d.at })], CTX))).toEqual(['COMPARATOR_BEFORE_QUORUM']);
  });

  it('a comparator minimum counts distinct comparators', () => {
    minute = 0;
    const two: QuorumRule = { ...RULE, comparators: [{ group: 'compliance', min: 2, biological: false, members: ['erin', 'olga'] }] };
    const e = evaluateQuorum(two, [ap('bob'), ap('carol'), ap('dave'), cmp('erin'), cmp('erin', { device: 'erin-laptop' })], CTX);
    expect(e.satisfied).toBe(false);
    expect(e.shortfalls[0]!.message).toBe("comparator group 'compliance' has 1 of 2 required verification(s), given after the quorum");
    expect(codes(e)).toEqual(['QUORUM_DUPLICATE_PERSON']);
    expect(evaluateQuorum(two, [ap('bob'), ap('carol'), ap('dave'), cmp('erin'), cmp('olga')], CTX).satisfied).toBe(true);
  });

  it('witness approvals (a person authorising in front of an institutional witness) are recorded but count only where the policy allows', () => {
    minute = 0;
    const [b, d] = [ap('bob'), ap('dave')];
    // carol can use no biometric modality: erin (comparator role) witnesses her authorisation.
    const witnessed = ap('erin', { role: 'witness', onBehalfOf: 'carol', liveness: undefined });
    delete witnessed.liveness;
    const refused = evaluateQuorum(RULE, [b, d, witnessed, cmp('olga')], CTX);
    expect(refused.quorumMet).toBe(false);
    expect(codes(refused)).toEqual(['QUORUM_WITNESS_NOT_ALLOWED', 'COMPARATOR_BEFORE_QUORUM']);
    const allowed = evaluateQuorum({ ...RULE, allowWitness: true }, [b, d, witnessed, cmp('olga')], CTX);
    expect(allowed.satisfied).toBe(true);
    expect(allowed.counted.find((c) => c.role === 'witness')).toMatchObject({ person: 'carol', who: 'erin', group: 'platform' });
    expect(allowed.refused[0]?.message ?? '').not.toContain('erin');
  });

  it('a witness must be a comparator, independent, and name a registered authorizer other than itself; the witness never also verifies', () => {
    minute = 0;
    const rule: QuorumRule = { ...RULE, allowWitness: true };
    const w = (who: string, onBehalfOf?: string) => ap(who, { role: 'witness', ...(onBehalfOf === undefined ? {} : { onBehalfOf }) });
    const e = evaluateQuorum(rule, [w('erin'), w('erin', 'erin'), w('bob', 'carol'), w('olga', 'ghost'), w('olga', 'zoe'), w('olga', 'frank')], CTX);
    expect(e.refused.map((r) => r.code)).toEqual([
      'QUORUM_WITNESS_INVALID',
      'QUORUM_WITNESS_INVALID',
      'QUORUM_ROLE_FORBIDDEN',
      'QUORUM_UNKNOWN_PERSON',
      'QUORUM_SEPARATION_OF_DUTIES',
      'QUORUM_ROLE_FORBIDDEN',
    ]);
    expect(e.refused[4]!.message).toContain("zoe owns the requesting agent 'agent-1'");
    minute = 0;
    // carol both signs herself and is witnessed: one person, counted once.
    const dup = evaluateQuorum(rule, [ap('carol'), w('erin', 'carol')], CTX);
    expect(codes(dup)).toEqual(['QUORUM_DUPLICATE_PERSON']);
    minute = 0;
    // erin witnessed carol, so erin cannot be the comparator of the same action.
    const sep = evaluateQuorum(rule, [ap('bob'), ap('dave'), w('erin', 'carol'), cmp('erin')], CTX);
    expect(sep.quorumMet).toBe(true);
    expect(sep.satisfied).toBe(false);
    expect(sep.refused.map((r) => [r.who, r.code])).toEqual([['erin', 'QUORUM_SEPARATION_OF_DUTIES']]);
  });
});

describe('quorum: distinct organisations', () => {
  const rule: QuorumRule = {
    ...RULE,
    distinctOrganisations: true,
    organisationOf: { bob: 'acme', carol: 'acme', dave: 'bank-audit', erin: 'regulator-office' },
  };
  it('two signers of one organisation count once; a third organisation completes it', () => {
    minute = 0;
    const e = evaluateQuorum(rule, [ap('bob'), ap('carol'), ap('dave'), cmp('erin')], CTX);
    expect(e.quorumMet).toBe(false);
    expect(e.counted.filter((c) => c.role === 'authorizer')).toHaveLength(2); // one of acme, plus dave
    expect(e.shortfalls[0]!.message).toMatch(/^group '(platform|risk)' has \d of \d required distinct people from distinct organisations$/);
    const withOlga: QuorumRule = { ...rule, allOf: [{ group: 'platform', min: 2, members: ['bob', 'carol', 'olga'] }, { group: 'risk', min: 1, members: ['dave'] }], organisationOf: { ...rule.organisationOf, olga: 'mutual' }, comparators: [{ group: 'compliance', min: 1, biological: false, members: ['erin'] }] };
    minute = 0;
    expect(evaluateQuorum(withOlga, [ap('bob'), ap('carol'), ap('olga'), ap('dave'), cmp('erin')], CTX).satisfied).toBe(true);
  });
  it('a signer with no organisation is refused (fail closed); the directory can supply one', () => {
    minute = 0;
    const r2: QuorumRule = { ...rule, organisationOf: { bob: 'acme' } };
    expect(codes(evaluateQuorum(r2, [ap('carol')], CTX))).toEqual(['QUORUM_ORGANISATION_UNKNOWN']);
    expect(codes(evaluateQuorum(r2, [ap('carol')], { ...CTX, directory: { ...DIRECTORY, carol: { roles: ['authorizer'], organisation: 'lab' } } }))).toEqual([]);
  });
});

describe('quorum: properties', () => {
  const people = ['alice', 'bob', 'carol', 'dave', 'erin', 'olga', 'frank', 'zoe'];
  const approvalArb = fc.record({
    who: fc.constantFrom(...people),
    device: fc.constantFrom('d1', 'd2', 'd3', 'bob-phone', 'bob-watch'),
    role: fc.constantFrom('authorizer' as const, 'comparator' as const, 'witness' as const),
    onBehalfOf: fc.option(fc.constantFrom(...people), { nil: undefined }),
    at: fc.integer({ min: T0 - MIN, max: T0 + 61 * MIN }),
    liveness: fc.option(fc.constant(live), { nil: undefined }),
    group: fc.option(fc.constantFrom('platform', 'risk', 'compliance'), { nil: undefined }),
  }).map((a) => {
    const out: QuorumApproval = { who: a.who, device: a.device, role: a.role, at: a.at, ...(a.onBehalfOf === undefined ? {} : { onBehalfOf: a.onBehalfOf }) };
    if (a.liveness) out.liveness = a.liveness;
    if (a.group) out.group = a.group;
    return out;
  });

  it('whatever the approvals: a person counts once, nobody on the requesting side counts, counts respect mins, order does not matter', () => {
    fc.assert(
      fc.property(fc.array(approvalArb, { maxLength: 12 }), fc.boolean(), (approvals, witnesses) => {
        const rule = { ...RULE, ...(witnesses ? { allowWitness: true as const } : {}) };
        const e = evaluateQuorum(rule, approvals, CTX);
        const people = e.counted.map((c) => c.person);
        expect(new Set(people).size).toBe(people.length);
        const involved = e.counted.flatMap((c) => [c.person, c.who]);
        expect(involved).not.toContain('zoe'); // owner of agent-1
        expect(involved).not.toContain('frank'); // admin only
        const authorizing = new Set(e.counted.filter((c) => c.role !== 'comparator').flatMap((c) => [c.person, c.who]));
        for (const c of e.counted) {
          const a = approvals[c.index]!;
          expect(a.at).toBeGreaterThanOrEqual(T0);
          expect(a.at).toBeLessThan(T0 + RULE.windowMs);
          if (c.role === 'authorizer') expect(a.liveness).toBeDefined();
          if (c.role === 'witness') expect(witnesses && a.onBehalfOf !== a.who).toBe(true);
          if (c.role === 'comparator') {
            expect(a.at).toBeGreaterThan(e.quorumMetAt!);
            expect(authorizing.has(c.who)).toBe(false);
          }
        }
        for (const g of [...e.groups, ...e.comparators]) expect(g.counted).toBeLessThanOrEqual(g.required);
        expect(e.satisfied).toBe(e.shortfalls.length === 0 && e.quorumMet);
        // every approval is exactly one of: counted, surplus, refused
        expect(e.counted.length + e.surplus.length + e.refused.length).toBe(approvals.length);
        const reversed = evaluateQuorum(rule, [...approvals].reverse(), CTX);
        expect(reversed.satisfied).toBe(e.satisfied);
        expect(reversed.groups.map((g) => g.counted)).toEqual(e.groups.map((g) => g.counted));
      }),
      { numRuns: 400 },
    );
  });

  it('the assignment is maximum: it never fills fewer places than a brute-force search', () => {
    const groups = ['g1', 'g2', 'g3'];
    fc.assert(
      fc.property(
        fc.array(fc.subarray(groups), { minLength: 1, maxLength: 6 }),
        fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
        (eligible, caps) => {
          const capacities = new Map(groups.map((g, i) => [g, caps[i]!]));
          const got = assignToGroups(eligible.map((gs, i) => ({ key: `p${i}`, groups: gs })), capacities).size;
          let best = 0;
          const load = new Map<string, number>();
          const search = (i: number, n: number) => {
            if (i === eligible.length) {
              best = Math.max(best, n);
              return;
            }
            search(i + 1, n);
            for (const g of eligible[i]!) {
              if ((load.get(g) ?? 0) < capacities.get(g)!) {
                load.set(g, (load.get(g) ?? 0) + 1);
                search(i + 1, n + 1);
                load.set(g, load.get(g)! - 1);
              }
            }
          };
          search(0, 0);
          expect(got).toBe(best);
        },
      ),
      { numRuns: 300 },
    );
  });
});
