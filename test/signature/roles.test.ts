import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLiveSession, simulatorSource } from '../../clients/device/live-session.ts';
import { makePerson } from '../../clients/device/person.ts';
import type { Modality } from '../../src/core/policy/modality.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, challengeOf, entries, highTransfer, startSignatureHarness, type TestPerson } from './helpers.ts';

/**
 * Modality roles end to end (issue #15 item 4), under the example policy's roles: motion, typing,
 * gaze and voice primary, two captured together; with one primary, a supporting modality with it,
 * else twice as long, else the witness. A 5,000 EUR transfer accepts hrv and motion only, so its
 * signers have one primary at most: what each is asked is in the challenge, a device that sends less
 * is refused before anything is revealed, and the log and the approval record the roles used.
 */
let h: Harness;
let ria: TestPerson, ted: TestPerson, eve: TestPerson;
beforeAll(async () => {
  h = await startSignatureHarness({ label: 'roles', keepRoles: true });
  ria = await addPerson(h, 'ria', { modalities: ['hrv', 'motion'] });
  ted = await addPerson(h, 'ted', { modalities: ['motion'] });
  eve = await addPerson(h, 'eve', { modalities: ['eda'] });
});
afterAll(async () => {
  await h.close();
});

const session = (p: TestPerson, c: { id: string; digest: string }, modalities: Modality[], seed: string) =>
  runLiveSession({ client: p.client, challengeId: c.id, credential: p.credential!, modalities, digest: c.digest, source: simulatorSource(makePerson(p.id), modalities, seed) });

describe('signature roles', () => {
  it('asks each person for what the policy allows them, refuses a session short of it, and records the roles', async () => {
    const a = await highTransfer(h, 'roles-1');
    const c = await challengeOf(ria, a.id);
    const supporting = { mode: 'supporting', primary: ['motion'], minPrimary: 1, supporting: ['hrv'], minSupporting: 1 };
    expect(c.roles).toEqual(supporting);
    expect((await entries(h, { actionId: a.id, type: 'signature.challenge_issued' })).find((e) => e['person'] === 'ria')).toMatchObject({ roles: supporting, modalities: ['hrv', 'motion'] });
    // One primary and nothing to support it: twice as long. Only a supporting modality: the witness.
    const tc = await challengeOf(ted, a.id);
    expect(tc.roles).toEqual({ mode: 'longer', primary: ['motion'], minPrimary: 1, supporting: [], minSupporting: 0 });
    expect(tc.sustainedMs).toBe(40_000);
    expect(await challengeOf(eve, a.id)).toMatchObject({ mode: 'witness', modalities: [], roles: { mode: 'witness' } });

    // Motion alone is not what ria's challenge asks: refused at the hello, the challenge stays open.
    const short = await session(ria, c, ['motion'], 'roles-short');
    expect(short.result).toMatchObject({ outcome: 'refused' });
    const refused = await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.refused' })).find((e) => e['code'] === 'ROLES_NOT_MET'));
    expect(String(refused['message'])).toMatch(/needs 1 supporting modality of hrv/);
    expect((await challengeOf(ria, a.id)).id).toBe(c.id);

    const ok = await session(ria, c, ['hrv', 'motion'], 'roles-ok');
    expect(ok.result).toMatchObject({ outcome: 'accepted' });
    const used = { mode: 'supporting', primary: ['motion'], supporting: ['hrv'] };
    // One primary with a supporting modality: the single-primary rule decided, and the log says so.
    expect(await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.verified' }))[0])).toMatchObject({ who: 'ria', roles: used, liveness: { decision: { rule: 'supporting' } } });
    const authorised = (await entries(h, { actionId: a.id, type: 'action.authorised' }))[0]!;
    expect((authorised['approvals'] as Record<string, unknown>[])[0]).toMatchObject({ who: 'ria', liveness: { modalities: ['hrv', 'motion'], roles: used, sustainedMs: 20_000, rule: 'supporting' } });
    expect(['executing', 'executed']).toContain(await actionStatus(h, a.id));
  });
});
