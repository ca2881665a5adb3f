import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPrincipal } from '../../src/gateway/register-principal.ts';
import { PersonClient } from '../../clients/device/gateway-client.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, challengeOf, dropOpenChallenges, entries, failTimes, highTransfer, RawSession, startSignatureHarness, type TestPerson } from './helpers.ts';

/**
 * Someone who enrols after an action started to wait on them is asked to sign it (README tour:
 * submit, enrol, `sign --challenge next`), and a device asking for the next challenge gets one:
 * never two open for the same person and action, never for a locked person, and not while the
 * person has no signature session left this hour (one per hour here).
 */
let h: Harness;
beforeAll(async () => {
  h = await startSignatureHarness({ label: 'late-enrolment', env: { SIGNATURE_SESSIONS_PER_HOUR: '1' } });
});
afterAll(async () => h.close());

async function issuedFor(actionId: string, person: string): Promise<Record<string, unknown>[]> {
  return (await entries(h, { actionId, type: 'signature.challenge_issued' })).filter((e) => e['person'] === person);
}

async function person(id: string): Promise<TestPerson> {
  const k = generateKeyPairSync('ed25519');
  await registerPrincipal(h.gw.ctx.store, { id, roles: ['authorizer'], publicJwk: k.publicKey.export({ format: 'jwk' }) }, Date.now());
  return { id, key: k.privateKey, client: await PersonClient.create({ gateway: h.url, person: id, privateKey: k.privateKey }) };
}

describe('late enrolment', () => {
  it('enrolling a device after the action started to wait issues the challenge for it, once', async () => {
    const a = await highTransfer(h, 'late-1');
    const p = await person('lara');
    await p.client.declare(['motion']);
    // Declared, no device yet: a biological challenge needs one.
    expect(await issuedFor(a.id, 'lara')).toEqual([]);
    p.credential = (await p.client.enrol({ kind: 'phone' })).stored;
    // Issued before the enrolment answered: the very next request sees it.
    const open = (await p.client.challenges()).filter((c) => c.actionId === a.id);
    expect(open).toMatchObject([{ mode: 'biological', state: 'issued', digest: a.digest, modalities: ['motion'] }]);
    expect(await issuedFor(a.id, 'lara')).toHaveLength(1);
    // The device's `next` is that challenge; asking again, even concurrently, issues nothing more.
    const [n1, n2, n3] = await Promise.all([p.client.next(), p.client.next(), p.client.next()]);
    expect([n1?.id, n2?.id, n3?.id]).toEqual([open[0]!.id, open[0]!.id, open[0]!.id]);
    expect(n1).toMatchObject({ actionId: a.id, descriptor: expect.any(Object), summary: { text: expect.stringContaining('5,000') } });
    expect(await issuedFor(a.id, 'lara')).toHaveLength(1);
    expect((await h.signatures.service!.store.openChallengesOf('lara')).filter((c) => c.actionId === a.id)).toHaveLength(1);
    expect(await actionStatus(h, a.id)).toBe('awaiting_signature');
  });

  it('declaring modalities late issues the witness challenge of someone who can use none of the policy’s', async () => {
    const a = await highTransfer(h, 'late-2');
    const p = await person('wren');
    await p.client.declare(['typing']);
    expect((await p.client.challenges()).filter((c) => c.actionId === a.id)).toMatchObject([{ mode: 'witness', state: 'issued' }]);
    expect(await issuedFor(a.id, 'wren')).toHaveLength(1);
    // A device signs only biological challenges: nothing for wren's `next`.
    expect(await p.client.next()).toBeUndefined();
  });

  it('a device asking for `next` catches up on a challenge that was never issued (here: one closed without a fresh one)', async () => {
    const p = await addPerson(h, 'nico', { modalities: ['motion'] });
    const a = await highTransfer(h, 'late-3');
    const first = await challengeOf(p, a.id);
    await dropOpenChallenges(h, 'nico');
    expect((await p.client.challenges()).filter((c) => c.actionId === a.id)).toEqual([]);
    // `next` answers the most urgent of nico's challenges (an earlier action's); a is asked again.
    expect(await p.client.next()).toMatchObject({ state: 'issued', mode: 'biological' });
    const again = (await p.client.challenges()).filter((c) => c.actionId === a.id);
    expect(again).toMatchObject([{ state: 'issued' }]);
    expect(again[0]!.id).not.toBe(first.id);
    expect(await issuedFor(a.id, 'nico')).toHaveLength(2);
  });

  it('nothing to sign: 404 NO_OPEN_CHALLENGE as problem+json', async () => {
    const p = await person('ola');
    await p.client.declare(['motion']);
    const res = await fetch(`${h.url}/v1/people/ola/challenges/next`, { method: 'POST', headers: { authorization: await p.client.authorization('POST', '/v1/people/ola/challenges/next') } });
    // Every earlier HIGH action still waits, so ola (no device) gets nothing biological either.
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ code: 'NO_OPEN_CHALLENGE' });
    // Someone else's `next` is refused.
    const other = await p.client.request<{ code: string }>('POST', '/v1/people/lara/challenges/next');
    expect([other.status, other.json.code]).toEqual([403, 'ROLE_FORBIDDEN']);
  });

  it('a locked person gets 423 and no challenge, not even on enrolling another device', async () => {
    const a = await highTransfer(h, 'late-4');
    const p = await person('lou');
    await p.client.declare(['motion']);
    await failTimes(h, 'lou', 5);
    expect((await h.signatures.service!.store.getPerson('lou'))?.lockedAt).not.toBeNull();
    p.credential = (await p.client.enrol({ kind: 'phone' })).stored;
    const res = await p.client.request<{ code: string }>('POST', '/v1/people/lou/challenges/next');
    expect([res.status, res.json.code]).toEqual([423, 'PERSON_LOCKED']);
    expect(await issuedFor(a.id, 'lou')).toEqual([]);
    expect(await p.client.challenges()).toEqual([]);
  });

  it('no signature session left this hour: 429 with Retry-After, and nothing more is issued', async () => {
    const p = await addPerson(h, 'rosa', { modalities: ['motion'] });
    await highTransfer(h, 'late-5');
    const c = (await p.client.next())!;
    // Her one session of the hour, abandoned with a malformed chunk (her device's failure).
    const s = await RawSession.open(p, c.id);
    s.hello(p, c);
    await s.waitFor('start');
    s.send('not json');
    expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused' });
    await s.closed;
    const issued = async () => (await entries(h, { type: 'signature.challenge_issued' })).filter((e) => e['person'] === 'rosa').length;
    const before = await issued();
    const path = '/v1/people/rosa/challenges/next';
    const res = await fetch(h.url + path, { method: 'POST', headers: { authorization: await p.client.authorization('POST', path) } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await issued()).toBe(before);
  });

  it('a challenge a device sees the moment it commits can be answered: its nonce is held before the commit, not after the durability barrier', async () => {
    const p = await addPerson(h, 'tess', { modalities: ['motion'] });
    // A slow durability barrier: each commit is readable at once, its transaction resolves 500 ms later.
    const store = h.gw.ctx.store;
    const tx = store.tx.bind(store);
    store.tx = (async (fn: Parameters<typeof tx>[0]) => {
      const r = await tx(fn);
      await new Promise((resolve) => setTimeout(resolve, 500));
      return r;
    }) as typeof store.tx;
    try {
      const a = await highTransfer(h, 'late-6');
      const c = await waitFor(async () => (await p.client.challenges()).find((x) => x.actionId === a.id), 5000, 5);
      const s = await RawSession.open(p, c.id);
      s.hello(p, c);
      const first = await waitFor(() => s.messages[0], 5000, 5);
      expect(first).toMatchObject({ type: 'start' });
      s.ws.close();
      await s.closed;
    } finally {
      store.tx = tx;
    }
  });
});
