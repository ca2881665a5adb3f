import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, challengeOf, entries, faultNextSessionStart, highTransfer, RawSession, startSignatureHarness, type TestPerson } from './helpers.ts';

let h: Harness;
let kit: TestPerson;
let ivy: TestPerson;
beforeAll(async () => {
  h = await startSignatureHarness({ label: 'gateway-ended' });
  kit = await addPerson(h, 'kit', { modalities: ['motion'] });
  ivy = await addPerson(h, 'ivy', { modalities: ['motion'] });
});
afterAll(async () => h.close());

/** kit's session on a fresh HIGH action, started (challenge consumed, stimulus under way). */
async function running(key: string): Promise<{ a: { id: string }; c: { id: string }; s: RawSession }> {
  const a = await highTransfer(h, key);
  const c = await challengeOf(kit, a.id);
  const s = await RawSession.open(kit, c.id);
  s.hello(kit, c);
  await s.waitFor('start');
  return { a, c, s };
}

async function refusedEntry(actionId: string, challengeId: string): Promise<Record<string, unknown>> {
  return waitFor(async () => (await entries(h, { actionId, type: 'signature.refused' })).find((x) => x['challengeId'] === challengeId));
}

/** The action stops waiting under the running session: the gateway ends it. */
async function cutShort(key: string): Promise<Record<string, unknown>> {
  const { a, c, s } = await running(key);
  expect((await h.as('alice', 'POST', `/v1/actions/${a.id}/veto`, { body: { reason: 'changed my mind' } })).status).toBe(200);
  expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused' });
  await s.closed;
  expect(await actionStatus(h, a.id)).toBe('vetoed');
  return refusedEntry(a.id, c.id);
}

const REFUSED = 'signature refused';
const LOCKED = 'signing is locked for this person; ask an administrator';

/** A genuine failure of the person's device: a malformed chunk mid-stream. The device hears only `reason`, then `close`. */
async function fails(key: string, seen: { reason: string; close: number } = { reason: REFUSED, close: 4400 }): Promise<Record<string, unknown>> {
  const { a, c, s } = await running(key);
  s.send('not json');
  expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused', reason: seen.reason });
  expect(await s.closed).toBe(seen.close);
  return refusedEntry(a.id, c.id);
}

async function failures(): Promise<unknown> {
  return kit.client.ok('GET', '/v1/people/kit');
}

describe('sessions the gateway ends are not failures', () => {
  it('a session cut short because its action stopped waiting neither counts nor locks; genuine failures still do, and the lock closes every open challenge, logged, ending a running one uncounted', async () => {
    // Cut short with nothing counted before: still nothing.
    for (const key of ['cut-1', 'cut-2']) {
      const e = await cutShort(key);
      expect(e).toMatchObject({ who: 'kit', code: 'ACTION_NOT_PENDING' });
      expect(e).not.toHaveProperty('consecutiveFailures');
    }
    expect(await failures()).toMatchObject({ locked: false, consecutiveFailures: 0 });

    // Four genuine failures count, one short of the lock (lockAfterFailures 5).
    const counted: unknown[] = [];
    for (let i = 1; i <= 4; i++) counted.push((await fails(`fail-${i}`))['consecutiveFailures']);
    expect(counted).toEqual([1, 2, 3, 4]);

    // Cut short at four: not the fifth failure, no lock, the count stays (and is not reset either).
    const e = await cutShort('cut-3');
    expect(e).toMatchObject({ who: 'kit', code: 'ACTION_NOT_PENDING' });
    expect(e).not.toHaveProperty('consecutiveFailures');
    expect(await failures()).toMatchObject({ locked: false, consecutiveFailures: 4 });
    expect(await entries(h, { type: 'signature.person_locked' })).toEqual([]);

    // A session under way on another action when the lock comes, beside the fresh challenges
    // issued after each failure: every one of them is open when the fifth failure locks.
    const live = await running('lock-live');
    const open = await h.signatures.service!.store.openChallengesOf('kit');
    expect(open.map((c) => c.state).sort()).toEqual(['active', 'issued', 'issued', 'issued', 'issued']);

    // The next genuine failure is the fifth, and locks: that device is told it is locked (4423),
    // as it would be at hello, still without a word on which check failed.
    expect(await fails('fail-5', { reason: LOCKED, close: 4423 })).toMatchObject({ code: 'CHUNK_MALFORMED', consecutiveFailures: 5 });
    expect(await entries(h, { type: 'signature.person_locked' })).toMatchObject([{ person: 'kit', failures: 5 }]);

    // The lock closes each of them, logged once with PERSON_LOCKED right after the lock, in its commit.
    const [lockedAt] = await h.log.query({ type: 'signature.person_locked', limit: 10 });
    const closed = (await h.log.query({ type: 'signature.challenge_closed', limit: 1000 })).filter((x) => x.entry['reason'] === 'PERSON_LOCKED');
    expect(closed.map((x) => x.entry['challengeId']).sort()).toEqual(open.map((c) => c.id).sort());
    expect(closed.map((x) => x.index)).toEqual(closed.map((_, i) => lockedAt!.index + 1 + i));
    for (const c of open) {
      const mine = (await entries(h, { type: 'signature.challenge_closed' })).filter((x) => x['challengeId'] === c.id);
      expect(mine).toMatchObject([{ person: 'kit', reason: 'PERSON_LOCKED' }]);
      // The running session had revealed its stimulus: the nonce is published so it can be recomputed.
      expect(mine[0]!['nonce'] !== undefined).toBe(c.state === 'active');
      expect(await h.signatures.service!.store.getChallenge(c.id)).toMatchObject({ state: 'cancelled', outcome: 'PERSON_LOCKED' });
    }

    // The running session is ended, not as a sixth failure; nothing was approved. The device hears
    // that the person is locked (as at hello), nothing about why the failures happened.
    expect(await live.s.waitFor('result')).toEqual({ v: 1, type: 'result', challengeId: live.c.id, outcome: 'refused', reason: 'signing is locked for this person; ask an administrator' });
    expect(await live.s.closed).toBe(4423);
    const e2 = await refusedEntry(live.a.id, live.c.id);
    expect(e2).toMatchObject({ who: 'kit', code: 'PERSON_LOCKED' });
    expect(e2).not.toHaveProperty('consecutiveFailures');
    expect(await failures()).toMatchObject({ locked: true, consecutiveFailures: 5 });
    const ids = new Set(open.map((c) => c.id));
    expect((await entries(h, { type: 'signature.verified' })).filter((x) => ids.has(x['challengeId'] as string))).toEqual([]);
    for (const actionId of new Set(open.map((c) => c.actionId!))) {
      expect(await actionStatus(h, actionId)).toBe('awaiting_signature');
      expect(await entries(h, { actionId, type: 'action.authorised' })).toEqual([]);
    }
    expect(await h.signatures.service!.store.openChallengesOf('kit')).toEqual([]);
  });
});

describe("a fault of the gateway's own", () => {
  it('fails the session closed (challenge consumed, nothing approved) without counting it against the person: six faults in a row do not lock, the next genuine failure is the first', async () => {
    const faulted: string[] = [];
    for (let i = 1; i <= 6; i++) {
      const a = await highTransfer(h, `fault-${i}`);
      const c = await challengeOf(ivy, a.id);
      faultNextSessionStart(h);
      const s = await RawSession.open(ivy, c.id);
      s.hello(ivy, c);
      // The device hears the generic refusal, as for any failure, never the fault.
      expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused', reason: REFUSED });
      expect(await s.closed).toBe(4400);
      const e = await refusedEntry(a.id, c.id);
      expect(e).toMatchObject({ who: 'ivy', code: 'INTERNAL_ERROR' });
      expect(e).not.toHaveProperty('consecutiveFailures');
      // Fail closed: the challenge is used up and the action still waits, unapproved.
      expect(await h.signatures.service!.store.getChallenge(c.id)).toMatchObject({ state: 'failed', outcome: 'INTERNAL_ERROR' });
      expect(await actionStatus(h, a.id)).toBe('awaiting_signature');
      expect(await entries(h, { actionId: a.id, type: 'signature.verified' })).toEqual([]);
      faulted.push(a.id);
    }
    expect(await ivy.client.ok('GET', '/v1/people/ivy')).toMatchObject({ locked: false, consecutiveFailures: 0 });
    expect((await entries(h, { type: 'signature.person_locked' })).filter((x) => x['person'] === 'ivy')).toEqual([]);

    // The person's own failure still counts, from one.
    const a = await highTransfer(h, 'fault-then-fail');
    const c = await challengeOf(ivy, a.id);
    const s = await RawSession.open(ivy, c.id);
    s.hello(ivy, c);
    await s.waitFor('start');
    s.send('not json');
    expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused', reason: REFUSED });
    expect(await refusedEntry(a.id, c.id)).toMatchObject({ who: 'ivy', code: 'CHUNK_MALFORMED', consecutiveFailures: 1 });
  });
});
