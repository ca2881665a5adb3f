import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertionChallenge, witnessStatementHash, type WitnessStatement } from '../../src/core/signature/transcript.ts';
import { getAssertion } from '../../clients/device/authenticator/software-authenticator.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, challengeOf, entries, highTransfer, RawSession, startSignatureHarness, type TestPerson } from './helpers.ts';

/**
 * Nobody is excluded (seed §VI.2, Threat 2): someone who can produce none of the modalities the
 * policy accepts authorises in person before an institutional witness, who signs with their own
 * passkey over the same digest-bound challenge. Recorded as role 'witness'.
 */
let h: Harness;
let walt: TestPerson, wendy: TestPerson, xavier: TestPerson, nina: TestPerson;
beforeAll(async () => {
  h = await startSignatureHarness({ label: 'witness' });
  // walt types but cannot do hrv or motion (the large-transfer rule's modalities); no device needed.
  walt = await addPerson(h, 'walt', { modalities: ['typing'], device: false });
  wendy = await addPerson(h, 'wendy', { roles: ['comparator'], modalities: [] });
  xavier = await addPerson(h, 'xavier', { roles: ['comparator'], modalities: [] });
  nina = await addPerson(h, 'nina', { modalities: ['motion'] });
});
afterAll(async () => h.close());

type Options = { nonce: string; digest: string; statement: WitnessStatement; statementHash: string; summary: { text: string }; options: { challenge: string; allowCredentials: { id: string }[]; userVerification: string } };

describe('institutional witness', () => {
  it('authorises a HIGH action for someone who can use no accepted modality', async () => {
    const a = await highTransfer(h, 'w-1');
    const c = await challengeOf(walt, a.id);
    expect(c).toMatchObject({ mode: 'witness', modalities: [] });
    // walt cannot stream for it: this challenge is answered through a witness.
    const viewed = await wendy.client.ok<{ summary: { text: string }; digest: string }>('GET', `/v1/challenges/${c.id}`);
    expect(viewed.digest).toBe(a.digest);
    expect(viewed.summary.text).toContain('5,000.00 EUR');
    // Only comparators witness.
    expect((await nina.client.request('POST', `/v1/challenges/${c.id}/witness/options`, { credentialId: nina.credential!.id })).status).toBe(403);

    const opt = await wendy.client.ok<Options>('POST', `/v1/challenges/${c.id}/witness/options`, { credentialId: wendy.credential!.id });
    expect(opt.statement).toMatchObject({ type: 'witness', challengeId: c.id, person: 'walt', witness: 'wendy', digest: a.digest });
    expect(witnessStatementHash(opt.statement)).toBe(opt.statementHash);
    // The witness's device recomputes the challenge it signs from what it shows.
    const expected = assertionChallenge(Buffer.from(opt.nonce, 'base64url'), a.digest, opt.statementHash);
    expect(opt.options.challenge).toBe(expected);
    expect(opt.options.allowCredentials.map((x) => x.id)).toEqual([wendy.credential!.id]);
    expect(opt.options.userVerification).toBe('required');
    // The nonce matches the commitment logged when the challenge was issued.
    const issued = (await entries(h, { actionId: a.id, type: 'signature.challenge_issued' })).find((e) => e['challengeId'] === c.id)!;
    expect(createHash('sha256').update(Buffer.from(opt.nonce, 'base64url')).digest('hex')).toBe(issued['nonceSha256']);

    const done = await wendy.client.ok<{ accepted: boolean; approval: Record<string, unknown> }>('POST', `/v1/challenges/${c.id}/witness`, {
      credential: getAssertion(wendy.credential!, { challenge: expected, origin: h.url }),
    });
    expect(done.accepted).toBe(true);
    expect(done.approval).toMatchObject({ who: 'wendy', role: 'witness', device: wendy.credential!.id, onBehalfOf: 'walt' });
    await waitFor(async () => ((await actionStatus(h, a.id)) === 'executed' ? true : undefined));
    expect(h.payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
    const authorised = (await entries(h, { actionId: a.id, type: 'action.authorised' }))[0]!;
    expect(authorised['approvals']).toMatchObject([{ who: 'wendy', role: 'witness', onBehalfOf: 'walt' }]);
    expect((await entries(h, { actionId: a.id, type: 'signature.verified' }))[0]).toMatchObject({ who: 'wendy', role: 'witness', onBehalfOf: 'walt', mode: 'witness' });
    const receipt = decodeJwt(String((await entries(h, { actionId: a.id, type: 'action.executed' }))[0]!['receipt']));
    expect(receipt['apv']).toMatchObject([{ who: 'wendy', device: wendy.credential!.id }]);
    // Single use: a second witness cannot start on it.
    const second = await xavier.client.request<{ code: string }>('POST', `/v1/challenges/${c.id}/witness/options`, { credentialId: xavier.credential!.id });
    expect([second.status, second.json.code]).toEqual([409, 'CHALLENGE_USED']);
  });

  it('a witness assertion over another statement is refused and the action keeps waiting', async () => {
    const a = await highTransfer(h, 'w-2');
    const c = await challengeOf(walt, a.id);
    const opt = await xavier.client.ok<Options>('POST', `/v1/challenges/${c.id}/witness/options`, { credentialId: xavier.credential!.id });
    const forged = assertionChallenge(Buffer.from(opt.nonce, 'base64url'), a.digest, witnessStatementHash({ ...opt.statement, person: 'someone-else' }));
    const res = await xavier.client.request<{ code: string }>('POST', `/v1/challenges/${c.id}/witness`, { credential: getAssertion(xavier.credential!, { challenge: forged, origin: h.url }) });
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('SIGNATURE_REFUSED');
    expect(await entries(h, { actionId: a.id, type: 'signature.refused' })).toMatchObject([{ who: 'xavier', person: 'walt', code: 'ASSERTION_INVALID' }]);
    expect(await actionStatus(h, a.id)).toBe('awaiting_signature');
    // walt gets a fresh witness challenge for another try.
    const next = await challengeOf(walt, a.id, c.id);
    expect(next.mode).toBe('witness');
  });

  it('a witness challenge cannot be answered with a biological session, and a biological one not by a witness', async () => {
    const a = await highTransfer(h, 'w-3');
    const c = await challengeOf(walt, a.id);
    const s = await RawSession.open(walt, c.id);
    s.hello(walt, c, { credentialId: wendy.credential!.id, modalities: ['motion'] });
    expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused' });
    await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.refused' })).find((e) => e['code'] === 'MODE_WITNESS_ONLY'));
    const bio = await challengeOf(nina, a.id);
    expect(bio.mode).toBe('biological');
    expect((await wendy.client.request('POST', `/v1/challenges/${bio.id}/witness/options`, { credentialId: wendy.credential!.id })).status).toBe(404);
  });
});
