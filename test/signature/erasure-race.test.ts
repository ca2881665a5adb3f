import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAssertion } from '../../clients/device/authenticator/software-authenticator.ts';
import { FirewallError } from '../../src/core/errors.ts';
import type { PrincipalRecord } from '../../src/gateway/ports/principals.ts';
import { erasePersonData } from '../../src/gateway/signatures/erasure.ts';
import type { SignatureService } from '../../src/gateway/signatures/service.ts';
import type { Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, challengeOf, entries, expectNoApproval, highTransfer, startSignatureHarness, type TestPerson } from './helpers.ts';

/**
 * An erasure commits in the store's transaction, then the service clears its in-memory state
 * (pending witness ceremonies, nonces). Requests landing in between, or committed in the same store
 * batch just before the erasure, fail closed with a 4xx: never a 500, never an approval.
 */
let h: Harness;
let service: SignatureService;
let wendy: TestPerson, xavier: TestPerson;
beforeAll(async () => {
  h = await startSignatureHarness({ label: 'erasure-race' });
  service = h.signatures.service!;
  wendy = await addPerson(h, 'wendy', { roles: ['comparator'], modalities: [] });
  xavier = await addPerson(h, 'xavier', { roles: ['comparator'], modalities: [] });
});
afterAll(async () => h.close());

/** A HIGH action answered through a witness: the person can use none of the policy's modalities. */
async function witnessCeremony(person: string, witness: TestPerson, key: string) {
  const p = await addPerson(h, person, { modalities: ['typing'], device: false });
  const a = await highTransfer(h, key);
  const c = await challengeOf(p, a.id);
  const opt = await witness.client.ok<{ options: { challenge: string } }>('POST', `/v1/challenges/${c.id}/witness/options`, { credentialId: witness.credential!.id });
  const complete = async (): Promise<{ status: number; type: string | null; json: { code: string } }> => {
    const path = `/v1/challenges/${c.id}/witness`;
    const res = await fetch(h.url + path, {
      method: 'POST',
      headers: { authorization: await witness.client.authorization('POST', path), 'content-type': 'application/json' },
      body: JSON.stringify({ credential: getAssertion(witness.credential!, { challenge: opt.options.challenge, origin: h.url }) }),
    });
    return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as { code: string } };
  };
  return { a, c, complete };
}

/** Only the transaction of an erasure: the state between its commit and the service's cleanup. */
function eraseWithoutCleanup(person: string): Promise<unknown> {
  return erasePersonData(h.gw.ctx, person, { basis: 'erasure_request', by: 'test' }, () => undefined);
}

describe('witness completion racing an erasure', () => {
  it("the witness erased after the options: 409 CHALLENGE_USED problem+json, though the witness's device is gone", async () => {
    const w = await witnessCeremony('walt', wendy, 'race-1');
    expect(await eraseWithoutCleanup('wendy')).toBeDefined();
    expect(await service.store.getDevice(wendy.credential!.id)).toBeUndefined();
    const res = await w.complete();
    expect([res.status, res.json.code]).toEqual([409, 'CHALLENGE_USED']);
    expect(res.type).toMatch(/^application\/problem\+json/);
    await expectNoApproval(h, w.a.id);
  });

  it('the witnessed person erased: refused before verifying, not counted against the witness', async () => {
    const w = await witnessCeremony('wade', xavier, 'race-2');
    await eraseWithoutCleanup('wade');
    const res = await w.complete();
    expect([res.status, res.json.code]).toEqual([409, 'CHALLENGE_USED']);
    await expectNoApproval(h, w.a.id);
    expect(await entries(h, { actionId: w.a.id, type: 'signature.refused' })).toEqual([]);
    expect((await service.store.getPerson('xavier'))?.failures).toBe(0);
  });

  it('the witness device revoked after the options: refused and logged; the person gets a fresh challenge', async () => {
    const w = await witnessCeremony('wynn', xavier, 'race-3');
    expect((await xavier.client.request('DELETE', `/v1/devices/${xavier.credential!.id}`)).status).toBe(200);
    const res = await w.complete();
    expect([res.status, res.json.code]).toEqual([409, 'SIGNATURE_REFUSED']);
    await expectNoApproval(h, w.a.id);
    expect(await entries(h, { actionId: w.a.id, type: 'signature.refused' })).toMatchObject([{ who: 'xavier', person: 'wynn', code: 'DEVICE_REVOKED', challengeId: w.c.id }]);
    expect((await service.store.getChallenge(w.c.id))?.state).toBe('failed');
    expect((await service.store.openChallengesForAction(w.a.id)).some((x) => x.person === 'wynn' && x.id !== w.c.id)).toBe(true);
  });
});

describe('a write committed in the same store batch as an erasure, just before it', () => {
  it('unlock and device revocation answer 404 problem codes, not a crash on the missing row', async () => {
    const admin: PrincipalRecord = { id: 'ada', roles: ['admin'], publicJwk: {}, createdAt: 0, disabled: false };
    await addPerson(h, 'pia', { modalities: ['motion'] });
    const ray = await addPerson(h, 'ray', { modalities: ['motion'] });
    const rayP = (await h.gw.ctx.store.principals.get('ray'))!;
    // Called in one tick: both transactions are queued before the store flushes, in this order.
    const [unlocked, erasedPia] = await Promise.allSettled([service.unlock(admin, 'pia'), service.erasePerson(admin, 'pia')]);
    const [revoked, erasedRay] = await Promise.allSettled([service.revokeDevice(rayP, ray.credential!.id), service.erasePerson(admin, 'ray')]);
    expect(erasedPia).toMatchObject({ status: 'fulfilled', value: { erased: true } });
    expect(erasedRay).toMatchObject({ status: 'fulfilled', value: { erased: true } });
    for (const [r, code] of [
      [unlocked, 'PERSON_NOT_FOUND'],
      [revoked, 'DEVICE_NOT_FOUND'],
    ] as const) {
      expect(r.status).toBe('rejected');
      const e = (r as PromiseRejectedResult).reason as unknown;
      expect(e).toBeInstanceOf(FirewallError);
      expect(e).toMatchObject({ code, status: 404 });
    }
    // Both writes did commit, before the erasure: the log has them.
    expect((await entries(h, { type: 'signature.person_unlocked' })).some((x) => x['person'] === 'pia')).toBe(true);
    expect((await entries(h, { type: 'device.revoked' })).some((x) => x['device'] === ray.credential!.id)).toBe(true);
  });
});
