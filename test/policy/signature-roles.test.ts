import { describe, expect, it } from 'vitest';
import { classify } from '../../src/core/policy/classify.ts';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import { approvalMeetsRoles, planRoles, sessionMeetsPlan } from '../../src/core/policy/signature-roles.ts';
import { velocityQueries } from '../../src/core/policy/velocity.ts';
import type { SignatureSpec } from '../../src/core/policy/types.ts';
import { BASE_POLICY, transfer, zeroTotals } from './helpers.ts';

/** Modality roles (issue #15 item 4): which modalities can carry a signature, how many together, and what else a person may do. */
const ROLES = 'roles: { primary: [motion, typing, gaze, voice], min_primary: 2, one_primary: [supporting, longer, witness] }';
const spec: SignatureSpec = {
  windowMs: 900_000, sustainedMs: 30_000, modalities: ['hrv', 'motion', 'typing', 'gaze', 'voice', 'eda'], maxAttempts: 5,
  roles: { primary: ['motion', 'typing', 'gaze', 'voice'], minPrimary: 2, onePrimary: ['supporting', 'longer', 'witness'] },
};

describe('policy: signature roles', () => {
  it('normalises the defaults block, and a rule tightens them (fewer primaries, more needed, fewer fallbacks)', () => {
    const text = BASE_POLICY.replace('signature: { window: 15m, sustained: 30s, modalities: any, max_attempts: 5 }', `signature: { window: 15m, sustained: 30s, modalities: any, max_attempts: 5, ${ROLES} }`)
      .replace('velocity:\n', "  - id: huge\n    match: { actuator: payments, operation: transfer, amount: { currency: EUR, gte: 100000 } }\n    tier: HIGH\n    signature: { roles: { primary: [motion, gaze, voice], min_primary: 3, one_primary: [witness] } }\n    reason: test\nvelocity:\n");
    const p = parsePolicy(text, 'roles.yaml');
    expect(p.defaults.signature.roles).toEqual(spec.roles);
    const run = (amount: number) => classify(p, transfer(amount), { velocity: zeroTotals(velocityQueries(p, transfer(amount), 0)) });
    expect(run(200_000).requirements.signature!.roles).toEqual({ primary: ['motion', 'gaze', 'voice'], minPrimary: 3, onePrimary: ['witness'] });
    // A policy without roles keeps its meaning (any one modality) and its hash.
    expect(parsePolicy(BASE_POLICY, "plain.yaml").defaults.signature.roles).toBeUndefined();
    expect(parsePolicy(BASE_POLICY, 'plain.yaml').hash).toBe(parsePolicy(BASE_POLICY, 'again.yaml').hash);
    expect(p.hash).not.toBe(parsePolicy(BASE_POLICY, 'plain.yaml').hash);
  });

  it('refuses a roles block with an unknown fallback or too many primaries', () => {
    const bad = (r: string) => () => parsePolicy(BASE_POLICY.replace('modalities: any, max_attempts: 5 }', `modalities: any, max_attempts: 5, roles: ${r} }`), 'bad.yaml');
    expect(bad('{ one_primary: [nap] }')).toThrow();
    expect(bad('{ min_primary: 7 }')).toThrow();
    expect(bad('{ primary: [smell] }')).toThrow();
  });
});

describe('planRoles: what one person is asked', () => {
  it('two primaries when the person has them; the fallbacks in order otherwise; never silently one', () => {
    expect(planRoles(spec, ['motion', 'typing', 'hrv'])).toMatchObject({ mode: 'primaries', primary: ['motion', 'typing'], minPrimary: 2, supporting: ['hrv'], minSupporting: 0, sustainedMs: 30_000 });
    expect(planRoles(spec, ['motion', 'hrv'])).toMatchObject({ mode: 'supporting', primary: ['motion'], minPrimary: 1, supporting: ['hrv'], minSupporting: 1 });
    expect(planRoles(spec, ['motion'])).toMatchObject({ mode: 'longer', primary: ['motion'], minPrimary: 1, sustainedMs: 60_000 });
    expect(planRoles(spec, ['eda'])).toMatchObject({ mode: 'witness' });
    expect(planRoles({ ...spec, roles: { ...spec.roles!, onePrimary: ['supporting'] } }, ['motion'])).toBeNull();
    // No roles: any one accepted modality (the meaning policies had before roles).
    expect(planRoles({ ...spec, roles: undefined }, ['hrv'])).toMatchObject({ mode: 'primaries', primary: ['hrv'], minPrimary: 1 });
  });

  it('checks a session against the plan', () => {
    const both = planRoles(spec, ['motion', 'typing'])!;
    expect(sessionMeetsPlan(both, ['motion', 'typing'], 30_000)).toBeNull();
    expect(sessionMeetsPlan(both, ['motion'], 30_000)).toMatch(/needs 2 primary modalities/);
    const withHrv = planRoles(spec, ['motion', 'hrv'])!;
    expect(sessionMeetsPlan(withHrv, ['motion'], 30_000)).toMatch(/supporting/);
    expect(sessionMeetsPlan(withHrv, ['motion', 'hrv'], 30_000)).toBeNull();
    const longer = planRoles(spec, ['motion'])!;
    expect(sessionMeetsPlan(longer, ['motion'], 30_000)).toMatch(/60000 ms/);
    expect(sessionMeetsPlan(longer, ['motion'], 60_000)).toBeNull();
  });

  it('the offline re-check accepts what some allowed way gives, and nothing weaker', () => {
    expect(approvalMeetsRoles(spec, ['motion', 'typing'], 30_000)).toBeNull();
    expect(approvalMeetsRoles(spec, ['motion', 'hrv'], 30_000)).toBeNull();
    expect(approvalMeetsRoles(spec, ['motion'], 60_000)).toBeNull();
    expect(approvalMeetsRoles(spec, ['motion'], 30_000)).toMatch(/1 primary modality/);
    expect(approvalMeetsRoles(spec, ['hrv', 'eda'], 30_000)).toMatch(/0 primary modalities/);
    expect(approvalMeetsRoles({ ...spec, roles: { ...spec.roles!, onePrimary: [] } }, ['motion', 'hrv'], 30_000)).not.toBeNull();
  });
});
