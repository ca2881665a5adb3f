import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLiveSession, simulatorSource } from '../../clients/device/live-session.ts';
import { makePerson } from '../../clients/device/person.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { addPrincipal, entriesWith, issueToken } from '../regulator/helpers/regulator.ts';
import { addAdmin, ERASED_ENTRY_KEYS, NO_ROWS, rowsOf, type Admin } from './erasure-helpers.ts';
import { actionStatus, addPerson, challengeOf, entries, highTransfer, RawSession, startSignatureHarness, type TestPerson } from './helpers.ts';

/** GDPR art. 17 / BIPA destruction: an administrator erases a person's biometric and device data. */
let h: Harness;
let ada: Admin;
let nora: TestPerson;
let fay: TestPerson;
beforeAll(async () => {
  h = await startSignatureHarness({ label: 'erasure' });
  ada = await addAdmin(h, 'ada');
  nora = await addPerson(h, 'nora', { modalities: ['motion'] });
  fay = await addPerson(h, 'fay', { modalities: ['motion'] });
});
afterAll(async () => h.close());

/** What the database holds about a person's body: profile ranges and fingerprint hashes, as text. */
function biometricTextOf(person: string): string[] {
  const db = new DatabaseSync(join(h.dir, 'gateway.db'), { readOnly: true });
  try {
    const profile = (db.prepare('SELECT profile FROM sig_people WHERE id = ?').get(person) as { profile: string | null }).profile;
    const fps = (db.prepare('SELECT fingerprint FROM sig_fingerprints WHERE person = ?').all(person) as { fingerprint: string }[]).map((r) => r.fingerprint);
    const summaries = (db.prepare('SELECT summary FROM sig_enrolments WHERE person = ?').all(person) as { summary: string }[]).map((r) => r.summary);
    return [profile ?? '', ...fps, ...summaries];
  } finally {
    db.close();
  }
}

describe('DELETE /v1/people/{id}', () => {
  it('erases every sig_* row of the person in one logged step whose entry holds no biometric data', async () => {
    // A real enrolment session: a profile, a fingerprint and an enrolment summary exist.
    const c = await nora.client.ok<{ id: string; digest: string }>('POST', '/v1/people/nora/enrolment-sessions', { modalities: ['motion'], durationMs: 20_000 });
    const r = await runLiveSession({ client: nora.client, challengeId: c.id, credential: nora.credential!, modalities: ['motion'], digest: c.digest, source: simulatorSource(makePerson('nora'), ['motion'], 'erase-1') });
    expect(r.result).toMatchObject({ outcome: 'accepted' });
    // And a registration ceremony left open.
    await nora.client.ok('POST', '/v1/people/nora/devices/registration-options', { kind: 'wearable' });
    const before = rowsOf(h, 'nora');
    expect(before).toMatchObject({ sig_people: 1, sig_devices: 1, sig_enrolments: 1 });
    expect(before.sig_fingerprints).toBeGreaterThanOrEqual(1);
    expect(before.sig_ceremonies).toBeGreaterThanOrEqual(2);
    const [profile, fingerprint] = biometricTextOf('nora');
    expect(JSON.parse(profile!)).toHaveProperty('motion');
    const hashes = Object.values((JSON.parse(fingerprint!) as { modalities: Record<string, number[]> }).modalities).flat();
    expect(hashes.length).toBeGreaterThan(10);

    const res = await ada.erase('nora');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      person: 'nora',
      erased: true,
      alreadyErased: false,
      basis: 'erasure_request',
      devices: [nora.credential!.id],
      rows: { people: 1, devices: 1, enrolments: 1, fingerprints: before.sig_fingerprints, ceremonies: before.sig_ceremonies },
    });
    expect(rowsOf(h, 'nora')).toEqual(NO_ROWS);

    const logged = (await entries(h, { type: 'person.erased' })).filter((e) => e['person'] === 'nora');
    expect(logged).toHaveLength(1);
    const e = logged[0]!;
    expect(Object.keys(e).sort()).toEqual(ERASED_ENTRY_KEYS.erasure_request);
    expect(e).toMatchObject({ by: 'ada', basis: 'erasure_request', devices: [nora.credential!.id], categories: expect.arrayContaining(['profile', 'fingerprints', 'enrolment_summaries', 'devices']) });
    const text = JSON.stringify(e);
    for (const hash of hashes) expect(text).not.toContain(String(hash));
    expect(text).not.toContain(profile!.slice(1, -1));
    expect((await h.log.query({ type: 'person.erased', limit: 1000 })).find((x) => x.entry['person'] === 'nora')?.index).toBe(res.json['logIndex']);

    // The API agrees: no record, and the device is gone.
    expect((await nora.client.request<{ code: string }>('GET', '/v1/people/nora')).json.code).toBe('PERSON_NOT_FOUND');
    expect((await nora.client.request<{ code: string }>('POST', `/v1/devices/${nora.credential!.id}/authentication-options`)).json.code).toBe('DEVICE_NOT_FOUND');
  });

  it("closes the person's open challenges: their device can no longer answer, the action waits for the others", async () => {
    const eve = await addPerson(h, 'eve', { modalities: ['motion'] });
    const a = await highTransfer(h, 'erase-eve');
    const ce = await challengeOf(eve, a.id);
    const cf = await challengeOf(fay, a.id);
    // eve's session is running (the challenge is consumed, the stimulus under way).
    const s = await RawSession.open(eve, ce.id);
    s.hello(eve, ce);
    await s.waitFor('start');

    const res = await ada.erase('eve');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ erased: true, challengesClosed: [ce.id] });
    expect(await s.waitFor('result')).toMatchObject({ outcome: 'refused' });
    await s.closed;
    const closed = (await entries(h, { actionId: a.id, type: 'signature.challenge_closed' })).find((x) => x['challengeId'] === ce.id);
    expect(closed).toMatchObject({ person: 'eve', reason: 'PERSON_ERASED', nonce: expect.any(String) });
    // The ended session is logged with the erasure as its reason, not as the action having stopped.
    const refused = await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.refused' })).find((x) => x['challengeId'] === ce.id));
    expect(refused).toMatchObject({ who: 'eve', code: 'PERSON_ERASED' });
    expect((await entries(h, { type: 'person.erased' })).find((x) => x['person'] === 'eve')).toMatchObject({ challengesClosed: [ce.id], devices: [eve.credential!.id] });

    // The same device, the same challenge: refused before anything is revealed; no row comes back.
    const again = await RawSession.open(eve, ce.id);
    again.hello(eve, ce);
    expect(await again.waitFor('result')).toMatchObject({ outcome: 'refused', reason: 'challenge unavailable' });
    expect(again.messages.some((m) => m.type === 'start')).toBe(false);
    await again.closed;
    expect(rowsOf(h, 'eve')).toEqual(NO_ROWS);
    const asked = await eve.client.request<{ code: string }>('POST', '/v1/people/eve/challenges', { actionId: a.id });
    expect([asked.status, asked.json.code]).toEqual([409, 'PERSON_NOT_FOUND']);

    // Fail closed: the action still waits, unexecuted; fay can still answer her own challenge.
    expect(await actionStatus(h, a.id)).toBe('awaiting_signature');
    expect(h.payments.executions.find((x) => x.key === a.id)).toBeUndefined();
    expect((await fay.client.challenges()).find((x) => x.id === cf.id)).toMatchObject({ state: 'issued' });
    // Nobody erased is asked for a new action either.
    const b = await highTransfer(h, 'erase-eve-2');
    await challengeOf(fay, b.id);
    expect((await entries(h, { actionId: b.id, type: 'signature.challenge_issued' })).map((x) => x['person'])).toEqual(['fay']);
  });

  it('a regulator searching the log for the erased person finds the erasure and the challenges it closed', async () => {
    const rita = await addPrincipal(h, 'rita', ['regulator']);
    const token = (await issueToken(h, rita, { scopes: ['log:read'] })).access_token;
    const erased = await waitFor(async () => (await entries(h, { type: 'person.erased' })).find((x) => x['person'] === 'eve'));
    const found = await entriesWith(h, token, 'person=eve');
    // `person` is indexed, not only `who`/`by`: eve is named in these entries only as `person`.
    expect(found.find((x) => x.entry['type'] === 'person.erased')?.entry).toEqual(erased);
    expect(found.filter((x) => x.entry['type'] === 'signature.challenge_closed').map((x) => x.entry['reason'])).toContain('PERSON_ERASED');
    expect(found.some((x) => x.entry['type'] === 'signature.challenge_issued')).toBe(true);
    expect(await entriesWith(h, token, 'person=eve&type=person.erased')).toHaveLength(1);
  });

  it('only an administrator (403 problem+json); an unknown person is 404; a repeat says it was done', async () => {
    for (const who of ['agent', 'alice'] as const) {
      const res = await h.as(who, 'DELETE', '/v1/people/fay');
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { code: string }).code).toBe('ROLE_FORBIDDEN');
    }
    // Not even the person themselves: erasure is asked of the controller, and done by an administrator.
    const self = await fay.client.request<{ code: string }>('DELETE', '/v1/people/fay');
    expect([self.status, self.json.code]).toEqual([403, 'ROLE_FORBIDDEN']);
    expect(rowsOf(h, 'fay')).toMatchObject({ sig_people: 1, sig_devices: 1 });

    const unknown = await ada.erase('nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.type).toMatch(/^application\/problem\+json/);
    expect(unknown.json['code']).toBe('PERSON_NOT_FOUND');

    const first = await waitFor(async () => (await entries(h, { type: 'person.erased' })).find((x) => x['person'] === 'nora'));
    const repeat = await ada.erase('nora');
    expect(repeat.status).toBe(200);
    expect(repeat.json).toMatchObject({ person: 'nora', erased: false, alreadyErased: true, basis: 'erasure_request', erasedAt: new Date(first['ts'] as number).toISOString() });
    expect((await entries(h, { type: 'person.erased' })).filter((x) => x['person'] === 'nora')).toHaveLength(1);
  });
});
