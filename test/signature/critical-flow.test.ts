import { createHash, type KeyObject } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyInclusionProof } from '../../src/core/merkle/proof.ts';
import { assertionChallenge } from '../../src/core/signature/transcript.ts';
import { comparatorStatementHash, evidenceHash, type ComparatorStatement } from '../../src/gateway/comparator.ts';
import { getAssertion, type StoredCredential } from '../../clients/device/authenticator/software-authenticator.ts';
import { checkChallengeDigest } from '../../clients/device/gateway-client.ts';
import { runLiveSession, simulatorSource } from '../../clients/device/live-session.ts';
import { makePerson } from '../../clients/device/person.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, challengeOf, entries, startSignatureHarness, type TestPerson } from './helpers.ts';

/**
 * CRITICAL end to end over real HTTP and real WebSockets (issue 5). The example policy's
 * delete-cluster rule needs 2 of 'platform' [bob, carol, dave] and 1 of 'risk' [dave] with
 * biological signatures, then the comparator 'compliance' [erin] (biological: false) verifying
 * the evidence package and co-signing with her passkey. rotate-root-ca has a biological
 * comparator: erin answers her own biological challenge. The requesting agent's owner is not in
 * any group (agent-1's owner, bob, could never approve). Sessions run concurrently (20 s each).
 */
let h: Harness;
let ops: { id: string; key: KeyObject };
let bob: TestPerson, carol: TestPerson, dave: TestPerson, erin: TestPerson, pam: TestPerson;
/** A second passkey of each platform member (its own counter), for concurrent sessions and the two-device case. */
const second = new Map<string, StoredCredential>();

beforeAll(async () => {
  h = await startSignatureHarness({ label: 'critical-flow', editPolicy: (y) => y.replace('signature: { sustained: 45s }', 'signature: { sustained: 20s }') });
  ops = await h.addAgent('agent-ops', 'olga');
  [bob, carol, dave, erin, pam] = await Promise.all([
    addPerson(h, 'bob'),
    addPerson(h, 'carol'),
    addPerson(h, 'dave'),
    addPerson(h, 'erin', { roles: ['comparator'], modalities: ['motion'] }),
    addPerson(h, 'pam'),
  ]);
  for (const p of [bob, carol, dave]) second.set(p.id, (await p.client.enrol({ kind: 'wearable' })).stored);
});
afterAll(async () => h.close());

async function submit(op: 'delete' | 'rotate', key: string): Promise<{ id: string; digest: string; status: string }> {
  const res = op === 'delete' ? await h.as(ops, 'DELETE', `/proxy/infra/clusters/${key}`, { headers: { 'idempotency-key': key } }) : await h.as(ops, 'POST', '/proxy/infra/ca/rotate-root', { headers: { 'idempotency-key': key } });
  const a = (await res.json()) as { id: string; digest: string; status: string };
  expect(a.status).toBe('awaiting_quorum');
  return a;
}

async function sign(p: TestPerson, actionId: string, seed: string, credential: StoredCredential = p.credential!, not?: string) {
  // A second signature on the same action: the person asks for a fresh challenge.
  if (not !== undefined) expect((await p.client.request('POST', `/v1/people/${p.id}/challenges`, { actionId })).status).toBe(201);
  const c = await challengeOf(p, actionId, not);
  checkChallengeDigest(c);
  const r = await runLiveSession({ client: p.client, challengeId: c.id, credential, modalities: ['motion'], digest: c.digest, source: simulatorSource(makePerson(p.id), ['motion'], seed) });
  return { c, r };
}

type Options = { nonce: string; digest: string; evidence: Record<string, unknown>; evidenceSha256: string; statement: ComparatorStatement; statementHash: string; options: { challenge: string; allowCredentials: { id: string }[]; userVerification: string } };

/** erin's device: options, recompute what it signs from what it shows, assert. */
async function cosign(actionId: string, digest: string, forge?: (s: ComparatorStatement) => ComparatorStatement) {
  const opt = await erin.client.ok<Options>('POST', `/v1/actions/${actionId}/comparator/options`, { credentialId: erin.credential!.id });
  expect(opt.digest).toBe(digest);
  expect(evidenceHash(opt.evidence)).toBe(opt.evidenceSha256);
  expect(opt.statement).toEqual({ v: 1, type: 'comparator', actionId, digest, comparator: 'erin', credentialId: erin.credential!.id, evidenceSha256: opt.evidenceSha256 });
  expect(comparatorStatementHash(opt.statement)).toBe(opt.statementHash);
  const challenge = assertionChallenge(Buffer.from(opt.nonce, 'base64url'), digest, forge ? comparatorStatementHash(forge(opt.statement)) : opt.statementHash);
  if (!forge) expect(opt.options.challenge).toBe(challenge);
  expect(opt.options.allowCredentials.map((x) => x.id)).toEqual([erin.credential!.id]);
  expect(opt.options.userVerification).toBe('required');
  return erin.client.request<Record<string, unknown> & { code?: string }>('POST', `/v1/actions/${actionId}/comparator`, { credential: getAssertion(erin.credential!, { challenge, origin: h.url }) });
}

describe('CRITICAL: quorum of biological signatures, then the institutional comparator', () => {
  it('executes only after 2 platform + 1 risk biological signatures and the comparator co-signature; refusals and the biological comparator path', async () => {
    const a = await submit('delete', 'prod-eu-9');
    const rca = await submit('rotate', 'rca-1');
    // erin (comparator, biological: false) gets no challenge for delete-cluster; a biological one for rotate-root-ca.
    await challengeOf(erin, rca.id);
    expect((await erin.client.challenges()).some((c) => c.actionId === a.id)).toBe(false);
    // pam is in no group: not asked.
    expect((await pam.client.challenges()).some((c) => c.actionId === a.id)).toBe(false);

    // Evidence is for the comparator only.
    expect((await carol.client.request('GET', `/v1/actions/${a.id}/evidence`)).status).toBe(403);
    expect((await h.as(ops, 'GET', `/v1/actions/${a.id}/evidence`)).status).toBe(403);

    // A comparator co-sign BEFORE the quorum: verified, then refused by the quorum engine.
    const early = await cosign(a.id, a.digest);
    expect([early.status, early.json.code]).toEqual([409, 'COMPARATOR_BEFORE_QUORUM']);
    expect(await entries(h, { actionId: a.id, type: 'action.approval_refused' })).toMatchObject([{ who: 'erin', role: 'comparator', code: 'COMPARATOR_BEFORE_QUORUM' }]);

    // Phase 1: six live sessions at once (bob, carol, dave on each action; second passkeys on rotate-root-ca).
    const [sb, sc, sd, rb, rc, rd] = await Promise.all([
      sign(bob, a.id, 'c-bob'),
      sign(carol, a.id, 'c-carol'),
      sign(dave, a.id, 'c-dave'),
      sign(bob, rca.id, 'r-bob', second.get('bob')),
      sign(carol, rca.id, 'r-carol', second.get('carol')),
      sign(dave, rca.id, 'r-dave', second.get('dave')),
    ]);
    for (const s of [sb, sc, sd, rb, rc, rd]) expect(s.r.result, JSON.stringify(s.r.result)).toMatchObject({ outcome: 'accepted' });
    await waitFor(async () => (await entries(h, { actionId: a.id, type: 'action.approval_recorded' })).length === 3 || undefined);
    await waitFor(async () => (await entries(h, { actionId: rca.id, type: 'action.approval_recorded' })).length === 3 || undefined);
    // The quorum's authorizer side is met (dave counted once, in risk), but the action still waits.
    const recorded = await entries(h, { actionId: a.id, type: 'action.approval_recorded' });
    expect(recorded.map((e) => e['who']).sort()).toEqual(['bob', 'carol', 'dave']);
    expect(recorded.every((e) => e['counted'] === true)).toBe(true);
    expect(recorded.at(-1)!['quorum']).toMatchObject({ quorumMet: true, satisfied: false });
    expect(await actionStatus(h, a.id)).toBe('awaiting_quorum');
    await h.gw.ctx.scheduler.tick();
    expect(h.infra.executions.find((e) => e.key === a.id)).toBeUndefined();

    // Phase 2, concurrently: dave signs again with his second device (counted once: refused as a
    // duplicate), and erin answers her biological comparator challenge for rotate-root-ca.
    const [dup, bio] = await Promise.all([sign(dave, a.id, 'c-dave-2', second.get('dave'), sd.c.id), sign(erin, rca.id, 'r-erin')]);
    expect(dup.r.result).toMatchObject({ outcome: 'accepted', actionStatus: 'awaiting_quorum' });
    const dupRefused = await waitFor(async () => (await entries(h, { actionId: a.id, type: 'action.approval_refused' })).find((e) => e['code'] === 'QUORUM_DUPLICATE_PERSON'));
    expect(dupRefused).toMatchObject({ who: 'dave', device: second.get('dave')!.id });
    expect(bio.r.result).toMatchObject({ outcome: 'accepted' });
    await waitFor(async () => ((await actionStatus(h, rca.id)) === 'executed' ? true : undefined), 15_000);
    const rcaAuth = (await entries(h, { actionId: rca.id, type: 'action.authorised' }))[0]!;
    expect(rcaAuth).toMatchObject({ event: 'quorum_met', tier: 'CRITICAL' });
    expect((rcaAuth['approvals'] as { who: string; role: string; group: string; liveness?: unknown }[]).find((x) => x.who === 'erin')).toMatchObject({ role: 'comparator', group: 'compliance', liveness: { modalities: ['motion'] } });
    // ...and the biological comparator cannot take the passkey-only path.
    const rcaOpt = await erin.client.request<{ code: string }>('POST', `/v1/actions/${rca.id}/comparator/options`, { credentialId: erin.credential!.id });
    expect([rcaOpt.status, rcaOpt.json.code]).toEqual([409, 'COMPARATOR_BIOLOGICAL_REQUIRED']);

    // The evidence package.
    expect(await actionStatus(h, a.id)).toBe('awaiting_quorum');
    const ev = await erin.client.ok<Record<string, any>>('GET', `/v1/actions/${a.id}/evidence`);
    expect(ev).toMatchObject({ type: 'comparator-evidence', digest: a.digest, action: { id: a.id, status: 'awaiting_quorum', tier: 'CRITICAL', agent: 'agent-ops' } });
    expect(ev['summary'].text).toContain('prod-eu-9');
    expect(ev['policy']).toMatchObject({ rule: 'delete-cluster', quorum: { allOf: [{ group: 'platform', min: 2 }, { group: 'risk', min: 1 }], comparators: [{ group: 'compliance', biological: false, members: ['erin'] }] } });
    expect(ev['quorum']).toMatchObject({ quorumMet: true, satisfied: false, comparators: [{ group: 'compliance', counted: 0, required: 1 }] });
    expect(ev['approvals'].map((x: { who: string }) => x.who).sort()).toEqual(['bob', 'carol', 'dave']);
    for (const x of ev['approvals']) expect(x).toMatchObject({ role: 'authorizer', liveness: { modality: 'motion', modalities: ['motion'] }, logIndex: expect.any(Number) });
    // Every approval entry (the signature and its recording, refusals excluded) with an inclusion proof that verifies.
    const inclusion = ev['log'].inclusion as { logIndex: number; type: string; leafHash: string; hashes: string[]; entry: string }[];
    const approvalIdx = ev['approvals'].map((x: { logIndex: number }) => x.logIndex);
    expect(approvalIdx.every((i: number) => inclusion.some((p) => p.logIndex === i && p.type === 'signature.verified'))).toBe(true);
    expect(inclusion.filter((p) => p.type === 'action.approval_recorded')).toHaveLength(3);
    const root = Buffer.from(ev['log'].rootHash, 'base64');
    expect(ev['log'].checkpoint).toContain(`${ev['log'].treeSize}\n`);
    for (const p of inclusion) {
      const leaf = createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(p.entry, 'utf8')])).digest();
      expect(leaf.toString('base64')).toBe(p.leafHash);
      expect(() => verifyInclusionProof(p.logIndex, ev['log'].treeSize, leaf, p.hashes.map((x) => Buffer.from(x, 'base64')), root)).not.toThrow();
    }

    // A co-signature over another statement is refused; the action keeps waiting.
    const forged = await cosign(a.id, a.digest, (s) => ({ ...s, evidenceSha256: '0'.repeat(64) }));
    expect([forged.status, forged.json.code]).toEqual([409, 'SIGNATURE_REFUSED']);
    expect(await entries(h, { actionId: a.id, type: 'comparator.cosign_refused' })).toMatchObject([{ who: 'erin', code: 'ASSERTION_INVALID' }]);
    expect(await actionStatus(h, a.id)).toBe('awaiting_quorum');

    // Only now: erin co-signs, the quorum is complete, the action executes.
    const done = await cosign(a.id, a.digest);
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json).toMatchObject({ accepted: true, authorised: true, approval: { who: 'erin', role: 'comparator', device: erin.credential!.id, group: 'compliance' } });
    await waitFor(async () => ((await actionStatus(h, a.id)) === 'executed' ? true : undefined), 15_000);
    expect(h.infra.executions.filter((e) => e.key === a.id)).toHaveLength(1);
    const authorised = (await entries(h, { actionId: a.id, type: 'action.authorised' }))[0]!;
    expect(authorised).toMatchObject({ event: 'quorum_met', tier: 'CRITICAL', quorum: { satisfied: true } });
    const groups = Object.fromEntries((authorised['approvals'] as { who: string; group: string }[]).map((x) => [x.who, x.group]));
    expect(groups).toEqual({ bob: 'platform', carol: 'platform', dave: 'risk', erin: 'compliance' });
    const verified = (await entries(h, { actionId: a.id, type: 'signature.verified' })).filter((e) => e['who'] === 'erin');
    expect(verified.at(-1)).toMatchObject({ role: 'comparator', mode: 'cosign', device: erin.credential!.id });
    // The receipt the actuator got lists every counted approval.
    const receipt = decodeJwt(String((await entries(h, { actionId: a.id, type: 'action.executed' }))[0]!['receipt']));
    expect((receipt['apv'] as { who: string }[]).map((x) => x.who).sort()).toEqual(['bob', 'carol', 'dave', 'erin']);
    // Single use and terminal: no more co-signatures.
    const again = await erin.client.request<{ code: string }>('POST', `/v1/actions/${a.id}/comparator`, { credential: getAssertion(erin.credential!, { challenge: 'AAAA', origin: h.url }) });
    expect([again.status, again.json.code]).toEqual([404, 'COSIGN_NOT_STARTED']);
  });

  it('a veto by an approver ends the action; someone outside the quorum cannot veto', async () => {
    const a = await submit('delete', 'veto-approver');
    await challengeOf(carol, a.id);
    // pam is an authorizer but neither a policy vetoer nor a member of this quorum.
    const denied = await pam.client.request<{ code: string }>('POST', `/v1/actions/${a.id}/veto`, { reason: 'no' });
    expect([denied.status, denied.json.code]).toEqual([403, 'ROLE_FORBIDDEN']);
    const vetoed = await carol.client.ok<{ status: string; vetoedBy: string }>('POST', `/v1/actions/${a.id}/veto`, { reason: 'wrong cluster' });
    expect(vetoed).toMatchObject({ status: 'vetoed', vetoedBy: 'carol' });
    expect(await entries(h, { actionId: a.id, type: 'action.vetoed' })).toMatchObject([{ by: 'carol', as: 'approver', from: 'awaiting_quorum', reason: 'wrong cluster' }]);
    // Terminal: the open challenges close and nothing runs.
    await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.challenge_closed' })).length >= 3 || undefined);
    const late = await erin.client.request<{ code: string }>('POST', `/v1/actions/${a.id}/comparator/options`, { credentialId: erin.credential!.id });
    expect([late.status, late.json.code]).toEqual([409, 'ACTION_NOT_AWAITING_QUORUM']);
    await h.gw.ctx.scheduler.tick();
    expect(await actionStatus(h, a.id)).toBe('vetoed');
    expect(h.infra.executions.find((e) => e.key === a.id)).toBeUndefined();
  });

  it('a veto by the comparator ends the action', async () => {
    const a = await submit('delete', 'veto-comparator');
    const ev = await erin.client.ok<{ digest: string }>('GET', `/v1/actions/${a.id}/evidence`);
    expect(ev.digest).toBe(a.digest);
    const vetoed = await erin.client.ok<{ status: string; vetoedBy: string }>('POST', `/v1/actions/${a.id}/veto`, { reason: 'evidence incomplete' });
    expect(vetoed).toMatchObject({ status: 'vetoed', vetoedBy: 'erin' });
    expect(await entries(h, { actionId: a.id, type: 'action.vetoed' })).toMatchObject([{ by: 'erin', as: 'comparator', from: 'awaiting_quorum' }]);
    // A second veto (dave is also a policy vetoer) finds it terminal.
    const twice = await dave.client.request<{ code: string }>('POST', `/v1/actions/${a.id}/veto`, {});
    expect([twice.status, twice.json.code]).toEqual([409, 'ACTION_NOT_VETOABLE']);
    await h.gw.ctx.scheduler.tick();
    expect(await actionStatus(h, a.id)).toBe('vetoed');
    expect(h.infra.executions.find((e) => e.key === a.id)).toBeUndefined();
  });
});
