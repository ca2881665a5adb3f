import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEvidence } from '../../clients/regulator/evidence.ts';
import type { EvidencePackage, LogVerifierKey } from '../../src/core/signature/evidence.ts';
import { recordApproval } from '../../src/gateway/approvals.ts';
import { entry } from '../../src/gateway/audit-entries.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { createTestPki, type TestPki } from '../log/helpers/pki.ts';
import { AttestedSigner } from './helpers/attested-signer.ts';
import { addPrincipal, type Principal } from './helpers/regulator.ts';

/**
 * The comparator's evidence-package check (clients/regulator/evidence.ts, the module the approver
 * app's comparator screen runs in the browser), in Node against a real gateway's package for a
 * CRITICAL action whose quorum is met: the honest package passes every check; each kind of
 * tampering fails the check that names it, and the package as a whole.
 */
let pki: TestPki;
let other: TestPki;
let h: Harness;
let erin: Principal;
let honest: EvidencePackage;
/** A package read before anyone approved. */
let early: EvidencePackage;
let refusedLiveness: EvidencePackage;
let vk: LogVerifierKey;

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const failed = async (e: EvidencePackage, key: LogVerifierKey = vk) => {
  const r = await checkEvidence(e, key);
  expect(r.ok).toBe(false);
  return r.checks.filter((c) => !c.ok).map((c) => c.id);
};
/** Flips one base64 character of a hash, keeping it valid base64 of the same length. */
const flip = (b64: string): string => (b64[0] === 'A' ? 'B' : 'A') + b64.slice(1);

/** Each approval as the biological flow hands it over: its signature.verified entry, then the quorum engine. */
async function approve(actionId: string, people: string[], refused?: string): Promise<void> {
  const { store, clock } = h.gw.ctx;
  for (const who of people) {
    const cur = (await store.getAction(actionId))!;
    const device = `dev-${who}`;
    const accepted = who !== refused;
    const liveness = { accepted, score: accepted ? 1 : 0.2, modalities: { motion: { accepted, score: accepted ? 1 : 0.2 } } };
    const logIndex = await store.tx(async (tx) => tx.audit([entry('signature.verified', clock.now(), cur, { who, device, role: 'authorizer', modalities: ['motion'], score: liveness.score, liveness })]));
    await recordApproval(h.gw.ctx, actionId, { who, device, role: 'authorizer', liveness: { modality: 'motion', modalities: ['motion'], score: 1 }, logIndex, digest: cur.digest });
  }
}

beforeAll(async () => {
  pki = createTestPki();
  other = createTestPki('Another Root');
  h = await startHarness({ signer: new AttestedSigner(pki) });
  const ops = await h.addAgent('agent-ops', 'olga');
  for (const id of ['bob', 'carol', 'dave']) await addPrincipal(h, id, ['authorizer']);
  erin = await addPrincipal(h, 'erin', ['comparator']);
  const waiting = (await (await h.as(ops, 'DELETE', '/proxy/infra/clusters/prod-eu-8', { headers: { 'idempotency-key': 'evidence-0' } })).json()) as { id: string };
  early = (await (await h.as(erin, 'GET', `/v1/actions/${waiting.id}/evidence`)).json()) as EvidencePackage;
  const res = await h.as(ops, 'DELETE', '/proxy/infra/clusters/prod-eu-7', { headers: { 'idempotency-key': 'evidence-1' } });
  const a = (await res.json()) as { id: string; status: string };
  expect(a.status).toBe('awaiting_quorum');
  await approve(a.id, ['bob', 'carol', 'dave']);
  honest = (await (await h.as(erin, 'GET', `/v1/actions/${a.id}/evidence`)).json()) as EvidencePackage;
  // A package whose log records one signature's liveness as refused (a gateway that counted it anyway).
  const b = (await (await h.as(ops, 'DELETE', '/proxy/infra/clusters/prod-eu-9', { headers: { 'idempotency-key': 'evidence-2' } })).json()) as { id: string };
  await approve(b.id, ['bob', 'carol'], 'carol');
  refusedLiveness = (await (await h.as(erin, 'GET', `/v1/actions/${b.id}/evidence`)).json()) as EvidencePackage;
  vk = (await (await fetch(`${h.url}/log/v1/verifier-key`)).json()) as LogVerifierKey;
});
afterAll(async () => {
  await h?.close();
  pki?.dispose();
  other?.dispose();
});

describe('the comparator evidence check', () => {
  it('passes an honest package: every check, every approval proven, the HSM root as anchor', async () => {
    expect(honest.quorum?.quorumMet).toBe(true);
    const r = await checkEvidence(honest, vk);
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => c.id)).toEqual(['digest', 'key.attestation', 'checkpoint.signature', 'log.inclusion', 'approvals.logged']);
    expect(r.approvals.map((p) => [p.approval.who, p.ok, p.counted])).toEqual([
      ['bob', true, true],
      ['carol', true, true],
      ['dave', true, true],
    ]);
    expect(r.anchor?.kind).toBe('hsm-root');
    expect(r.anchor?.fingerprint).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){15}$/);
  });

  it('fails a tampered inclusion proof, a tampered entry, and a proof of an entry about another action', async () => {
    const proof = clone(honest);
    proof.log.inclusion[0]!.hashes[0] = flip(proof.log.inclusion[0]!.hashes[0]!);
    expect(await failed(proof)).toEqual(['log.inclusion', 'approvals.logged']);

    const entry = clone(honest);
    const carol = entry.log.inclusion.find((p) => p.type === 'signature.verified' && p.who === 'carol')!;
    carol.entry = carol.entry.replace('"who":"carol"', '"who":"mallory"');
    expect(carol.entry).toContain('mallory');
    expect(await failed(entry)).toEqual(['log.inclusion', 'approvals.logged']);

    const elsewhere = clone(honest);
    elsewhere.action.id = 'act_another';
    expect(await failed(elsewhere)).toContain('log.inclusion');
  });

  it('fails an approval the log does not record, and one whose proof is missing', async () => {
    const who = clone(honest);
    who.approvals[0]!.who = 'mallory';
    expect(await failed(who)).toEqual(['approvals.logged']);

    const missing = clone(honest);
    missing.log.inclusion = missing.log.inclusion.filter((p) => p.logIndex !== missing.approvals[2]!.logIndex);
    expect(await failed(missing)).toEqual(['approvals.logged']);
  });

  it('fails a descriptor that is not the one its digest names (what is shown is what is verified)', async () => {
    const e = clone(honest);
    e.descriptor.target = 'prod-us-1';
    expect(await failed(e)).toEqual(['digest']);
  });

  it('fails a checkpoint whose signature or tree is not the package’s', async () => {
    const sig = clone(honest);
    const lines = sig.log.checkpoint.split('\n');
    const last = lines.length - 2; // the signature line (the note ends with a newline)
    const [dash, name, b64] = lines[last]!.split(' ');
    lines[last] = `${dash} ${name} ${b64!.slice(0, 10)}${b64![10] === 'A' ? 'B' : 'A'}${b64!.slice(11)}`;
    sig.log.checkpoint = lines.join('\n');
    expect(await failed(sig)).toContain('checkpoint.signature');

    const size = clone(honest);
    size.log.treeSize += 1;
    expect(await failed(size)).toContain('checkpoint.signature');
  });

  it('fails a log key attested by another root; warns (and shows the key to compare) when the HSM gives no chain', async () => {
    const rogue = { ...vk, x5c: [vk.x5c![0]!, other.rootB64] };
    expect(await failed(honest, rogue)).toEqual(['key.attestation']);

    const bare = await checkEvidence(honest, { vkey: vk.vkey, x5c: [] });
    expect(bare.ok).toBe(true);
    expect(bare.checks.find((c) => c.id === 'key.attestation')).toMatchObject({ ok: true, warning: true });
    expect(bare.anchor?.kind).toBe('log-key');
  });

  it('passes a package read before anyone approved: nothing to prove yet, and no quorum claimed', async () => {
    expect(early.approvals).toEqual([]);
    expect(early.quorum?.quorumMet).toBe(false);
    const r = await checkEvidence(early, vk);
    expect(r.ok).toBe(true);
    expect(r.checks.find((c) => c.id === 'approvals.logged')?.detail).toBe('no approval yet');
  });

  it('fails an approval whose proven signature entry records a refused liveness verdict', async () => {
    const r = await checkEvidence(refusedLiveness, vk);
    expect(r.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['approvals.logged']);
    expect(r.approvals.map((p) => [p.approval.who, p.ok])).toEqual([
      ['bob', true],
      ['carol', false],
    ]);
  });

  it('a met quorum must be proven: a package claiming one without approvals fails', async () => {
    const none = clone(honest);
    none.approvals = [];
    none.log.inclusion = [];
    expect(await failed(none)).toEqual(['log.inclusion', 'approvals.logged']);
  });

  it('never throws on a malformed package: it fails', async () => {
    const r = await checkEvidence({ ...clone(honest), log: { origin: 'x', treeSize: 0, rootHash: '', checkpoint: 'nonsense', inclusion: [] } }, vk);
    expect(r.ok).toBe(false);
    const nothing = await checkEvidence({} as EvidencePackage, vk);
    expect(nothing.ok).toBe(false);
  });
});
