import { canonicalDigest } from '../../src/core/canonical.ts';
import { parseVerifierKey } from '../../src/core/checkpoint/verifier-key.ts';
import type { Check, CheckEvidence, CheckId, EvidencePackage, EvidenceReport, LogVerifierKey, ProvenApproval } from '../../src/core/signature/evidence.ts';
import { certifiesEd25519, loadRootCertificate, verifyChain } from './attestation.ts';
import { verifyCheckpoint, verifyEntryInclusion, type VerifiedCheckpoint } from './proofs.ts';

/**
 * A CRITICAL action's evidence package checked as its comparator's phone checks it before the
 * comparator co-signs (docs/protocol.md §9, docs/approver-app.md §Comparator): the same proof code
 * as the rest of this verifier, isomorphic, so the approver app's page bundles this module (on
 * demand: the inbox does not need it) and Node tests run it as it is. The checkpoint's Ed25519 note
 * signature and the RFC 6962 inclusion proofs are proofs.ts; the HSM attestation chain of the log
 * key is attestation.ts, whose certificate signatures WebCrypto checks, as does the root's
 * fingerprint. This module decides what must hold for a package and reports it check by check.
 */

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 300);

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(h, (b) => b.toString(16).padStart(2, '0')).join('');
}

const groups = (hex: string): string => hex.match(/.{4}/g)!.join(' ');

/**
 * The log key is the HSM's: its x5c chain verifies up to its root, which certifies that key; the
 * root's fingerprint is for the comparator to compare with the one their institution pinned. An
 * HSM that gives no chain (a generic PKCS#11 token, docs/hsm.md) leaves the key itself to compare:
 * a warning, not a pass; a chain that does not verify fails.
 */
async function attestation(vk: LogVerifierKey, origin: string, now: Date): Promise<{ check: Check; anchor?: EvidenceReport['anchor'] }> {
  const label = 'The log’s signing key is attested by the HSM';
  try {
    const key = parseVerifierKey(vk.vkey);
    if (key.name !== origin) throw new Error(`the key is named ${JSON.stringify(key.name)}, not the log's origin ${JSON.stringify(origin)}`);
    const chain = vk.x5c ?? [];
    if (chain.length === 0) {
      const fingerprint = groups(await sha256Hex(Uint8Array.from(key.publicKey).buffer));
      return {
        check: { id: 'key.attestation', ok: true, warning: true, label, detail: 'this HSM gives no attestation chain: compare the log key’s fingerprint with the one your institution pinned' },
        anchor: { kind: 'log-key', fingerprint },
      };
    }
    const root = loadRootCertificate(Uint8Array.from(atob(chain[chain.length - 1]!), (c) => c.charCodeAt(0)));
    const leaf = await verifyChain(chain, root, now);
    if (!(await certifiesEd25519(leaf, key.publicKey))) throw new Error('the attested certificate is for another key');
    return { check: { id: 'key.attestation', ok: true, label, detail: `${leaf.subject}, a chain of ${chain.length} to the HSM root` }, anchor: { kind: 'hsm-root', fingerprint: groups(await sha256Hex(root.rawData)) } };
  } catch (e) {
    return { check: { id: 'key.attestation', ok: false, label, detail: message(e) } };
  }
}

function parseEntry(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Every check of docs/approver-app.md §Comparator over `e`, with the log's verifier key `vk` (GET /log/v1/verifier-key). */
export const checkEvidence: CheckEvidence = async (e: EvidencePackage, vk: LogVerifierKey, now = new Date()): Promise<EvidenceReport> => {
  const checks: Check[] = [];
  const fail = (id: CheckId, label: string, detail: string) => checks.push({ id, ok: false, label, detail });

  // 1. What is shown is what is verified: the digest is the descriptor's.
  const digestLabel = 'The action shown is the one its digest names';
  try {
    const d = canonicalDigest(e.descriptor);
    checks.push(d === e.digest ? { id: 'digest', ok: true, label: digestLabel, detail: `SHA-256 of the descriptor is ${d.slice(0, 16)}…` } : { id: 'digest', ok: false, label: digestLabel, detail: 'the descriptor does not hash to the digest' });
  } catch (x) {
    fail('digest', digestLabel, message(x));
  }

  // 2. The log key is the HSM's.
  const att = await attestation(vk, e.log?.origin, now);
  checks.push(att.check);

  // 3. The checkpoint is signed by that key and is the one the package names.
  const cpLabel = 'The log checkpoint is signed by that key';
  let cp: VerifiedCheckpoint | undefined;
  try {
    cp = verifyCheckpoint(e.log.checkpoint, vk.vkey, e.log.origin);
    if (cp.size !== e.log.treeSize || cp.rootHash !== e.log.rootHash) throw new Error('the signed checkpoint is not the tree the package names');
    checks.push({ id: 'checkpoint.signature', ok: true, label: cpLabel, detail: `tree of ${cp.size} entries, root ${cp.rootHash.slice(0, 12)}…` });
  } catch (x) {
    cp = undefined;
    fail('checkpoint.signature', cpLabel, message(x));
  }

  // 4. Each approval entry is in that tree, and is about this action.
  const incLabel = 'Every approval entry is included in the signed log';
  const proven = new Map<number, Record<string, unknown>>();
  const incFailures: string[] = [];
  const inclusion = Array.isArray(e.log?.inclusion) ? e.log.inclusion : [];
  for (const p of inclusion) {
    try {
      if (cp === undefined) throw new Error('no verified checkpoint to prove against');
      verifyEntryInclusion(p.entry, p.logIndex, p.hashes, cp);
      const x = parseEntry(p.entry);
      if (x === undefined || x['type'] !== p.type || x['actionId'] !== e.action.id || x['digest'] !== e.digest) throw new Error('the entry is not about this action');
      proven.set(p.logIndex, x);
    } catch (x) {
      incFailures.push(`entry ${p.logIndex}: ${message(x)}`);
    }
  }
  const listed = Array.isArray(e.approvals) ? e.approvals : [];
  // Nothing to prove before anyone approved; a package that claims a met quorum must prove it.
  if (inclusion.length === 0 && (listed.length > 0 || e.quorum?.quorumMet === true)) incFailures.push('the package proves no entry');
  checks.push(incFailures.length === 0 ? { id: 'log.inclusion', ok: true, label: incLabel, detail: `${inclusion.length} entries proven` } : { id: 'log.inclusion', ok: false, label: incLabel, detail: incFailures.join('; ') });

  // 5. Each approval listed is backed by its proven entries: the signature, and the quorum's record of it.
  const apLabel = 'Every approval listed is the one the log records';
  const recorded = [...proven.values()].filter((x) => x['type'] === 'action.approval_recorded');
  const approvals: ProvenApproval[] = listed.map((a) => {
    const x = a.logIndex === undefined ? undefined : proven.get(a.logIndex);
    // The quorum engine's record: for a signature, the entry naming it; for an approval without one, that entry itself.
    const record = x?.['type'] === 'action.approval_recorded' ? x : recorded.find((r) => r['signatureLogIndex'] === a.logIndex);
    const ok =
      x !== undefined &&
      (x['type'] === 'signature.verified' || x['type'] === 'action.approval_recorded') &&
      x['who'] === a.who &&
      (x['device'] === undefined || x['device'] === a.device) &&
      record !== undefined &&
      record['who'] === a.who &&
      record['role'] === a.role &&
      // A biological signature's entry records the liveness verdict: it must be an acceptance.
      (x['type'] !== 'signature.verified' || x['mode'] !== undefined || (x['liveness'] as { accepted?: unknown } | undefined)?.accepted === true);
    return { approval: a, ...(x === undefined ? {} : { entry: x }), counted: record?.['counted'] !== false, ok };
  });
  const bad = approvals.filter((p) => !p.ok).map((p) => p.approval.who);
  checks.push(
    approvals.length === 0
      ? e.quorum?.quorumMet === true
        ? { id: 'approvals.logged', ok: false, label: apLabel, detail: 'the package claims a met quorum without a single approval' }
        : { id: 'approvals.logged', ok: true, label: apLabel, detail: 'no approval yet' }
      : bad.length === 0
        ? { id: 'approvals.logged', ok: true, label: apLabel, detail: `${approvals.length} approvals, each with its proven log entries` }
        : { id: 'approvals.logged', ok: false, label: apLabel, detail: `not proven: ${bad.join(', ')}` },
  );

  return { ok: checks.every((c) => c.ok), checks, approvals, ...(cp === undefined ? {} : { checkpoint: cp }), ...(att.anchor === undefined ? {} : { anchor: att.anchor }) };
};
