import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../clients/regulator/verify-bundle.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { createTestPki, type TestPki } from '../log/helpers/pki.ts';
import { AttestedSigner } from '../regulator/helpers/attested-signer.ts';
import { addPrincipal, exportWith, issueToken } from '../regulator/helpers/regulator.ts';
import { addAdmin } from './erasure-helpers.ts';
import { addPerson, challengeOf, entries, highTransfer } from './helpers.ts';

/** An erasure (and the challenge it closed) in a regulator's export passes the offline verifier. */
let pki: TestPki;
let h: Harness;
beforeAll(async () => {
  pki = createTestPki();
  h = await startHarness({ signer: new AttestedSigner(pki) });
});
afterAll(async () => {
  await h.close();
  pki.dispose();
});

describe('person.erased in a regulator export', () => {
  it('passes every check of the offline verifier with no finding', async () => {
    const gil = await addPerson(h, 'gil', { modalities: ['motion'] });
    const a = await highTransfer(h, 'erase-bundle');
    await challengeOf(gil, a.id);
    const ada = await addAdmin(h, 'ada');
    expect((await ada.erase('gil')).status).toBe(200);
    await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.challenge_closed' }))[0]);

    const rita = await addPrincipal(h, 'rita', ['regulator']);
    const token = (await issueToken(h, rita, { scopes: ['log:read', 'log:export'] })).access_token;
    const bundle = await exportWith(h, token);
    const types = bundle.entries.map((e) => (JSON.parse(e.entry) as { type: string }).type);
    expect(types).toContain('person.erased');
    expect(types).toContain('signature.challenge_closed');
    const report = await verifyBundle(bundle, { rootPem: pki.rootPem });
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
