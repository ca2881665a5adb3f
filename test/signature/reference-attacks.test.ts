import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAssertion, type StoredCredential } from '../../clients/device/authenticator/software-authenticator.ts';
import { runLiveSession, simulatorSource } from '../../clients/device/live-session.ts';
import { makePerson } from '../../clients/device/person.ts';
import { transportAttack } from '../../clients/device/transport-attacks.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, challengeOf, entries, highTransfer, startSignatureHarness, type TestPerson } from './helpers.ts';

/**
 * The reference rows of the liveness evaluation (issue #15): a live synthesiser, a live impostor and a
 * splice of two live people produce signals the verifier may accept, so the device-bound passkey has
 * to stop them. Here the attacker has every signal (including the victim's own physiology, simulated
 * live) and the victim's public credential id, but not the enrolled private key: 0 of N accepted,
 * end to end through the gateway.
 */
let h: Harness;
let victim: TestPerson;
beforeAll(async () => {
  h = await startSignatureHarness({ label: 'reference-attacks' });
  victim = await addPerson(h, 'vera', { modalities: ['motion'] });
});
afterAll(async () => {
  await h.close();
});

/** The victim's credential with the attacker's own key in place of the enrolled one. */
function forged(c: StoredCredential): StoredCredential {
  const k = generateKeyPairSync('ed25519');
  return { ...c, alg: -8, privateJwk: k.privateKey.export({ format: 'jwk' }) as JsonWebKey, counter: c.counter + 100 };
}

const ATTEMPTS = [
  { label: 'live-synthesis', source: () => transportAttack('live-synthesis', { victim: makePerson('vera'), modalities: ['motion'], durationMs: 20_000, seed: 'ref/synth' }).source },
  { label: 'live-impostor', source: () => transportAttack('live-impostor', { victim: makePerson('vera'), modalities: ['motion'], durationMs: 20_000, seed: 'ref/impostor' }).source },
  { label: 'splice', source: () => transportAttack('splice', { victim: makePerson('vera'), modalities: ['motion'], durationMs: 20_000, seed: 'ref/splice' }).source },
  { label: "the victim's own physiology, live", source: () => simulatorSource(makePerson('vera'), ['motion'], 'ref/own') },
] as const;

describe.concurrent('reference attacks without the enrolled passkey', () => {
  for (const [i, a] of ATTEMPTS.entries()) {
    it(`${a.label}: refused, nothing executed`, async () => {
      const act = await highTransfer(h, `ref-${i}`);
      const c = await challengeOf(victim, act.id);
      const fake = forged(victim.credential!);
      const r = await runLiveSession({
        client: victim.client,
        challengeId: c.id,
        credential: fake,
        modalities: ['motion'],
        digest: c.digest,
        source: a.source(),
        hooks: { assertion: ({ challenge }) => getAssertion(fake, { challenge, origin: h.url }) },
      });
      expect(r.result).toMatchObject({ outcome: 'refused' });
      const refused = await waitFor(async () => (await entries(h, { actionId: act.id, type: 'signature.refused' }))[0]);
      expect(refused).toMatchObject({ who: 'vera', code: 'ASSERTION_INVALID' });
      expect(await actionStatus(h, act.id)).toBe('awaiting_signature');
      expect(h.payments.executions.find((e) => e.key === act.id)).toBeUndefined();
    });
  }

  it('control: the same live physiology signed with the enrolled passkey is accepted (the refusals above are the passkey\'s)', async () => {
    const act = await highTransfer(h, 'ref-control');
    const c = await challengeOf(victim, act.id);
    const r = await runLiveSession({ client: victim.client, challengeId: c.id, credential: victim.credential!, modalities: ['motion'], digest: c.digest, source: simulatorSource(makePerson('vera'), ['motion'], 'ref/own') });
    expect(r.result).toMatchObject({ outcome: 'accepted' });
  });
});
