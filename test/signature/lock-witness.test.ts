import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAssertion } from '../../clients/device/authenticator/software-authenticator.ts';
import { FirewallError } from '../../src/core/errors.ts';
import type { PrincipalRecord } from '../../src/gateway/ports/principals.ts';
import type { SignatureService } from '../../src/gateway/signatures/service.ts';
import type { Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, challengeOf, dropOpenChallenges, entries, expectNoApproval, failElsewhere, failTimes, highTransfer, startSignatureHarness, type TestPerson } from './helpers.ts';

/**
 * A locked person authorises nothing until unlocked: not as approver, not as witness (§5, §7), and
 * a challenge is never issued for them, not even by an issue racing the lock's commit.
 */
let h: Harness;
let service: SignatureService;
let wendy: TestPerson, xavier: TestPerson;
beforeAll(async () => {
  h = await startSignatureHarness({ label: 'lock-witness' });
  service = h.signatures.service!;
  wendy = await addPerson(h, 'wendy', { roles: ['comparator'], modalities: [] });
  xavier = await addPerson(h, 'xavier', { roles: ['comparator'], modalities: [] });
});
afterAll(async () => h.close());

async function principal(id: string): Promise<PrincipalRecord> {
  return (await h.gw.ctx.store.principals.get(id))!;
}

/** A HIGH action for someone who can use none of the policy's modalities: answered through a witness. */
async function witnessed(person: string, key: string) {
  const p = await addPerson(h, person, { modalities: ['typing'], device: false });
  const a = await highTransfer(h, key);
  return { p, a, c: await challengeOf(p, a.id) };
}

async function post(w: TestPerson, path: string, body: unknown): Promise<{ status: number; type: string | null; json: Record<string, unknown> }> {
  const res = await fetch(h.url + path, {
    method: 'POST',
    headers: { authorization: await w.client.authorization('POST', path), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as Record<string, unknown> };
}

describe('a locked witness', () => {
  it('the lock closes the ceremony they were running for someone else, logged in its commit; completing it is refused 423', async () => {
    const { p, a, c } = await witnessed('walt', 'lw-1');
    const opt = await wendy.client.ok<{ options: { challenge: string } }>('POST', `/v1/challenges/${c.id}/witness/options`, { credentialId: wendy.credential!.id });
    expect(await service.store.getChallenge(c.id)).toMatchObject({ state: 'active', device: wendy.credential!.id });

    await failTimes(h, 'wendy', 5);
    expect(await service.store.getPerson('wendy')).toMatchObject({ failures: 5 });
    expect((await service.store.getPerson('wendy'))?.lockedAt).not.toBeNull();

    // Closed by the lock, right after its entry, in its commit, with the nonce the ceremony revealed.
    const [lock] = (await h.log.query({ type: 'signature.person_locked', limit: 10 })).filter((x) => x.entry['person'] === 'wendy');
    const closed = (await h.log.query({ type: 'signature.challenge_closed', limit: 1000 })).filter((x) => x.entry['challengeId'] === c.id);
    expect(closed.map((x) => x.entry)).toMatchObject([{ person: 'walt', reason: 'PERSON_LOCKED', actionId: a.id }]);
    expect(closed[0]!.entry['nonce']).toEqual(expect.any(String));
    expect(closed[0]!.index).toBe(lock!.index + 1);
    expect(await service.store.getChallenge(c.id)).toMatchObject({ state: 'cancelled', outcome: 'PERSON_LOCKED' });
    // As after an erasure, walt is asked again: another witness can help.
    const fresh = await challengeOf(p, a.id, c.id);
    expect(fresh.mode).toBe('witness');

    // The witness completes anyway, with a valid assertion: refused, logged, no approval.
    const res = await post(wendy, `/v1/challenges/${c.id}/witness`, { credential: getAssertion(wendy.credential!, { challenge: opt.options.challenge, origin: h.url }) });
    expect([res.status, res.json['code']]).toEqual([423, 'PERSON_LOCKED']);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(await entries(h, { actionId: a.id, type: 'signature.refused' })).toMatchObject([{ who: 'wendy', person: 'walt', challengeId: c.id, code: 'PERSON_LOCKED' }]);
    expect((await entries(h, { actionId: a.id, type: 'signature.refused' }))[0]).not.toHaveProperty('consecutiveFailures');
    expect((await service.store.getPerson('wendy'))?.failures).toBe(5);
    await expectNoApproval(h, a.id);

    // Nor can she start witnessing the fresh challenge: 423, logged, and it stays open for another witness.
    const again = await post(wendy, `/v1/challenges/${fresh.id}/witness/options`, { credentialId: wendy.credential!.id });
    expect([again.status, again.json['code']]).toEqual([423, 'PERSON_LOCKED']);
    expect(again.type).toMatch(/^application\/problem\+json/);
    expect(again.json).not.toHaveProperty('nonce');
    expect((await entries(h, { actionId: a.id, type: 'signature.refused' })).filter((x) => x['challengeId'] === fresh.id)).toMatchObject([{ who: 'wendy', person: 'walt', code: 'PERSON_LOCKED' }]);
    expect((await entries(h, { actionId: a.id, type: 'signature.witness_started' })).filter((x) => x['challengeId'] === fresh.id)).toEqual([]);
    expect((await service.store.getChallenge(fresh.id))?.state).toBe('issued');
    await expectNoApproval(h, a.id);
  });

  it('a lock committed in the same store batch, just before the witness ceremony starts, wins: 423 and nothing started', async () => {
    const { a, c } = await witnessed('wade', 'lw-2');
    await failTimes(h, 'xavier', 4);
    const x = await principal('xavier');
    // One tick: the options' checks read the committed (unlocked) state; the fifth failure's
    // transaction is queued first, so the options' transaction runs after the lock.
    const [opt] = await Promise.allSettled([service.witnessOptions(x, c.id, { credentialId: xavier.credential!.id }), failElsewhere(h, x)]);
    expect((await service.store.getPerson('xavier'))?.lockedAt).not.toBeNull();
    expect(opt.status).toBe('rejected');
    const e = (opt as PromiseRejectedResult).reason as unknown;
    expect(e).toBeInstanceOf(FirewallError);
    expect(e).toMatchObject({ code: 'PERSON_LOCKED', status: 423 });
    expect(await entries(h, { actionId: a.id, type: 'signature.witness_started' })).toEqual([]);
    expect(await entries(h, { actionId: a.id, type: 'signature.refused' })).toMatchObject([{ who: 'xavier', person: 'wade', challengeId: c.id, code: 'PERSON_LOCKED' }]);
    expect((await service.store.getChallenge(c.id))?.state).toBe('issued');
    await expectNoApproval(h, a.id);
  });
});

describe('issuing racing a lock', () => {
  it('a challenge is never created for a person locked after the issue checked, before it committed', async () => {
    // The action waits before lia enrols (which issues her challenge for it): with that one
    // closed, nothing is open for her on it.
    const a = await highTransfer(h, 'lw-3');
    const lia = await addPerson(h, 'lia', { modalities: ['motion'] });
    await dropOpenChallenges(h, 'lia');
    expect(await service.store.openChallengesOf('lia')).toEqual([]);
    await failTimes(h, 'lia', 4);
    const p = await principal('lia');
    const action = (await h.gw.ctx.store.getAction(a.id))!;
    // One tick: the issue checks the committed (unlocked) state; the fifth failure's transaction
    // is queued before the issue's (which waits for the nonce), so it lands after the lock.
    const [issued] = await Promise.allSettled([service.issuer.issueChallenge(action, 'lia', 'authorizer'), failElsewhere(h, p)]);
    expect((await service.store.getPerson('lia'))?.lockedAt).not.toBeNull();
    expect(issued).toEqual({ status: 'fulfilled', value: undefined });
    expect(await service.store.openChallengesOf('lia')).toEqual([]);
    expect(await lia.client.challenges()).toEqual([]);
    expect((await entries(h, { actionId: a.id, type: 'signature.challenge_issued' })).filter((x) => x['person'] === 'lia')).toHaveLength(1);
  });

  it('nor an enrolment session racing the lock', async () => {
    await addPerson(h, 'lex', { modalities: ['motion'] });
    await failTimes(h, 'lex', 4);
    const p = await principal('lex');
    const [enrol] = await Promise.allSettled([service.enrolmentSession(p, 'lex', { modalities: ['motion'] }), failElsewhere(h, p)]);
    expect((await service.store.getPerson('lex'))?.lockedAt).not.toBeNull();
    expect(enrol.status).toBe('rejected');
    expect((enrol as PromiseRejectedResult).reason).toMatchObject({ code: 'PERSON_LOCKED', status: 423 });
    expect(await service.store.openChallengesOf('lex')).toEqual([]);
    expect((await entries(h, { type: 'signature.challenge_issued' })).filter((x) => x['person'] === 'lex' && x['purpose'] === 'enrolment')).toEqual([]);
  });
});
