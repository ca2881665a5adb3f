import { createHash, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPrincipal } from '../../src/gateway/register-principal.ts';
import { mintAssertion } from '../helpers/assertion.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, challengeOf, entries, highTransfer, RawSession, startSignatureHarness, type TestPerson } from './helpers.ts';

let h: Harness;
let lou: TestPerson;
const admin = generateKeyPairSync('ed25519');
beforeAll(async () => {
  // The large-transfer rule allows 3 sessions per person per action here (policy max_attempts).
  h = await startSignatureHarness({ label: 'lock', editPolicy: (y) => y.replace('modalities: [hrv, motion] }', 'modalities: [hrv, motion], max_attempts: 3 }') });
  lou = await addPerson(h, 'lou', { modalities: ['motion'] });
  await registerPrincipal(h.gw.ctx.store, { id: 'ada', roles: ['admin'], publicJwk: admin.publicKey.export({ format: 'jwk' }) }, Date.now());
});
afterAll(async () => h.close());

describe('failure limits', () => {
  it('five consecutive failures lock the person, who is notified; only an administrator unlocks', async () => {
    // lou's devices listen on the person's event stream.
    const path = '/v1/people/lou/events';
    const ctrl = new AbortController();
    const sse = await fetch(h.url + path, { headers: { authorization: await lou.client.authorization('GET', path) }, signal: ctrl.signal });
    expect(sse.status).toBe(200);
    let events = '';
    void (async () => {
      const dec = new TextDecoder();
      try {
        for await (const chunk of sse.body as unknown as AsyncIterable<Uint8Array>) events += dec.decode(chunk);
      } catch {
        /* aborted */
      }
    })();

    const a = await highTransfer(h, 'lock-1');
    let c = await challengeOf(lou, a.id);
    await waitFor(() => (events.includes('event: challenge') && events.includes(c.id) ? true : undefined));
    const wrong = createHash('sha256').update('not this action').digest('hex');
    const reasons: string[] = [];
    const codes: number[] = [];
    const nexts: boolean[] = [];
    let current = a;
    const actions = [a.id];
    for (let i = 0; i < 5; i++) {
      const s = await RawSession.open(lou, c.id);
      s.hello(lou, c, { digest: wrong });
      const r = await s.waitFor('result');
      reasons.push(r.reason);
      codes.push(await s.closed);
      nexts.push(r.next !== undefined);
      if (r.next !== undefined) c = { ...c, id: r.next.challengeId };
      else if (i < 4) {
        // This action's attempts are used up (3): the failures go on counting on the next one.
        current = await highTransfer(h, `lock-1-${i}`);
        actions.push(current.id);
        c = await challengeOf(lou, current.id);
      }
    }
    expect(nexts).toEqual([true, true, false, true, false]);
    expect(reasons).toEqual([...Array(4).fill('signature refused'), 'signing is locked for this person; ask an administrator']);
    expect(codes).toEqual([4400, 4400, 4400, 4400, 4423]);
    const refused = (await Promise.all(actions.map((id) => entries(h, { actionId: id, type: 'signature.refused' })))).flat();
    expect(refused.map((e) => e['code'])).toEqual(Array(5).fill('DIGEST_MISMATCH'));
    expect(refused.map((e) => e['consecutiveFailures'])).toEqual([1, 2, 3, 4, 5]);
    expect(await entries(h, { type: 'signature.person_locked' })).toMatchObject([{ person: 'lou', failures: 5 }]);
    await waitFor(() => (events.includes('event: locked') ? true : undefined));
    ctrl.abort();
    expect(await lou.client.ok('GET', '/v1/people/lou')).toMatchObject({ locked: true, consecutiveFailures: 5 });
    expect(await actionStatus(h, a.id)).toBe('awaiting_signature');

    // Locked: no new challenge, not on request either, and lou cannot unlock herself.
    const a2 = await highTransfer(h, 'lock-2');
    await new Promise((r) => setTimeout(r, 200));
    expect((await lou.client.challenges()).filter((x) => x.actionId === a2.id)).toEqual([]);
    expect((await lou.client.request('POST', '/v1/people/lou/challenges', { actionId: a2.id })).status).toBe(423);
    expect((await lou.client.request('POST', '/v1/people/lou/unlock')).status).toBe(403);

    const token = await mintAssertion(admin.privateKey, { id: 'ada', aud: h.url, method: 'POST', path: '/v1/people/lou/unlock' });
    const un = await fetch(`${h.url}/v1/people/lou/unlock`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(un.status).toBe(200);
    expect(await un.json()).toMatchObject({ locked: false, consecutiveFailures: 0 });
    expect(await entries(h, { type: 'signature.person_unlocked' })).toMatchObject([{ person: 'lou', by: 'ada' }]);
    const fresh = await lou.client.request<{ id: string; actionId: string }>('POST', '/v1/people/lou/challenges', { actionId: a2.id });
    expect(fresh.status).toBe(201);
    expect(fresh.json.actionId).toBe(a2.id);
  });

  it('the policy bounds the sessions per person and action (max_attempts)', async () => {
    const mo = await addPerson(h, 'mo', { modalities: ['motion'] });
    const a = await highTransfer(h, 'attempts-1');
    let c = await challengeOf(mo, a.id);
    const nexts: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await RawSession.open(mo, c.id);
      s.hello(mo, c, { modalities: ['typing'] });
      const r = await s.waitFor('result');
      await s.closed;
      nexts.push(r.next !== undefined);
      if (r.next !== undefined) c = { ...c, id: r.next.challengeId };
    }
    expect(nexts).toEqual([true, true, false]);
    expect((await entries(h, { actionId: a.id, type: 'signature.refused' })).filter((e) => e['who'] === 'mo').map((e) => e['code'])).toEqual(Array(3).fill('MODALITY_NOT_ALLOWED'));
    const again = await mo.client.request<{ code: string }>('POST', '/v1/people/mo/challenges', { actionId: a.id });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('CHALLENGE_NOT_ISSUED');
    // Three failures are below the lock threshold.
    expect(await mo.client.ok('GET', '/v1/people/mo')).toMatchObject({ locked: false, consecutiveFailures: 3 });
  });
});
