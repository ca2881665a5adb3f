import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { addPerson, challengeOf, entries, faultNextSessionStart, highTransfer, RawSession, startSignatureHarness, type TestPerson } from './helpers.ts';

// Two sessions per person per hour: a third started session would be refused RATE_LIMITED.
let h: Harness;
let kit: TestPerson;
let lee: TestPerson;
beforeAll(async () => {
  h = await startSignatureHarness({ label: 'session-refund', env: { SIGNATURE_SESSIONS_PER_HOUR: '2' } });
  kit = await addPerson(h, 'kit', { modalities: ['motion'] });
  lee = await addPerson(h, 'lee', { modalities: ['motion'] });
});
afterAll(async () => h.close());

async function start(key: string, p: TestPerson = kit): Promise<{ a: { id: string }; s: RawSession; c: { id: string } }> {
  const a = await highTransfer(h, key);
  const c = await challengeOf(p, a.id);
  const s = await RawSession.open(p, c.id);
  s.hello(p, c);
  return { a, s, c };
}

describe('the per-hour session limit', () => {
  it('gives back the point of a session the gateway cut short, and still limits sessions the person spends', async () => {
    // Three sessions, each cut short by a veto: with the refund none of them uses up the limit of two.
    for (const key of ['refund-1', 'refund-2', 'refund-3']) {
      const { a, s } = await start(key);
      await s.waitFor('start');
      expect((await h.as('alice', 'POST', `/v1/actions/${a.id}/veto`, { body: { reason: 'not now' } })).status).toBe(200);
      expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused' });
      await s.closed;
    }
    // Two sessions the person abandons (a malformed chunk: their device's failure) spend both points...
    for (const key of ['spent-1', 'spent-2']) {
      const { s } = await start(key);
      await s.waitFor('start');
      s.send('not json');
      expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused' });
      await s.closed;
    }
    // ...so the next one is refused before it starts, and the log says why.
    const { a, s, c } = await start('over');
    expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused' });
    await s.closed;
    const e = await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.refused' })).find((x) => x['challengeId'] === c.id));
    expect(e).toMatchObject({ who: 'kit', code: 'RATE_LIMITED' });
  });

  it("keeps the point of a session ended by a fault of the gateway's own spent, so a fault a device could provoke is no way round the limit", async () => {
    for (const key of ['fault-1', 'fault-2']) {
      faultNextSessionStart(h);
      const { a, s, c } = await start(key, lee);
      expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused' });
      await s.closed;
      expect(await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.refused' })).find((x) => x['challengeId'] === c.id))).toMatchObject({ who: 'lee', code: 'INTERNAL_ERROR' });
    }
    const { a, s, c } = await start('fault-over', lee);
    expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused' });
    await s.closed;
    const e = await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.refused' })).find((x) => x['challengeId'] === c.id));
    expect(e).toMatchObject({ who: 'lee', code: 'RATE_LIMITED' });
  });
});
