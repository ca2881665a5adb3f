import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { registerPrincipal } from '../../src/gateway/register-principal.ts';
import { PersonClient } from '../../clients/device/gateway-client.ts';
import { mintAssertion } from '../helpers/assertion.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { challengeOf, entries, RawSession, startSignatureHarness, type TestPerson } from './helpers.ts';

/** The challenge expires with the action's signature window, failing closed (time moved by hand). */
let h: Harness;
let clock: ManualClock;
let yara: TestPerson;
const agent = generateKeyPairSync('ed25519');
beforeAll(async () => {
  clock = new ManualClock(Date.now());
  h = await startSignatureHarness({ label: 'expiry', clock });
  const k = generateKeyPairSync('ed25519');
  await registerPrincipal(h.gw.ctx.store, { id: 'yara', roles: ['authorizer'], publicJwk: k.publicKey.export({ format: 'jwk' }) }, clock.now());
  await registerPrincipal(h.gw.ctx.store, { id: 'agent-x', roles: ['agent'], publicJwk: agent.publicKey.export({ format: 'jwk' }) }, clock.now());
  const client = await PersonClient.create({ gateway: h.url, person: 'yara', privateKey: k.privateKey, now: () => clock.now() });
  await client.declare(['motion']);
  yara = { id: 'yara', key: k.privateKey, client, credential: (await client.enrol({ kind: 'wearable' })).stored };
});
afterAll(async () => h.close());

describe('expiry', () => {
  it('an expired challenge is refused, nothing is revealed, and the action expires unexecuted', async () => {
    const path = '/proxy/payments/transfers';
    const token = await mintAssertion(agent.privateKey, { id: 'agent-x', aud: h.url, method: 'POST', path, iat: Math.floor(clock.now() / 1000) });
    const res = await fetch(h.url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'exp-1' },
      body: JSON.stringify({ payee: 'DE89370400440532013000', amount: 5000, currency: 'EUR' }),
    });
    const a = (await res.json()) as { id: string; status: string; expiresAt: string };
    expect(a.status).toBe('awaiting_signature');
    const c = await challengeOf(yara, a.id);
    expect(c.expiresAt).toBe(a.expiresAt);

    clock.advance(15 * 60_000 + 1);
    await h.gw.ctx.scheduler.tick();
    await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.challenge_closed' })).find((e) => e['challengeId'] === c.id));
    expect(await entries(h, { actionId: a.id, type: 'action.expired' })).toHaveLength(1);

    const s = await RawSession.open(yara, c.id);
    s.hello(yara, c, { modalities: ['motion'] });
    expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused', reason: 'challenge unavailable' });
    expect(await s.closed).toBe(4409);
    expect(s.messages.some((m) => m.type === 'start' || m.type === 'reveal')).toBe(false);
    expect(await entries(h, { actionId: a.id, type: 'signature.refused' })).toMatchObject([{ who: 'yara', code: 'CHALLENGE_EXPIRED' }]);
    expect(await entries(h, { actionId: a.id, type: 'signature.challenge_closed' })).toMatchObject([{ challengeId: c.id, reason: 'ACTION_EXPIRED' }]);
    expect((await yara.client.challenge(c.id)).state).toBe('expired');
    expect(h.payments.executions.find((e) => e.key === a.id)).toBeUndefined();
  });
});
