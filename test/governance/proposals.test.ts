import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFirewallError } from '../../src/core/errors.ts';
import { evaluateActionQuorum, recordApproval } from '../../src/gateway/approvals.ts';
import { POLICY_ACTUATOR } from '../../src/gateway/internal-actuators.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { EVIDENCE, live, problem, registerPeople, relax, replaceOnce, tighten, type Who } from './helpers.ts';

let h: Harness;
let people: Record<string, Who>;
let original: string;

beforeAll(async () => {
  h = await startHarness();
  people = await registerPeople(h);
  original = readFileSync(join(h.dir, 'policy.yaml'), 'utf8');
});
afterAll(async () => {
  await h.close();
});

const propose = (who: 'alice' | 'agent' | Who, body: unknown) => h.as(who, 'POST', '/v1/policies/proposals', { body });
const active = async () => ((await (await h.as('alice', 'GET', '/v1/policies/active')).json()) as { hash: string; activation: number }).hash;
/** The text of the active policy (what a proposer edits). */
const activeText = async () => {
  const hash = await active();
  return ((await (await h.as('alice', 'GET', `/v1/policies/versions/${hash}`)).json()) as { source: string }).source;
};
let n = 0;
const transfer = async (amount: number) => {
  const res = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE89370400440532013000', amount, currency: 'EUR' }, headers: { 'idempotency-key': `gov-${++n}` } });
  type View = { id: string; status: string; tier: string; policyHash: string; result?: { status: number } };
  if (res.status === 202) return (await res.json()) as View;
  // LOW through the proxy answers with the upstream's own response; the action is named in a header.
  const id = res.headers.get('analog-firewall-action')!;
  return (await (await h.as('agent', 'GET', `/v1/actions/${id}`)).json()) as View;
};
const entries = async (type: string) => (await h.log.query({ type, limit: 1000 })).map((e) => e.entry);

async function approve(actionId: string, who: string, o: { role?: 'authorizer' | 'comparator'; device?: string; at?: number; digest?: string } = {}) {
  return recordApproval(h.gw.ctx, actionId, { who, device: o.device ?? `${who}-phone`, role: o.role ?? 'authorizer', liveness: live, ...(o.at === undefined ? {} : { at: o.at }), ...(o.digest === undefined ? {} : { digest: o.digest }) });
}

/** Approves a relaxation's action with the example policy's strictest quorum (platform 2 + risk 1, then compliance). */
async function meetQuorum(actionId: string) {
  const at = Math.floor(Date.now() / 1000);
  // Concurrently: each evaluation sees the others' approvals as they commit (and looks their approvers up).
  const all = await Promise.all(['bob', 'carol', 'dave'].map((who) => approve(actionId, who, { at })));
  expect(all.every((r) => !r.authorised)).toBe(true);
  const stored = (await h.gw.ctx.store.getAction(actionId))!;
  expect(stored.approvals.map((a) => a.who).sort()).toEqual(['bob', 'carol', 'dave']);
  const e = (await evaluateActionQuorum(h.gw.ctx, stored))!;
  const diagnosis = JSON.stringify({ createdAt: stored.createdAt, approvals: stored.approvals, calls: all.map((r) => r.evaluation.reasons), now: e.reasons });
  expect(e.quorumMet, diagnosis).toBe(true);
  expect(e.satisfied, diagnosis).toBe(false);
  // The comparator verifies after the quorum was met (approval times have second resolution).
  return approve(actionId, 'erin', { role: 'comparator', at: at + 1 });
}

describe('roles', () => {
  it('an agent cannot propose, read proposals, versions or the active policy (403)', async () => {
    const res = await propose('agent', { policy: tighten(original) });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await problem(res)).toMatchObject({ code: 'ROLE_FORBIDDEN', status: 403 });
    for (const path of ['/v1/policies/proposals', '/v1/policies/active', '/v1/policies/versions']) {
      const r = await h.as('agent', 'GET', path);
      expect(r.status, path).toBe(403);
    }
  });

  it('comparators and regulators read but cannot propose; admins and authorizers propose', async () => {
    for (const who of [people['erin']!, people['rita']!]) {
      expect((await propose(who, { policy: tighten(original) })).status).toBe(403);
      expect((await h.as(who, 'GET', '/v1/policies/versions')).status).toBe(200);
      expect((await h.as(who, 'GET', '/v1/policies/active')).status).toBe(200);
    }
    // Admin proposes a (neutral) rename: not a relaxation, so it applies at once.
    const text = await activeText();
    const renamed = await propose(people['root']!, { policy: replaceOnce(text, 'name: example-bank', 'name: example-bank-renamed') });
    expect(renamed.status).toBe(201);
    expect(await renamed.json()).toMatchObject({ status: 'applied', kind: 'tightening', proposer: { kind: 'person', id: 'root' } });
  });

  it('an agent can never reach the policy pseudo-actuator', async () => {
    const viaProxy = await h.as('agent', 'POST', `/proxy/${POLICY_ACTUATOR}/apply`, { body: {}, headers: { 'idempotency-key': 'pseudo-1' } });
    expect([404, 422]).toContain(viaProxy.status);
    const direct = await h.as('agent', 'POST', '/v1/actions', { body: { actuator: POLICY_ACTUATOR, operation: 'apply', target: 'x', reversibility: 'fully_reversible' }, headers: { 'idempotency-key': 'pseudo-2' } });
    expect(direct.status).toBe(400);
    // Nor can a policy declare an actuator by that name.
    const res = await propose('alice', { policy: replaceOnce(await activeText(), 'actuators:\n', `actuators:\n  "${POLICY_ACTUATOR}":\n    upstream: http://127.0.0.1:1\n`) });
    expect(res.status).toBe(400);
    expect((await problem(res)).errors?.[0]?.field).toBe(`actuators["${POLICY_ACTUATOR}"]`);
  });
});

describe('malformed proposals', () => {
  it('a body without the policy is a 400 naming the field', async () => {
    const res = await propose('alice', { polcy: 'x' });
    expect(res.status).toBe(400);
    const p = await problem(res);
    expect(p.code).toBe('BODY_INVALID');
    expect(p.errors?.map((e) => e.field)).toEqual(expect.arrayContaining(['policy', 'polcy']));
  });

  it('an invalid policy is a 400 naming the line and the field', async () => {
    const text = replaceOnce(await activeText(), 'cooling: 1s\n    reason: Small payments', 'cooling: 30\n    reason: Small payments');
    const res = await propose('alice', { policy: text });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const p = await problem(res);
    expect(p.code).toBe('POLICY_INVALID');
    const line = text.split('\n').findIndex((l) => l.includes('cooling: 30')) + 1;
    expect(p.errors?.[0]).toMatchObject({ field: 'rules[3].cooling', line });
    expect(p.detail).toContain(`proposal.yaml:${line}:`);
  });

  it('a relaxation without the four criteria is refused (400), naming what is missing or wrong', async () => {
    const text = relax(await activeText());
    const none = await propose('alice', { policy: text });
    expect(none.status).toBe(400);
    expect(await problem(none)).toMatchObject({ code: 'RELAXATION_EVIDENCE_REQUIRED', errors: [{ field: 'relaxationEvidence' }] });
    const bad = { ...EVIDENCE, transparency: { ...EVIDENCE.transparency, tier: 'T2' }, irreversibility: { ...EVIDENCE.irreversibility, category: 3 } } as Record<string, unknown>;
    delete bad['calibration'];
    const res = await propose('alice', { policy: text, relaxationEvidence: bad });
    expect(res.status).toBe(400);
    const p = await problem(res);
    expect(p.code).toBe('RELAXATION_EVIDENCE_INVALID');
    expect(p.errors?.map((e) => e.field).sort()).toEqual(['relaxationEvidence.calibration', 'relaxationEvidence.irreversibility.category', 'relaxationEvidence.transparency.tier']);
    expect(p.errors?.find((e) => e.field.endsWith('tier'))?.message).toContain('Tier 3');
    // Nothing was recorded for refused proposals.
    expect((await entries('policy.proposed')).filter((e) => e['toHash'] === undefined)).toEqual([]);
  });

  it('proposing the active policy again is a 409', async () => {
    const res = await propose('alice', { policy: (await activeText()) + '\n# only a comment\n' });
    expect(res.status).toBe(409);
    expect((await problem(res)).code).toBe('POLICY_UNCHANGED');
  });
});

describe('tightening', () => {
  it('applies at once; new actions classify under the new hash; versions, diff and log record it', async () => {
    const before = await active();
    const res = await propose('alice', { policy: tighten(await activeText()), note: 'longer veto window for small payments' });
    expect(res.status).toBe(201);
    const p = (await res.json()) as { id: string; status: string; kind: string; hash: string; baseHash: string; diff: { path: string; from: unknown; to: unknown }[]; findings: unknown[] };
    expect(p).toMatchObject({ status: 'applied', kind: 'tightening', baseHash: before, findings: [] });
    expect(p.diff).toContainEqual({ op: 'changed', path: 'rules[id=small-transfer].coolingMs', from: 1000, to: 2000 });
    expect(await active()).toBe(p.hash);

    const a = await transfer(100);
    expect(a).toMatchObject({ status: 'cooling', tier: 'MEDIUM', policyHash: p.hash });

    const shown = (await (await h.as('alice', 'GET', `/v1/policies/proposals/${p.id}`)).json()) as { diff: unknown[]; status: string };
    expect(shown.status).toBe('applied');
    expect(shown.diff).toEqual(p.diff);
    const versions = (await (await h.as('alice', 'GET', '/v1/policies/versions')).json()) as { versions: { hash: string; status: string }[] };
    expect(versions.versions.find((v) => v.hash === before)?.status).toBe('retired');
    expect(versions.versions.find((v) => v.hash === p.hash)?.status).toBe('active');

    expect((await entries('policy.proposed')).find((e) => e['proposalId'] === p.id)).toMatchObject({ kind: 'tightening', fromHash: before, toHash: p.hash, proposer: { kind: 'person', id: 'alice' } });
    expect((await entries('policy.applied')).find((e) => e['proposalId'] === p.id)).toMatchObject({ fromHash: before, toHash: p.hash });
    expect((await entries('policy.activated')).map((e) => e['policyHash'])).toContain(p.hash);
  });
});

describe('relaxation', () => {
  it('waits for the quorum as a CRITICAL @policy action; the active policy stays unchanged', async () => {
    const before = await active();
    const res = await propose('alice', { policy: relax(await activeText()), relaxationEvidence: EVIDENCE });
    expect(res.status).toBe(201);
    const p = (await res.json()) as { id: string; status: string; kind: string; findings: { code: string; message: string }[]; quorum: { allOf: { group: string; min: number }[] }; action: { id: string; status: string; digest: string } };
    expect(p).toMatchObject({ status: 'awaiting_quorum', kind: 'relaxation' });
    expect(p.findings.map((f) => f.code)).toContain('TIER_LOWERED');
    expect(p.findings.find((f) => f.code === 'TIER_LOWERED')?.message).toContain('payments/transfer');
    expect(p.quorum.allOf.map((c) => [c.group, c.min])).toEqual([
      ['platform', 2],
      ['risk', 1],
    ]);
    const action = (await (await h.as('alice', 'GET', `/v1/actions/${p.action.id}`)).json()) as { status: string; tier: string; descriptor: { actuator: string; agent: string } };
    expect(action).toMatchObject({ status: 'awaiting_quorum', tier: 'CRITICAL', descriptor: { actuator: POLICY_ACTUATOR, agent: 'alice' } });

    // Partial approvals change nothing.
    await approve(p.action.id, 'bob');
    expect(await active()).toBe(before);
    expect((await transfer(120)).tier).toBe('MEDIUM');
    const view = (await (await h.as(people['rita']!, 'GET', `/v1/policies/proposals/${p.id}`)).json()) as { status: string; relaxationEvidence: unknown; action: { approvals: unknown[]; quorum: { satisfied: boolean; reasons: string[] } } };
    expect(view.status).toBe('awaiting_quorum');
    expect(view.relaxationEvidence).toEqual(EVIDENCE);
    expect(view.action.approvals).toHaveLength(1);
    expect(view.action.quorum.satisfied).toBe(false);
    expect(view.action.quorum.reasons.join(' ')).toContain("group 'platform' has 1 of 2");
  });

  it('is applied once the quorum approvals exist: executed in the gateway, never forwarded, then new actions classify under it', async () => {
    const before = await active();
    const res = await propose('alice', { policy: relax(await activeText()), relaxationEvidence: EVIDENCE });
    const p = (await res.json()) as { id: string; hash: string; action: { id: string } };
    const done = await meetQuorum(p.action.id);
    expect(done.authorised).toBe(true);
    expect(done.evaluation.satisfied).toBe(true);
    expect(done.record.status).toBe('executed');
    expect(JSON.parse(Buffer.from(done.record.result!.bodyB64, 'base64').toString())).toMatchObject({ applied: p.hash, proposalId: p.id });
    // Counted approvals carry their group (receipts show it).
    expect(done.record.approvals.map((a) => [a.who, a.group]).sort()).toEqual([
      ['bob', 'platform'],
      ['carol', 'platform'],
      ['dave', 'risk'],
      ['erin', 'compliance'],
    ]);

    expect(await active()).toBe(p.hash);
    const a = await transfer(130);
    expect(a).toMatchObject({ tier: 'LOW', policyHash: p.hash, status: 'executed' });
    const view = (await (await h.as('alice', 'GET', `/v1/policies/proposals/${p.id}`)).json()) as { status: string };
    expect(view.status).toBe('applied');

    // Nothing went to any actuator for the policy action.
    expect([...h.payments.executions, ...h.infra.executions].some((e) => e.key === p.action.id)).toBe(false);
    const executed = (await h.log.query({ actionId: p.action.id, limit: 100 })).map((e) => e.entry);
    expect(executed.map((e) => e['type'])).toEqual(['policy.proposed', 'action.received', 'action.classified', 'action.awaiting_quorum', 'action.approval_recorded', 'action.approval_recorded', 'action.approval_recorded', 'action.approval_recorded', 'action.authorised', 'action.dispatched', 'action.executed', 'policy.applied']);
    expect(executed.find((e) => e['type'] === 'action.authorised')).toMatchObject({ event: 'quorum_met', tier: 'CRITICAL', policyHash: before });
    expect(typeof executed.find((e) => e['type'] === 'action.executed')?.['receipt']).toBe('string');
    expect((await entries('policy.applied')).find((e) => e['proposalId'] === p.id)).toMatchObject({ kind: 'relaxation', fromHash: before, toHash: p.hash, actionId: p.action.id });

    // Put the stricter policy back for the tests that follow: that is a tightening, so it applies at once.
    const back = await propose('alice', { policy: tighten(original) });
    expect(await back.json()).toMatchObject({ status: 'applied', kind: 'tightening' });
  });

  it('counts each approval by the quorum rules, refusing with precise codes and logging the refusal', async () => {
    const bob = people['bob']!;
    const res = await propose(bob, { policy: relax(await activeText()), relaxationEvidence: EVIDENCE });
    const p = (await res.json()) as { id: string; action: { id: string; digest: string } };
    const id = p.action.id;
    const refusal = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        if (isFirewallError(e)) return { code: e.code, status: e.status, message: e.message };
        throw e;
      }
      throw new Error('expected a refusal');
    };
    // The proposer never approves their own relaxation.
    expect(await refusal(() => approve(id, 'bob'))).toMatchObject({ code: 'QUORUM_SEPARATION_OF_DUTIES', status: 403 });
    // An admin cannot approve in place of an authorizer; a regulator never approves.
    expect(await refusal(() => approve(id, 'root'))).toMatchObject({ code: 'QUORUM_ROLE_FORBIDDEN' });
    expect(await refusal(() => approve(id, 'rita'))).toMatchObject({ code: 'QUORUM_ROLE_FORBIDDEN' });
    expect(await refusal(() => approve(id, 'agent-1'))).toMatchObject({ code: 'QUORUM_SEPARATION_OF_DUTIES' });
    expect(await refusal(() => approve(id, 'carol', { digest: 'f'.repeat(64) }))).toMatchObject({ code: 'QUORUM_DIGEST_MISMATCH', status: 409 });
    await approve(id, 'carol', { digest: p.action.digest });
    // Same person, second device: counted once.
    expect(await refusal(() => approve(id, 'carol', { device: 'carol-watch' }))).toMatchObject({ code: 'QUORUM_DUPLICATE_PERSON', status: 409 });
    // The comparator only after the quorum is met.
    expect(await refusal(() => approve(id, 'erin', { role: 'comparator' }))).toMatchObject({ code: 'COMPARATOR_BEFORE_QUORUM', status: 409 });
    const refused = (await h.log.query({ actionId: id, type: 'action.approval_refused', limit: 100 })).map((e) => e.entry['code']);
    expect(refused).toEqual(['QUORUM_SEPARATION_OF_DUTIES', 'QUORUM_ROLE_FORBIDDEN', 'QUORUM_ROLE_FORBIDDEN', 'QUORUM_SEPARATION_OF_DUTIES', 'QUORUM_DIGEST_MISMATCH', 'QUORUM_DUPLICATE_PERSON', 'COMPARATOR_BEFORE_QUORUM']);
    const a = (await h.gw.ctx.store.getAction(id))!;
    expect(a.status).toBe('awaiting_quorum');
    expect(a.approvals.map((x) => x.who)).toEqual(['carol']);
    // A vetoer can still stop it: the relaxation is then dead and nothing changed.
    const veto = await h.as('alice', 'POST', `/v1/actions/${id}/veto`, { body: { reason: 'not now' } });
    expect(veto.status).toBe(200);
    const view = (await (await h.as('alice', 'GET', `/v1/policies/proposals/${p.id}`)).json()) as { status: string };
    expect(view.status).toBe('vetoed');
  });

  it('a relaxation whose base policy changed meanwhile is superseded, not applied', async () => {
    const base = await activeText();
    const first = (await (await propose('alice', { policy: relax(base), relaxationEvidence: EVIDENCE })).json()) as { id: string; action: { id: string } };
    // A tightening lands while the relaxation waits.
    const t = (await (await propose('alice', { policy: replaceOnce(base, 'max_count: 20', 'max_count: 15') })).json()) as { hash: string; status: string };
    expect(t.status).toBe('applied');
    const done = await meetQuorum(first.action.id);
    expect(done.record.status).toBe('failed');
    expect(done.record.error).toBe('POLICY_BASE_CHANGED');
    expect(await active()).toBe(t.hash);
    const view = (await (await h.as('alice', 'GET', `/v1/policies/proposals/${first.id}`)).json()) as { status: string; reason: string };
    expect(view.status).toBe('superseded');
    expect(view.reason).toContain('propose it again');
  });

  it('a Stage 8 proposal from the system itself goes through the same path', async () => {
    const text = await activeText();
    // The system tightens a threshold: applies at once.
    const tight = await h.governance.propose({ text: replaceOnce(text, 'max_amount: { EUR: 5000 }', 'max_amount: { EUR: 4000 }'), proposer: { kind: 'system', id: 'stage-8' }, note: 'gate calibration' }, h.gw.ctx.bus);
    expect(tight).toMatchObject({ status: 'applied', kind: 'tightening', proposer: { kind: 'system', id: 'stage-8' } });
    // The system relaxes a threshold: it needs the evidence and the quorum like anyone.
    const loose = replaceOnce(await activeText(), 'max_amount: { EUR: 4000 }', 'max_amount: { EUR: 9000 }');
    await expect(h.governance.propose({ text: loose, proposer: { kind: 'system', id: 'stage-8' } })).rejects.toMatchObject({ code: 'RELAXATION_EVIDENCE_REQUIRED' });
    const p = await h.governance.propose({ text: loose, proposer: { kind: 'system', id: 'stage-8' }, relaxationEvidence: EVIDENCE }, h.gw.ctx.bus);
    expect(p).toMatchObject({ status: 'awaiting_quorum', kind: 'relaxation' });
    expect(p.findings.some((f) => f.message.includes('transfer-burst'))).toBe(true);
    const a = (await h.gw.ctx.store.getAction(p.actionId!))!;
    expect(a.agent).toBe('system:stage-8');
    expect(await active()).toBe(tight.hash);
  });
});

describe('the dispatcher and pseudo-actuators', () => {
  it('never forwards an action on an internal actuator it has no executor for', async () => {
    const now = Date.now();
    const record = {
      id: 'act_internal-test',
      agent: 'alice',
      idempotencyKey: 'internal-test',
      status: 'executing' as const,
      digest: 'd'.repeat(64),
      descriptor: { agent: 'alice', actuator: '@unknown', operation: 'x', target: 'x', parameters: {}, reversibility: 'fully_reversible' as const, request: { method: 'POST', path: '/transfers', bodySha256: '' } },
      classification: { tier: 'CRITICAL' as const, decision: 'ALLOW' as const, rule: 'test', reasons: [], matchedRules: [], policyHash: 'p', requirements: {} },
      forward: { method: 'POST', path: '/transfers', contentType: null, bodyB64: '' },
      createdAt: now,
      updatedAt: now,
      dueAt: now + 60_000,
      approvals: [],
      dispatchAttempts: 0,
    };
    await h.gw.ctx.store.tx(async (tx) => tx.insertAction(record));
    const final = await waitFor(async () => {
      const a = await h.gw.ctx.dispatcher.dispatch((await h.gw.ctx.store.getAction(record.id))!);
      return a.status === 'failed' ? a : undefined;
    }, 20_000, 10);
    expect(final.error).toBe('INTERNAL_ACTUATOR_UNAVAILABLE');
    // Nothing reached an actuator for it. (A count of all executions raced earlier tests' cooling
    // actions finishing meanwhile: seen once as "one execution too many".)
    expect([...h.payments.executions, ...h.infra.executions].filter((e) => e.key === record.id)).toEqual([]);
  });
});
