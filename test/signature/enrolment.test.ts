import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPrincipal } from '../../src/gateway/register-principal.ts';
import { createCredential, getAssertion } from '../../clients/device/authenticator/software-authenticator.ts';
import { PersonClient } from '../../clients/device/gateway-client.ts';
import { runLiveSession, simulatorSource } from '../../clients/device/live-session.ts';
import { makePerson } from '../../clients/device/person.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { addPerson, entries, startSignatureHarness, type TestPerson } from './helpers.ts';

/** People enrol passkeys (WebAuthn registration and authentication ceremonies) over real HTTP. */
let h: Harness;
let ivy: PersonClient;
let jack: TestPerson;
beforeAll(async () => {
  h = await startSignatureHarness({ label: 'enrolment' });
  const k = generateKeyPairSync('ed25519');
  await registerPrincipal(h.gw.ctx.store, { id: 'ivy', roles: ['authorizer'], publicJwk: k.publicKey.export({ format: 'jwk' }) }, Date.now());
  ivy = await PersonClient.create({ gateway: h.url, person: 'ivy', privateKey: k.privateKey });
  jack = await addPerson(h, 'jack', { modalities: ['voice'] });
});
afterAll(async () => h.close());

type Options = { ceremonyId: string; options: { challenge: string; rp: { id: string }; pubKeyCredParams: { alg: number }[]; authenticatorSelection: { userVerification: string }; excludeCredentials: { id: string }[] } };

describe('enrolment', () => {
  it('a person declares modalities and enrols a phone with a packed EdDSA passkey', async () => {
    expect(await ivy.declare(['voice', 'motion'], 'Ivy')).toMatchObject({ id: 'ivy', modalities: ['motion', 'voice'], locked: false, devices: [] });
    const opt = await ivy.ok<Options>('POST', '/v1/people/ivy/devices/registration-options', { kind: 'phone', name: "Ivy's phone" });
    expect(opt.options.rp.id).toBe('localhost');
    expect(opt.options.pubKeyCredParams.map((p) => p.alg)).toEqual([-8, -7]);
    expect(opt.options.authenticatorSelection.userVerification).toBe('required');
    expect(Buffer.from(opt.options.challenge, 'base64url')).toHaveLength(32);
    const { credential, stored } = createCredential({ rpId: 'localhost', origin: h.url, challenge: opt.options.challenge, person: 'ivy' });
    const res = await ivy.request<Record<string, unknown>>('POST', '/v1/people/ivy/devices', { ceremonyId: opt.ceremonyId, credential });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ id: stored.id, person: 'ivy', kind: 'phone', name: "Ivy's phone", alg: 'EdDSA', attestation: 'packed', counter: 0 });
    expect((await entries(h, { type: 'device.enrolled' })).find((e) => e['device'] === stored.id)).toMatchObject({ who: 'ivy', kind: 'phone', alg: -8, attestation: 'packed' });
    // The ceremony is single use.
    const again = await ivy.request<{ code: string }>('POST', '/v1/people/ivy/devices', { ceremonyId: opt.ceremonyId, credential });
    expect([again.status, again.json.code]).toEqual([409, 'CEREMONY_INVALID']);
    // A later ceremony excludes the credential already enrolled.
    const next = await ivy.ok<Options>('POST', '/v1/people/ivy/devices/registration-options', { kind: 'wearable' });
    expect(next.options.excludeCredentials.map((c) => c.id)).toEqual([stored.id]);

    // Authentication ceremony: the counter advances and is kept; a regression is refused.
    const auth = await ivy.ok<{ ceremonyId: string; options: { challenge: string; allowCredentials: { id: string }[]; userVerification: string } }>('POST', `/v1/devices/${stored.id}/authentication-options`);
    expect(auth.options.allowCredentials.map((c) => c.id)).toEqual([stored.id]);
    expect(auth.options.userVerification).toBe('required');
    const ok = await ivy.ok<{ verified: boolean; device: { counter: number } }>('POST', `/v1/devices/${stored.id}/authentication`, {
      ceremonyId: auth.ceremonyId,
      credential: getAssertion(stored, { challenge: auth.options.challenge, origin: h.url }),
    });
    expect(ok).toMatchObject({ verified: true, device: { counter: 1 } });
    const auth2 = await ivy.ok<{ ceremonyId: string; options: { challenge: string } }>('POST', `/v1/devices/${stored.id}/authentication-options`);
    const cloned = { ...stored, counter: 0 };
    const regress = await ivy.request<{ code: string; detail: string }>('POST', `/v1/devices/${stored.id}/authentication`, {
      ceremonyId: auth2.ceremonyId,
      credential: getAssertion(cloned, { challenge: auth2.options.challenge, origin: h.url }),
    });
    expect(regress.status).toBe(400);
    expect(regress.json.code).toBe('WEBAUTHN_INVALID');
    expect(regress.json.detail).toMatch(/counter/);

    // Revoked: it cannot be used any more.
    expect(await ivy.ok('DELETE', `/v1/devices/${stored.id}`)).toMatchObject({ id: stored.id, revokedAt: expect.any(String) });
    expect((await ivy.request('POST', `/v1/devices/${stored.id}/authentication-options`)).status).toBe(409);
  });

  it('ES256 with attestation none is accepted', async () => {
    const { stored, device } = await ivy.enrol({ kind: 'wearable', alg: -7, attestation: 'none' });
    expect(device).toMatchObject({ id: stored.id, alg: 'ES256', attestation: 'none', kind: 'wearable' });
  });

  it('refuses a wrong origin, a wrong RP ID, and a credential another person already holds', async () => {
    const wrongOrigin = await ivy.ok<Options>('POST', '/v1/people/ivy/devices/registration-options', { kind: 'phone' });
    const a = createCredential({ rpId: 'localhost', origin: 'https://evil.example', challenge: wrongOrigin.options.challenge, person: 'ivy' });
    const r1 = await ivy.request<{ code: string; detail: string }>('POST', '/v1/people/ivy/devices', { ceremonyId: wrongOrigin.ceremonyId, credential: a.credential });
    expect([r1.status, r1.json.code]).toEqual([400, 'WEBAUTHN_INVALID']);
    expect(r1.json.detail).toMatch(/origin/);

    const wrongRp = await ivy.ok<Options>('POST', '/v1/people/ivy/devices/registration-options', { kind: 'phone' });
    const b = createCredential({ rpId: 'evil.example', origin: h.url, challenge: wrongRp.options.challenge, person: 'ivy' });
    const r2 = await ivy.request<{ code: string; detail: string }>('POST', '/v1/people/ivy/devices', { ceremonyId: wrongRp.ceremonyId, credential: b.credential });
    expect([r2.status, r2.json.code]).toEqual([400, 'WEBAUTHN_INVALID']);
    expect(r2.json.detail).toMatch(/RP ID/i);

    // jack's credential, registered again through ivy's ceremony: a device belongs to one person.
    const steal = await ivy.ok<Options>('POST', '/v1/people/ivy/devices/registration-options', { kind: 'phone' });
    const c = createCredential({ rpId: 'localhost', origin: h.url, challenge: steal.options.challenge, person: 'ivy', reuse: jack.credential! });
    const r3 = await ivy.request<{ code: string }>('POST', '/v1/people/ivy/devices', { ceremonyId: steal.ceremonyId, credential: c.credential });
    expect([r3.status, r3.json.code]).toEqual([409, 'DEVICE_ALREADY_ENROLLED']);
    expect((await jack.client.ok<{ person: string }>('GET', `/v1/devices/${jack.credential!.id}`)).person).toBe('jack');
  });

  it('only the person themselves, never an agent or someone else', async () => {
    expect((await h.as('agent', 'PUT', '/v1/people/agent-1', { body: { modalities: ['motion'] } })).status).toBe(403);
    expect((await h.as('agent', 'POST', '/v1/people/agent-1/devices/registration-options', { body: { kind: 'phone' } })).status).toBe(403);
    expect((await jack.client.request('PUT', '/v1/people/ivy', { modalities: [] })).status).toBe(403);
    expect((await jack.client.request('GET', '/v1/people/ivy')).status).toBe(403);
    expect((await ivy.request('GET', `/v1/devices/${jack.credential!.id}`)).status).toBe(404);
    expect((await ivy.request('DELETE', `/v1/devices/${jack.credential!.id}`)).status).toBe(404);
    expect((await fetch(`${h.url}/v1/people/ivy`)).status).toBe(401);
    const bad = await ivy.request<{ code: string }>('PUT', '/v1/people/ivy', { modalities: ['telepathy'] });
    expect([bad.status, bad.json.code]).toEqual([400, 'BODY_INVALID']);
  });

  it('an enrolment session builds the per-person profile (features only)', async () => {
    const nora = await addPerson(h, 'nora', { modalities: ['motion'] });
    const c = await nora.client.ok<{ id: string; digest: string; purpose: string; sustainedMs: number }>('POST', '/v1/people/nora/enrolment-sessions', { modalities: ['motion'], durationMs: 20_000 });
    expect(c).toMatchObject({ purpose: 'enrolment', sustainedMs: 20_000 });
    const r = await runLiveSession({ client: nora.client, challengeId: c.id, credential: nora.credential!, modalities: ['motion'], digest: c.digest, source: simulatorSource(makePerson('nora'), ['motion'], 'enrol-1') });
    expect(r.result).toMatchObject({ outcome: 'accepted' });
    const recorded = await waitFor(async () => (await entries(h, { type: 'signature.enrolment_recorded' })).find((e) => e['who'] === 'nora'));
    expect(recorded).toMatchObject({ accepted: true, profileModalities: ['motion'] });
    expect(await nora.client.ok('GET', '/v1/people/nora')).toMatchObject({ profile: ['motion'] });
    expect(JSON.stringify(recorded)).not.toMatch(/"acc"/);
  });
});
