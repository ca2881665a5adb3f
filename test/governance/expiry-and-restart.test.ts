import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import { recordApproval } from '../../src/gateway/approvals.ts';
import { openStore } from '../../src/main/open-store.ts';
import { openPolicyGovernance } from '../../src/gateway/policy-governance.ts';
import { examplePolicyText, startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { MemorySigner } from '../helpers/memory-signer.ts';
import { EVIDENCE, live, registerPeople, relax, replaceOnce, tighten } from './helpers.ts';

describe('a relaxation without its quorum', () => {
  let h: Harness;
  beforeAll(async () => {
    // Quorum windows of 2 s so the relaxation expires during the test.
    h = await startHarness({ editPolicy: (y) => y.replace(/window: [12]h/g, 'window: 2s') });
    await registerPeople(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it('stays awaiting_quorum, then expires failing closed: the active policy never changes', async () => {
    const text = readFileSync(join(h.dir, 'policy.yaml'), 'utf8');
    const before = h.governance.holder.policy().hash;
    const res = await h.as('alice', 'POST', '/v1/policies/proposals', { body: { policy: relax(text), relaxationEvidence: EVIDENCE } });
    expect(res.status).toBe(201);
    const p = (await res.json()) as { id: string; status: string; action: { id: string; expiresAt: string } };
    expect(p.status).toBe('awaiting_quorum');
    const id = p.action.id;
    await recordApproval(h.gw.ctx, id, { who: 'bob', device: 'bob-phone', role: 'authorizer', liveness: live });
    await recordApproval(h.gw.ctx, id, { who: 'carol', device: 'carol-phone', role: 'authorizer', liveness: live });
    // An approval dated after the window is refused even before the scheduler expires the action.
    const late = Math.floor(Date.parse(p.action.expiresAt) / 1000) + 5;
    await expect(recordApproval(h.gw.ctx, id, { who: 'dave', device: 'dave-phone', role: 'authorizer', liveness: live, at: late })).rejects.toMatchObject({ code: 'QUORUM_WINDOW_CLOSED', status: 409 });

    const expired = await waitFor(async () => {
      const a = await h.gw.ctx.store.getAction(id);
      return a?.status === 'expired' ? a : undefined;
    });
    expect(expired.approvals.map((a) => a.who)).toEqual(['bob', 'carol']);
    expect(h.governance.holder.policy().hash).toBe(before);
    const view = (await (await h.as('alice', 'GET', `/v1/policies/proposals/${p.id}`)).json()) as { status: string };
    expect(view.status).toBe('expired');
    // Too late now: the quorum can no longer be completed.
    try {
      await recordApproval(h.gw.ctx, id, { who: 'dave', device: 'dave-phone', role: 'authorizer', liveness: live });
      throw new Error('expected a refusal');
    } catch (e) {
      expect(isFirewallError(e, 'ACTION_NOT_AWAITING_QUORUM')).toBe(true);
    }
    const res2 = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE89370400440532013000', amount: 100, currency: 'EUR' }, headers: { 'idempotency-key': 'after-expiry' } });
    expect(await res2.json()).toMatchObject({ tier: 'MEDIUM', policyHash: before });
    expect(await h.log.query({ actionId: id, type: 'action.expired', limit: 10 })).toHaveLength(1);
    expect((await h.log.query({ type: 'policy.applied', limit: 100 })).filter((e) => e.entry['proposalId'] === p.id)).toEqual([]);
  });
});

describe('the active policy across restarts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'af-gov-'));
  const file = join(dir, 'policy.yaml');
  const base = examplePolicyText({ payments: 'http://127.0.0.1:9090', infra: 'http://127.0.0.1:9091' });
  const silent = { warn: () => {}, error: () => {} };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function session<T>(text: string, f: (gov: Awaited<ReturnType<typeof openPolicyGovernance>>, log: Awaited<ReturnType<typeof openStore>>['log']) => Promise<T>): Promise<T> {
    writeFileSync(file, text);
    const { store, log } = await openStore({ dataDir: dir, signer: new MemorySigner(), clock: systemClock, origin: 'test.example/log' });
    const gov = await openPolicyGovernance({ store, clock: systemClock, initial: parsePolicy(text, file), log: silent });
    try {
      return await f(gov, log);
    } finally {
      gov.close();
      await log.close();
      await store.close();
    }
  }

  it('keeps an applied tightening; refuses a file that would relax it; applies a file that tightens further', async () => {
    const tightened = tighten(base);
    const t = await session(base, async (gov) => {
      const p = await gov.propose({ text: tightened, proposer: { kind: 'person', id: 'alice' } });
      expect(p.status).toBe('applied');
      return p.hash;
    });
    // Restart with the original file: it would relax the active policy, so the active one stays.
    await session(base, async (gov, log) => {
      expect(gov.holder.policy().hash).toBe(t);
      const refused = (await log.query({ type: 'policy.file_refused', limit: 10 })).map((e) => e.entry);
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ activeHash: t, fileHash: parsePolicy(base, file).hash });
    });
    // Restart with a file that tightens further: it applies, as a proposal by the operator's file.
    const further = replaceOnce(tightened, 'cooling: 2s\n    reason: Small payments', 'cooling: 3s\n    reason: Small payments');
    const f = parsePolicy(further, file).hash;
    await session(further, async (gov) => {
      expect(gov.holder.policy().hash).toBe(f);
      expect((await gov.proposals()).find((p) => p.hash === f)).toMatchObject({ kind: 'tightening', status: 'applied', proposer: { kind: 'file', id: 'operator' } });
      expect((await gov.versions.activations()).map((a) => a.hash)).toEqual([parsePolicy(base, file).hash, t, f]);
    });
    // The same file again: nothing changes.
    await session(further, async (gov) => {
      expect(gov.holder.policy().hash).toBe(f);
      expect(await gov.versions.activations()).toHaveLength(3);
    });
  });
});
