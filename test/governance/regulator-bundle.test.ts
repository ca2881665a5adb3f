import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../clients/regulator/verify-bundle.ts';
import { recordApproval } from '../../src/gateway/approvals.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { createTestPki, type TestPki } from '../log/helpers/pki.ts';
import { AttestedSigner } from '../regulator/helpers/attested-signer.ts';
import { addPrincipal, exportWith, issueToken } from '../regulator/helpers/regulator.ts';
import { EVIDENCE, live, registerPeople, relax, tighten } from './helpers.ts';

/**
 * The governance entries and the @policy action are verifiable offline: a regulator's export of a
 * log holding a tightening, an approved relaxation (with refused approvals on the way) and actions
 * classified under each version passes every check of the independent verifier.
 */
let pki: TestPki;
let h: Harness;

beforeAll(async () => {
  pki = createTestPki();
  h = await startHarness({ signer: new AttestedSigner(pki) });
  await registerPeople(h);
});
afterAll(async () => {
  await h.close();
  pki.dispose();
});

describe('policy governance in a regulator export', () => {
  it('passes every check of the offline verifier', async () => {
    const source = async () => {
      const active = h.governance.holder.policy().hash;
      return ((await (await h.as('alice', 'GET', `/v1/policies/versions/${active}`)).json()) as { source: string }).source;
    };
    const t = await h.as('alice', 'POST', '/v1/policies/proposals', { body: { policy: tighten(await source()) } });
    expect(t.status).toBe(201);
    const r = (await (await h.as('alice', 'POST', '/v1/policies/proposals', { body: { policy: relax(await source()), relaxationEvidence: EVIDENCE } })).json()) as { hash: string; action: { id: string } };
    const id = r.action.id;
    const at = Math.floor(Date.now() / 1000);
    await expect(recordApproval(h.gw.ctx, id, { who: 'erin', device: 'erin-phone', role: 'comparator', liveness: live, at })).rejects.toMatchObject({ code: 'COMPARATOR_BEFORE_QUORUM' });
    for (const who of ['bob', 'carol', 'dave']) await recordApproval(h.gw.ctx, id, { who, device: `${who}-phone`, role: 'authorizer', liveness: live, at });
    const done = await recordApproval(h.gw.ctx, id, { who: 'erin', device: 'erin-phone', role: 'comparator', liveness: live, at: at + 1 });
    expect(done.record.status).toBe('executed');
    expect(h.governance.holder.policy().hash).toBe(r.hash);
    const low = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE89370400440532013000', amount: 50, currency: 'EUR' }, headers: { 'idempotency-key': 'after-relaxation' } });
    expect(low.status).toBe(201);

    const rita = await addPrincipal(h, 'rita-export', ['regulator']);
    const token = (await issueToken(h, rita, { scopes: ['log:read', 'log:export'] })).access_token;
    const bundle = await exportWith(h, token);
    const types = bundle.entries.map((e) => (JSON.parse(e.entry) as { type: string }).type);
    for (const type of ['policy.proposed', 'policy.applied', 'policy.activated', 'action.approval_recorded', 'action.approval_refused']) expect(types).toContain(type);
    const report = await verifyBundle(bundle, { rootPem: pki.rootPem });
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    const statuses = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    for (const check of ['policy.activation', 'action.requirements', 'action.quorum', 'action.approvals', 'action.receipt', 'action.lifecycle']) expect(statuses[check], check).toBe('pass');
  });
});
