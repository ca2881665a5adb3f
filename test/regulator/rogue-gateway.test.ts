/**
 * A gateway that writes wrong things into its own log: every entry is genuinely in the signed tree
 * (all cryptographic checks pass), and the action rules still name each violation and its entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionDigest } from '../../src/core/action/digest.ts';
import type { ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import { entry } from '../../src/gateway/audit-entries.ts';
import { coolingExtended } from '../../src/gateway/cooling-clock.ts';
import { receiptIssuer } from '../../src/gateway/issue-receipt.ts';
import type { ActionRecord } from '../../src/gateway/action-record.ts';
import { verifyBundle, type VerificationReport } from '../../clients/regulator/verify-bundle.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { authoriseWithApprovals, nowSec } from './helpers/approve.ts';
import { CRYPTO_CHECKS, errorsOf } from './helpers/bundle-edit.ts';
import { addPrincipal, exportWith, issueToken } from './helpers/regulator.ts';
import { createTestPki, type TestPki } from '../log/helpers/pki.ts';
import { AttestedSigner } from './helpers/attested-signer.ts';

let pki: TestPki;
let h: Harness;
let bundle: ExportBundle;
let report: VerificationReport;
/** Log indexes of the entries of an honest action whose cooling was extended. */
let honestEntries: number[];
/** Log indexes of the wrong entries, by case. */
const at: Record<string, number> = {};

async function submit(method: string, path: string, key: string, body?: unknown): Promise<ActionRecord> {
  const res = await h.as('agent', method, path, { ...(body === undefined ? {} : { body }), headers: { 'idempotency-key': key } });
  const id = res.headers.get('analog-firewall-action');
  if (id === null) throw new Error(`${res.status} ${await res.text()}`);
  return (await h.gw.ctx.store.getAction(id))!;
}

async function audit(entries: Record<string, unknown>[]): Promise<number> {
  return h.gw.ctx.store.tx(async (tx) => tx.audit(entries));
}

async function receiptFor(a: ActionRecord, logIndex: number, over: { digest?: string; approvals?: unknown[] } = {}): Promise<{ jws: string; jti: string }> {
  const issue = receiptIssuer({ signer: h.signer, clock: h.gw.ctx.clock, issuer: h.url, ttlSec: 60 });
  return issue({
    actionId: a.id,
    actuator: a.descriptor.actuator,
    digest: over.digest ?? a.digest,
    method: a.forward.method,
    path: a.forward.path,
    bodySha256: a.descriptor.request.bodySha256,
    tier: a.classification.tier,
    approvals: over.approvals ?? a.approvals,
    policyHash: a.classification.policyHash,
    logIndex,
  });
}

function executed(a: ActionRecord, r: { jws: string; jti: string }): Record<string, unknown> {
  return entry('action.executed', Date.now(), a, { event: 'upstream_answered', upstreamStatus: 201, responseSha256: '0'.repeat(64), receiptJti: r.jti, receipt: r.jws });
}

const live = (modality: string) => ({ modality, score: 0.9 });

beforeAll(async () => {
  pki = createTestPki();
  // The example policy's modality roles are kept: case 12 breaks them.
  h = await startHarness({ signer: new AttestedSigner(pki), keepRoles: true });
  const rita = await addPrincipal(h, 'rita', ['regulator']);
  const now = () => Date.now();

  // 1. Dispatched and executed (with a genuine receipt) while still awaiting a signature.
  const unsigned = await submit('POST', '/proxy/payments/transfers', 'rogue-unsigned', { payee: 'R1', amount: 2000, currency: 'EUR' });
  at['dispatched-unauthorised'] = await audit([entry('action.dispatched', now(), unsigned, { event: 'dispatch', attempt: 1 })]);
  at['executed-unauthorised'] = await audit([executed(unsigned, await receiptFor(unsigned, at['dispatched-unauthorised']!))]);

  // 2. A MEDIUM action authorised and executed at once, cooling cut short.
  const hasty = await submit('POST', '/proxy/payments/transfers', 'rogue-hasty', { payee: 'R2', amount: 40, currency: 'EUR' });
  const released = await h.gw.ctx.store.tx(async (tx) => {
    const t = now();
    await tx.updateAction(hasty.id, ['cooling'], { status: 'executing', dueAt: t + 60_000, updatedAt: t });
    const i = await tx.audit([
      entry('action.authorised', t, hasty, { event: 'cooling_elapsed', tier: 'MEDIUM', approvals: [], policyHash: hasty.classification.policyHash, notBefore: hasty.dueAt }),
      entry('action.dispatched', t, hasty, { event: 'dispatch', attempt: 1 }),
    ]);
    at['cooling-cut'] = i;
    return tx.updateAction(hasty.id, ['executing'], { authorisationLogIndex: i });
  });
  expect((await h.gw.ctx.dispatcher.dispatch(released!)).status).toBe('executed');

  // 15. A cooling extension that moves the end of cooling earlier, then a release at that earlier end.
  const shortened = await submit('POST', '/proxy/payments/transfers', 'rogue-shortened', { payee: 'R15', amount: 45, currency: 'EUR' });
  at['extension-earlier'] = await audit([coolingExtended(now(), { ...shortened, dueAt: shortened.dueAt! - 900 }, 0)]);
  // 16. A genuine extension (as the cooling clock writes it after an outage), then a release before its new end.
  const extended = await submit('POST', '/proxy/payments/transfers', 'rogue-extended', { payee: 'R16', amount: 46, currency: 'EUR' });
  at['released-before-extension'] = await h.gw.ctx.store.tx(async (tx) => {
    const moved = await tx.updateAction(extended.id, ['cooling'], { dueAt: extended.dueAt! + 600_000, updatedAt: now() }, extended);
    await tx.audit([coolingExtended(now(), moved!, 600_000)]);
    const t = extended.dueAt! + 1;
    return tx.audit([entry('action.authorised', t, moved!, { event: 'cooling_elapsed', tier: 'MEDIUM', approvals: [], policyHash: moved!.classification.policyHash, notBefore: extended.dueAt })]);
  });
  // 17. An honest one: extended by the cooling clock's own entry, released by the scheduler at the new end.
  const honest = await submit('POST', '/proxy/payments/transfers', 'honest-extended', { payee: 'R17', amount: 47, currency: 'EUR' });
  await h.gw.ctx.store.tx(async (tx) => {
    const moved = await tx.updateAction(honest.id, ['cooling'], { dueAt: honest.dueAt! + 1500, updatedAt: now() }, honest);
    await tx.audit([coolingExtended(now(), moved!, 1500)]);
  });
  await waitFor(async () => ((await h.gw.ctx.store.getAction(honest.id))!.status === 'executed' ? true : undefined), 15_000);
  honestEntries = (await h.log.query({ actionId: honest.id })).map((e) => e.index);

  // 12. HIGH approved by one primary modality for the policy's 30 s: its roles want two primaries
  // together, or one with a supporting modality, or one for 60 s.
  const onePrimary = await submit('POST', '/proxy/payments/transfers', 'rogue-one-primary', { payee: 'R12', amount: 2400, currency: 'EUR' });
  await authoriseWithApprovals(h, onePrimary.id, [{ who: 'alice', device: 'alice-phone', role: 'authorizer', at: nowSec(), liveness: { modality: 'motion', modalities: ['motion'], score: 0.9, sustainedMs: 30_000 } }]);
  at['one-primary'] = (await h.log.query({ actionId: onePrimary.id, type: 'action.authorised' }))[0]!.index;

  // 3. HIGH with an authorizer's approval but no liveness summary.
  const noLiveness = await submit('POST', '/proxy/payments/transfers', 'rogue-noliveness', { payee: 'R3', amount: 2100, currency: 'EUR' });
  await authoriseWithApprovals(h, noLiveness.id, [{ who: 'alice', device: 'alice-phone', role: 'authorizer', at: nowSec() }]);
  at['no-liveness'] = (await h.log.query({ actionId: noLiveness.id, type: 'action.authorised' }))[0]!.index;

  // 4. CRITICAL one platform approver short; 5. CRITICAL with dave counted twice.
  const short = await submit('DELETE', '/proxy/infra/clusters/c2', 'rogue-short');
  await authoriseWithApprovals(
    h,
    short.id,
    [
      { who: 'bob', device: 'bob-phone', role: 'authorizer', at: nowSec(), group: 'platform', liveness: live('hrv') },
      { who: 'dave', device: 'dave-phone', role: 'authorizer', at: nowSec(), group: 'risk', liveness: live('hrv') },
      { who: 'erin', device: 'erin-desk', role: 'comparator', at: nowSec() + 1, group: 'compliance' },
    ],
    { all_of: [{ group: 'platform', min: 1 }, { group: 'risk', min: 1 }], comparator: 'compliance' },
  );
  at['quorum-short'] = (await h.log.query({ actionId: short.id, type: 'action.authorised' }))[0]!.index;
  const twice = await submit('DELETE', '/proxy/infra/clusters/c3', 'rogue-twice');
  await authoriseWithApprovals(
    h,
    twice.id,
    [
      { who: 'bob', device: 'bob-phone', role: 'authorizer', at: nowSec(), group: 'platform', liveness: live('hrv') },
      { who: 'dave', device: 'dave-phone', role: 'authorizer', at: nowSec(), group: 'platform', liveness: live('hrv') },
      { who: 'dave', device: 'dave-watch', role: 'authorizer', at: nowSec(), group: 'risk', liveness: live('motion') },
      { who: 'erin', device: 'erin-desk', role: 'comparator', at: nowSec() + 1, group: 'compliance' },
    ],
    { all_of: [{ group: 'platform', min: 1 }, { group: 'risk', min: 1 }], comparator: 'compliance' },
  );
  at['quorum-twice'] = (await h.log.query({ actionId: twice.id, type: 'action.authorised' }))[0]!.index;

  // 6. Executed after a veto.
  const vetoed = await submit('POST', '/proxy/payments/transfers', 'rogue-vetoed', { payee: 'R6', amount: 30, currency: 'EUR' });
  expect((await h.as('alice', 'POST', `/v1/actions/${vetoed.id}/veto`, { body: { reason: 'stop' } })).status).toBe(200);
  at['after-veto'] = await audit([
    entry('action.authorised', now(), vetoed, { event: 'cooling_elapsed', tier: 'MEDIUM', approvals: [], policyHash: vetoed.classification.policyHash, notBefore: vetoed.dueAt }),
    entry('action.dispatched', now(), vetoed, { event: 'dispatch', attempt: 1 }),
  ]);
  at['executed-after-veto'] = await audit([executed(vetoed, await receiptFor(vetoed, at['after-veto']!))]);

  // 7. A classification under a policy that was never activated.
  const descriptor = { ...unsigned.descriptor, target: 'R7' };
  const ghost = { id: 'act_ghost', digest: actionDigest(descriptor) };
  at['ghost-received'] = await audit([
    entry('action.received', now(), ghost, { agent: descriptor.agent, idempotencyKey: 'ghost', descriptor }),
    entry('action.classified', now(), ghost, { tier: 'LOW', decision: 'ALLOW', rule: 'balance-reads', reasons: [], matchedRules: [], policyHash: 'ab'.repeat(32), requirements: {} }),
  ]);

  // 13. A HIGH classification whose modality roles are weaker than the policy's defaults.
  const weakRoles = { ...descriptor, target: 'R13' };
  const weak = { id: 'act_weak_roles', digest: actionDigest(weakRoles) };
  const signature = { ...unsigned.classification.requirements['signature'] as Record<string, unknown>, roles: { primary: ['hrv', 'motion', 'typing', 'gaze', 'voice'], minPrimary: 1, onePrimary: ['supporting', 'longer', 'witness'] } };
  at['weak-roles'] = await audit([
    entry('action.received', now(), weak, { agent: weakRoles.agent, idempotencyKey: 'weak-roles', descriptor: weakRoles }),
    entry('action.classified', now(), weak, { tier: 'HIGH', decision: 'ALLOW', rule: 'large-transfer', reasons: [], matchedRules: ['large-transfer'], policyHash: unsigned.classification.policyHash, requirements: { signature } }),
  ]) + 1;

  // 8. An execution whose receipt binds another action's digest; 9. one with no receipt.
  const swapped = await submit('POST', '/proxy/payments/transfers', 'rogue-swapped', { payee: 'R8', amount: 2200, currency: 'EUR' });
  const sig = await audit([entry('signature.verified', now(), swapped, { who: 'alice', device: 'alice-watch', role: 'authorizer', liveness: live('hrv') })]);
  const approvals = [{ who: 'alice', device: 'alice-watch', role: 'authorizer', at: nowSec(), liveness: live('hrv'), logIndex: sig }];
  const auth = await audit([
    entry('action.authorised', now(), swapped, { event: 'signature_verified', tier: 'HIGH', approvals, policyHash: swapped.classification.policyHash }),
    entry('action.dispatched', now(), swapped, { event: 'dispatch', attempt: 1 }),
  ]);
  at['receipt-swapped'] = await audit([executed(swapped, await receiptFor(swapped, auth, { digest: unsigned.digest, approvals }))]);
  const { receipt: _r, receiptJti: _j, ...noReceipt } = executed(unsigned, { jws: '', jti: '' });
  at['receipt-missing'] = await audit([{ ...noReceipt, actionId: noLiveness.id, digest: noLiveness.digest }]);

  // 10. Garbage where approvals and requirements belong.
  const garbage = await submit('POST', '/proxy/payments/transfers', 'rogue-garbage', { payee: 'R10', amount: 2300, currency: 'EUR' });
  at['garbage'] = await audit([entry('action.authorised', now(), garbage, { event: 'signature_verified', tier: 'HIGH', approvals: [42, { who: 7 }, { who: 'x', device: 'd', role: 'boss', at: 1 }], policyHash: garbage.classification.policyHash })]);

  // 11. An action recorded with a digest that is not its descriptor's.
  at['bad-digest'] = await audit([entry('action.received', now(), { id: 'act_mismatch', digest: 'cd'.repeat(32) }, { agent: 'agent-1', idempotencyKey: 'm', descriptor })]);

  // 14. A liveness acceptance its own recorded rule refuses: one modality below the fusion floor.
  const fusedLow = await submit('POST', '/proxy/payments/transfers', 'rogue-fusion', { payee: 'R14', amount: 2500, currency: 'EUR' });
  const belowFloor = { accepted: true, score: 0.5, failedChecks: [], modalities: { motion: { accepted: true, failedChecks: [] }, voice: { accepted: false, failedChecks: ['voice.coupling'] } }, decision: { rule: 'fusion', margins: { motion: 1, voice: -3 }, fused: -2, minFused: 0, floor: -1, cap: 1 } };
  at['fusion-floor'] = await audit([entry('signature.verified', now(), fusedLow, { who: 'alice', device: 'alice-phone', role: 'authorizer', liveness: belowFloor })]);

  const token = (await issueToken(h, rita, { scopes: ['log:export'] })).access_token;
  bundle = await exportWith(h, token);
  report = await verifyBundle(bundle, { rootPem: pki.rootPem });
});
afterAll(async () => {
  await h.close();
  pki.dispose();
});

const messagesAt = (check: string, index: number): string[] => errorsOf(report, check).filter((f) => f.index === index).map((f) => f.message);

describe('violations written into the log itself', () => {
  it('every cryptographic check passes: the entries are genuinely in the signed log', () => {
    for (const c of report.checks) if (CRYPTO_CHECKS.includes(c.id)) expect(c.status, c.id).not.toBe('fail');
    expect(report.ok).toBe(false);
    expect(report.findings.filter((f) => /crashed|failed to start/.test(f.message))).toEqual([]);
  });

  it('dispatch and execution without authorisation', () => {
    expect(messagesAt('action.authorisation', at['dispatched-unauthorised']!)[0]).toMatch(/has no prior action.authorised/);
    expect(messagesAt('action.authorisation', at['executed-unauthorised']!)[0]).toMatch(/has no prior action.authorised/);
    expect(messagesAt('action.lifecycle', at['dispatched-unauthorised']!)[0]).toMatch(/may not follow status 'awaiting_signature'/);
  });

  it('cooling cut short', () => {
    expect(messagesAt('action.cooling', at['cooling-cut']!)[0]).toMatch(/ms before the cooling period of entry \d+ ended/);
  });

  it('a cooling extension that moves the end earlier, and a release before an extended end; an honest extension passes', () => {
    expect(messagesAt('action.cooling', at['extension-earlier']!)[0]).toMatch(/moves the end of cooling of action act_\S+ 900 ms earlier/);
    const before = messagesAt('action.cooling', at['released-before-extension']!).join('\n');
    expect(before).toMatch(/ms before the cooling period of entry \d+ ended/);
    expect(before).toMatch(/notBefore \d+ differs from \d+ of the cooling entry/);
    expect(honestEntries.length).toBeGreaterThanOrEqual(6); // received, classified, cooling, extended, authorised, dispatched, executed
    expect(report.findings.filter((f) => f.index !== undefined && honestEntries.includes(f.index))).toEqual([]);
  });

  it('a HIGH approval without liveness', () => {
    expect(messagesAt('action.signature', at['no-liveness']!)[0]).toMatch(/alice \(authorizer: no liveness summary\)/);
  });

  it('a liveness acceptance that its recorded rule refuses (a modality below the fusion floor)', () => {
    expect(messagesAt('action.signature', at['fusion-floor']!)[0]).toMatch(/the liveness acceptance does not follow its rule: voice margin -3 is below the floor -1/);
  });

  it('a HIGH approval short of the policy\'s modality roles', () => {
    expect(messagesAt('action.signature', at['one-primary']!)[0]).toMatch(/alice \(authorizer: 1 primary modality \(motion, 30000 ms\) where the policy asks for 2 of motion, typing, gaze, voice captured together or allows supporting\/longer\/witness\)/);
  });

  it("a classification with modality roles weaker than the policy's", () => {
    const m = messagesAt('action.requirements', at['weak-roles']!).join('\n');
    expect(m).toMatch(/make hrv primary beyond the policy's motion, typing, gaze, voice/);
    expect(m).toMatch(/need 1 primary modalities, below the policy's 2/);
  });

  it('a CRITICAL quorum one approver short, and one person counted in two groups', () => {
    expect(messagesAt('action.quorum', at['quorum-short']!)[0]).toMatch(/group 'platform' has 1 of 2 distinct qualifying approvers/);
    expect(messagesAt('action.quorum', at['quorum-twice']!)[0]).toMatch(/dave is counted in 'platform' and 'risk' \(separation of duties\)/);
  });

  it('execution after a veto', () => {
    expect(messagesAt('action.finality', at['after-veto']!)[0]).toMatch(/follows entry \d+ \(action\.vetoed\).*a vetoed action must never run/);
    expect(messagesAt('action.finality', at['executed-after-veto']!)[0]).toMatch(/action\.vetoed/);
  });

  it('a classification under a policy never activated', () => {
    expect(messagesAt('policy.activation', at['ghost-received']! + 1)[0]).toMatch(/policy abababababababab… was not activated/);
  });

  it('a receipt bound to another action, and an execution without a receipt', () => {
    expect(messagesAt('action.receipt', at['receipt-swapped']!)[0]).toMatch(/act is not the digest of this execution; act is not the digest received/);
    expect(messagesAt('action.receipt', at['receipt-missing']!)[0]).toMatch(/executed without a recorded receipt/);
  });

  it('garbage in approvals is reported, not thrown', () => {
    const m = messagesAt('action.approvals', at['garbage']!);
    expect(m).toEqual([expect.stringMatching(/approvals\[0\] is not an object/), expect.stringMatching(/approvals\[1\] has no 'who'/), expect.stringMatching(/approvals\[2\] \(x\) has no valid 'role'/)]);
    expect(messagesAt('action.signature', at['garbage']!)[0]).toMatch(/no approval by an authorizer/);
  });

  it('a received digest that is not the SHA-256 of the descriptor', () => {
    expect(messagesAt('action.lifecycle', at['bad-digest']!)[0]).toMatch(/'digest' is not the SHA-256 of the RFC 8785 form of its descriptor/);
  });

  it('a gateway bundle verified without the attested keys is refused at the root', async () => {
    const other = createTestPki('Other Root');
    try {
      const r = await verifyBundle(bundle, { rootPem: other.rootPem });
      expect(r.checks.find((c) => c.id === 'key.attestation')?.status).toBe('fail');
    } finally {
      other.dispose();
    }
  });
});
