import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { deriveStimulus } from '../../src/core/stimulus/stimulus.ts';
import { makePerson } from '../../clients/device/person.ts';
import { simulateSession } from '../../clients/device/session.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, challengeOf, entries, highTransfer, RawSession, startSignatureHarness, type TestPerson } from './helpers.ts';

/**
 * Each bad input over the real WebSocket is refused: the device hears a generic reason, the log
 * records the real one, and the action keeps waiting (with a fresh challenge for another try).
 * The lock threshold is raised here so these refusals do not lock the person (lock.test.ts).
 */
let h: Harness;
let dana: TestPerson;
let eve: TestPerson;
beforeAll(async () => {
  h = await startSignatureHarness({ label: 'bad-input', env: { SIGNATURE_LOCK_AFTER: '100' } });
  dana = await addPerson(h, 'dana', { modalities: ['motion', 'hrv'] });
  eve = await addPerson(h, 'eve', { modalities: ['motion'] });
});
afterAll(async () => h.close());

let n = 0;
/** A fresh HIGH action, dana's challenge for it, and an open session past `start`. */
async function started(o: { hello?: Record<string, unknown> } = {}) {
  const a = await highTransfer(h, `bad-${n++}`);
  const c = await challengeOf(dana, a.id);
  const s = await RawSession.open(dana, c.id);
  s.hello(dana, c, { modalities: ['motion'], ...(o.hello ?? {}) });
  return { a, c, s };
}

async function refusedEntry(actionId: string, code: string): Promise<Record<string, unknown> | undefined> {
  return (await entries(h, { actionId, type: 'signature.refused' })).find((e) => e['code'] === code);
}

async function expectRefused(s: RawSession, actionId: string, code: string): Promise<Record<string, unknown>> {
  const result = await s.waitFor('result');
  expect(result).toMatchObject({ outcome: 'refused', reason: 'signature refused' });
  // The device is never told which check failed.
  expect(JSON.stringify(result)).not.toContain(code);
  await s.closed;
  const e = await waitFor(() => refusedEntry(actionId, code));
  expect(e).toMatchObject({ who: 'dana', code });
  expect(await actionStatus(h, actionId)).toBe('awaiting_signature');
  expect(h.payments.executions.find((x) => x.key === actionId)).toBeUndefined();
  return e;
}

describe('bad input on the session WebSocket', () => {
  it('a malformed chunk', async () => {
    const { a, s, c } = await started();
    await s.waitFor('start');
    s.send({ v: 1, type: 'chunk', challengeId: c.id, seq: 0, sentAt: 5, samples: { motion: { acc: [{ t: 'soon', x: 0, y: 0, z: 9.8 }] } } });
    const e = await expectRefused(s, a.id, 'CHUNK_MALFORMED');
    expect(String(e['message'])).toMatch(/\/samples\/motion\/acc\/0\/t/);
    // The consumed challenge is replaced by a fresh one for another try.
    const result = s.messages.find((m) => m.type === 'result') as { next?: { challengeId: string } };
    expect(result.next?.challengeId).toMatch(/^chl_/);
    expect(result.next?.challengeId).not.toBe(c.id);
  });

  it('a frame that is not JSON', async () => {
    const { a, s } = await started();
    await s.waitFor('start');
    s.send('{"v":1,"type":"chunk",');
    await expectRefused(s, a.id, 'CHUNK_MALFORMED');
  });

  it('a repeated sequence number', async () => {
    const { a, s, c } = await started();
    await s.waitFor('start');
    await new Promise((r) => setTimeout(r, 300));
    s.send({ v: 1, type: 'chunk', challengeId: c.id, seq: 0, sentAt: 250, samples: {} });
    await s.waitFor('ack');
    s.send({ v: 1, type: 'chunk', challengeId: c.id, seq: 0, sentAt: 260, samples: {} });
    await expectRefused(s, a.id, 'SEQ_REPEATED');
  });

  it('an out-of-order sequence number', async () => {
    const { a, s, c } = await started();
    await s.waitFor('start');
    s.send({ v: 1, type: 'chunk', challengeId: c.id, seq: 1, sentAt: 0, samples: {} });
    await expectRefused(s, a.id, 'SEQ_OUT_OF_ORDER');
  });

  it('samples out of time order', async () => {
    const { a, s, c } = await started();
    await s.waitFor('start');
    await new Promise((r) => setTimeout(r, 300));
    const acc = [{ t: 200, x: 0, y: 7, z: 7 }, { t: 100, x: 0, y: 7, z: 7 }];
    s.send({ v: 1, type: 'chunk', challengeId: c.id, seq: 0, sentAt: 250, samples: { motion: { acc } } });
    await expectRefused(s, a.id, 'SAMPLES_OUT_OF_ORDER');
  });

  it('a stream for another challenge', async () => {
    const { a, s } = await started();
    const other = await challengeOf(dana, (await highTransfer(h, `bad-other-${n++}`)).id);
    await s.waitFor('start');
    s.send({ v: 1, type: 'chunk', challengeId: other.id, seq: 0, sentAt: 0, samples: {} });
    const e = await expectRefused(s, a.id, 'STREAM_FOR_ANOTHER_CHALLENGE');
    expect(String(e['message'])).toContain(other.id);
    // The other challenge was not touched.
    expect((await dana.client.challenge(other.id)).state).toBe('issued');
  });

  it("another person's credential", async () => {
    const { a, s } = await started({ hello: { credentialId: eve.credential!.id } });
    const e = await expectRefused(s, a.id, 'CREDENTIAL_NOT_OWNED');
    expect(e['credentialId']).toBe(eve.credential!.id);
    expect(s.messages.some((m) => m.type === 'start' || m.type === 'reveal')).toBe(false);
  });

  it('a device about to sign another digest', async () => {
    const { a, s } = await started({ hello: { digest: createHash('sha256').update('something else').digest('hex') } });
    await expectRefused(s, a.id, 'DIGEST_MISMATCH');
    expect(s.messages.some((m) => m.type === 'reveal')).toBe(false);
  });

  it('a used challenge cannot be opened again', async () => {
    const { a, s, c } = await started();
    await s.waitFor('start');
    s.send('not json');
    await expectRefused(s, a.id, 'CHUNK_MALFORMED');
    const again = await RawSession.open(dana, c.id);
    again.hello(dana, c, { modalities: ['motion'] });
    expect(await again.waitFor('result')).toMatchObject({ outcome: 'refused', reason: 'challenge unavailable' });
    expect(await again.closed).toBe(4409);
    expect(again.messages.some((m) => m.type === 'start')).toBe(false);
    await waitFor(() => refusedEntry(a.id, 'CHALLENGE_USED'));
    expect(await actionStatus(h, a.id)).toBe('awaiting_signature');
  });

  it('the connection closed mid-window', async () => {
    const { a, s, c } = await started();
    await s.waitFor('start');
    await new Promise((r) => setTimeout(r, 300));
    s.send({ v: 1, type: 'chunk', challengeId: c.id, seq: 0, sentAt: 250, samples: {} });
    await s.waitFor('ack');
    s.ws.close(1000);
    const e = await waitFor(() => refusedEntry(a.id, 'SESSION_ABORTED'));
    expect(e).toMatchObject({ who: 'dana', chunks: 1 });
    // The session ended, so the nonce may be published; a regulator can recompute the stimulus.
    const issued = (await entries(h, { actionId: a.id, type: 'signature.challenge_issued' })).find((x) => x['challengeId'] === c.id)!;
    expect(createHash('sha256').update(Buffer.from(String(e['nonce']), 'base64url')).digest('hex')).toBe(issued['nonceSha256']);
    expect(await actionStatus(h, a.id)).toBe('awaiting_signature');
  });

  it('a batch upload faster than real time (a whole genuine recording at once)', async () => {
    const { a, s, c } = await started();
    await s.waitFor('start');
    const stim = deriveStimulus(createHash('sha256').update('recorded').digest(), { durationMs: 20_000, modalities: ['motion'] });
    const rec = simulateSession(stim, makePerson('dana'), ['motion'], { seed: 'batch' });
    s.send({ v: 1, type: 'chunk', challengeId: c.id, seq: 0, sentAt: 0, samples: { motion: { acc: rec.streams.motion!.acc } } });
    const e = await expectRefused(s, a.id, 'STREAM_AHEAD');
    expect(String(e['message'])).toMatch(/ahead of real time/);
  });

  it('a finish before the sustained duration', async () => {
    const { a, s, c } = await started();
    await s.waitFor('start');
    s.send({ v: 1, type: 'finish', challengeId: c.id, lastSeq: -1, sentAt: 0 });
    await expectRefused(s, a.id, 'ENDED_EARLY');
    expect(s.messages.some((m) => m.type === 'sign')).toBe(false);
  });

  it('a stream that stalls', async () => {
    const { a, s } = await started();
    await s.waitFor('start');
    await expectRefused(s, a.id, 'STREAM_STALLED');
  });

  it('samples of a modality the session does not use', async () => {
    const { a, s, c } = await started();
    await s.waitFor('start');
    await new Promise((r) => setTimeout(r, 300));
    s.send({ v: 1, type: 'chunk', challengeId: c.id, seq: 0, sentAt: 250, samples: { hrv: { rr: [{ t: 100, ms: 800 }] } } });
    await expectRefused(s, a.id, 'MODALITY_NOT_ALLOWED');
  });

  it('no client assertion: nothing is revealed and nothing is consumed', async () => {
    const a = await highTransfer(h, `bad-${n++}`);
    const c = await challengeOf(dana, a.id);
    const s = await RawSession.open(dana, c.id, { auth: 'none' });
    s.hello(dana, c, { modalities: ['motion'] });
    expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused', reason: 'authentication failed' });
    expect(await s.closed).toBe(4401);
    expect((await dana.client.challenge(c.id)).state).toBe('issued');
  });

  it('the client assertion may come in the hello instead of the upgrade', async () => {
    const a = await highTransfer(h, `bad-${n++}`);
    const c = await challengeOf(dana, a.id);
    const s = await RawSession.open(dana, c.id, { auth: 'none' });
    s.hello(dana, c, { modalities: ['motion'], authorization: await dana.client.authorization('GET', `/v1/challenges/${c.id}/session`) });
    expect(await s.waitFor('start')).toMatchObject({ durationMs: 20_000, modalities: ['motion'] });
    expect(await s.waitFor('reveal', 4000)).toMatchObject({ modality: 'motion', index: 0 });
    s.ws.close();
    await waitFor(() => refusedEntry(a.id, 'SESSION_ABORTED'));
  });

  it('an agent gets 403, and someone else gets nothing of this challenge', async () => {
    const a = await highTransfer(h, `bad-${n++}`);
    const c = await challengeOf(dana, a.id);
    const path = `/v1/challenges/${c.id}/session`;
    const { mintAssertion } = await import('../helpers/assertion.ts');
    const agentToken = await mintAssertion(h.agentKey, { id: 'agent-1', aud: h.url, method: 'GET', path });
    const s = new RawSession(h.url.replace('http', 'ws') + path, { authorization: `Bearer ${agentToken}` });
    await expect(s.opened).rejects.toThrow(/403/);
    expect((await h.as('agent', 'GET', `/v1/challenges/${c.id}`)).status).toBe(403);
    expect((await h.as('agent', 'GET', '/v1/people/dana')).status).toBe(403);
    // eve is a person, but this is dana's challenge: reported as absent, and it stays usable.
    expect((await eve.client.request('GET', `/v1/challenges/${c.id}`)).status).toBe(404);
    const other = await RawSession.open(eve, c.id);
    other.hello(eve, c, { person: 'eve', credentialId: eve.credential!.id, modalities: ['motion'] });
    expect(await other.waitFor('result')).toMatchObject({ outcome: 'refused', reason: 'challenge unavailable' });
    expect((await dana.client.challenge(c.id)).state).toBe('issued');
    expect((await entries(h, { type: 'signature.refused' })).some((e) => e['who'] === 'eve' && e['code'] === 'CHALLENGE_NOT_YOURS')).toBe(true);
  });

  it('a plain GET of the session endpoint is told to upgrade', async () => {
    const res = await fetch(`${h.url}/v1/challenges/chl_x/session`);
    expect(res.status).toBe(426);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('no raw sample reaches the log', async () => {
    const bodies: string[] = [];
    for await (const b of h.log.bodies(0, await h.log.size())) bodies.push(b);
    const all = bodies.join('\n');
    expect(all).toContain('signature.refused');
    expect(all).not.toMatch(/"acc"|"rr"|"pts"|"frames"|"keys"|"sc":/);
  });
});
