import { FirewallError } from '../core/errors.ts';
import { sha256Hex } from '../core/canonical.ts';
import { comparatorStatementHash, evidenceHash, type ComparatorStatement } from '../core/signature/comparator-statement.ts';
import type { QuorumRequirement } from '../core/policy/types.ts';
import { assertionChallenge } from '../core/signature/transcript.ts';
import type { AuthenticationResponse } from '../core/signature/messages.ts';
import { summariseAction } from '../core/signature/summary.ts';
import type { PrincipalRecord } from './ports/principals.ts';
import type { TransparencyLog } from './log/transparency-log.ts';
import type { ActionRecord, Approval } from './action-record.ts';
import { actionView } from './action-view.ts';
import { evaluateActionQuorum, recordApproval, type ApprovalOutcome } from './approvals.ts';
import { entry } from './audit-entries.ts';
import type { GatewayContext } from './context.ts';
import type { SignatureService } from './signatures/service.ts';
import { authenticationOptions, verifyAssertion } from './signatures/webauthn.ts';

/**
 * The institutional comparator of a CRITICAL action whose comparator group is `biological: false`
 * (docs/protocol.md §9, issue 5). Once the authorizers met the quorum, a member of the comparator
 * group reads an EVIDENCE PACKAGE (the action, its digest and plain-language summary, the policy
 * rule and the quorum it requires, every approval so far with its liveness result, and the
 * transparency-log inclusion proofs of the approval entries) and CO-SIGNS with their own passkey:
 *
 *   statement     = { v: 1, type: "comparator", actionId, digest, comparator, credentialId, evidenceSha256 }
 *   statementHash = hex SHA-256(JCS(statement))
 *   challenge     = base64url(SHA-256(nonce[32] || digest[32] || statementHash[32]))   (as §3 and §7)
 *
 * The verified co-signature goes to the quorum engine as an approval with role 'comparator'; the
 * engine refuses it (COMPARATOR_BEFORE_QUORUM) unless it comes after the quorum was met. A
 * comparator group marked `biological: true` verifies through the ordinary biological challenge
 * instead (the signature service issues them one); this path refuses such a group.
 */

/**
 * What a co-sign ceremony keeps beyond its WebAuthn challenge (the ceremony row's payload). The
 * nonce is no secret: the comparator's device was given it with the options; what makes the
 * co-signature unforgeable is the passkey, and what makes it single use is the stored ceremony.
 */
interface Pending {
  actionId: string;
  digest: string;
  statementHash: string;
  evidenceSha256: string;
  nonce: string;
}

/** One open co-sign ceremony per comparator and action: a new one supersedes the last. */
const ceremonyId = (comparator: string, actionId: string): string => `cosign ${actionId} ${comparator}`;

// The statement and its hashes are core code, shared with the approver app's page.
export { comparatorStatementHash, evidenceHash, type ComparatorStatement } from '../core/signature/comparator-statement.ts';

const TTL_MS = 5 * 60_000;
const APPROVAL_ENTRY_TYPES = ['signature.verified', 'action.approval_recorded'];

export class ComparatorVerification {
  readonly #ctx: GatewayContext;
  readonly #log: TransparencyLog;
  readonly #signatures: () => SignatureService | undefined;

  constructor(o: { ctx: GatewayContext; log: TransparencyLog; signatures: () => SignatureService | undefined }) {
    this.#ctx = o.ctx;
    this.#log = o.log;
    this.#signatures = o.signatures;
  }

  #service(): SignatureService {
    const s = this.#signatures();
    if (s === undefined) throw new FirewallError('SIGNATURES_UNAVAILABLE', 'biological signatures are not configured on this gateway', { status: 503 });
    return s;
  }

  /** The action, if `principal` is a comparator named in one of its quorum's comparator groups. */
  async #load(principal: PrincipalRecord, actionId: string): Promise<{ a: ActionRecord; rule: QuorumRequirement; groups: QuorumRequirement['comparators'] }> {
    if (!principal.roles.includes('comparator')) throw new FirewallError('ROLE_FORBIDDEN', 'only a designated comparator verifies a quorum', { status: 403 });
    const a = actionId.length <= 100 ? await this.#ctx.store.getAction(actionId) : undefined;
    const rule = a?.classification.requirements['quorum'] as QuorumRequirement | undefined;
    const groups = rule?.comparators.filter((c) => c.members.includes(principal.id)) ?? [];
    // Not an action this comparator verifies: reported as absent (ids are not an oracle).
    if (a === undefined || rule === undefined || groups.length === 0) throw new FirewallError('ACTION_NOT_FOUND', `no action '${actionId.slice(0, 100)}' for you to verify`, { status: 404 });
    return { a, rule, groups };
  }

  /** The evidence package (docs/protocol.md §9). Deterministic for a given action state and log tree size. */
  async evidence(principal: PrincipalRecord, actionId: string): Promise<Record<string, unknown>> {
    const { a, rule } = await this.#load(principal, actionId);
    return this.#build(a, rule);
  }

  async #build(a: ActionRecord, rule: QuorumRequirement): Promise<Record<string, unknown>> {
    const evaluation = await evaluateActionQuorum(this.#ctx, a);
    const logged = (await this.#log.query({ actionId: a.id, limit: 1000 })).filter((e) => APPROVAL_ENTRY_TYPES.includes(e.type));
    // Prove against a signed checkpoint that covers every approval entry (signed now if needed).
    const last = logged.reduce((m, e) => Math.max(m, e.index), -1);
    let checkpoint = await this.#log.latestCheckpoint();
    if (checkpoint === null || checkpoint.size <= last) checkpoint = await this.#log.checkpoint();
    const size = checkpoint.size;
    const b64 = (b: Buffer) => b.toString('base64');
    const proofs = [];
    for (const e of logged) {
      const p = await this.#log.inclusionProof(e.index, size);
      proofs.push({ logIndex: e.index, type: e.type, who: e.entry['who'] ?? null, leafHash: b64(p.leafHash), hashes: p.hashes.map(b64), entry: e.body });
    }
    const view = actionView(a);
    return {
      v: 1,
      type: 'comparator-evidence',
      action: { id: a.id, status: a.status, tier: a.classification.tier, agent: a.agent, createdAt: view['createdAt'], ...(view['expiresAt'] === undefined ? {} : { expiresAt: view['expiresAt'] }) },
      digest: a.digest,
      descriptor: a.descriptor,
      summary: summariseAction(a.descriptor, a.classification.tier),
      policy: { hash: a.classification.policyHash, rule: a.classification.rule, reasons: a.classification.reasons, quorum: rule },
      approvals: a.approvals,
      quorum:
        evaluation === undefined
          ? null
          : {
              satisfied: evaluation.satisfied,
              quorumMet: evaluation.quorumMet,
              ...(evaluation.quorumMetAt === undefined ? {} : { quorumMetAt: new Date(evaluation.quorumMetAt).toISOString() }),
              groups: evaluation.groups,
              comparators: evaluation.comparators,
              reasons: evaluation.reasons,
            },
      log: { origin: checkpoint.origin, treeSize: size, rootHash: b64(checkpoint.rootHash), checkpoint: checkpoint.note, inclusion: proofs },
    };
  }

  /**
   * Starts a co-sign ceremony: builds the evidence package, binds its hash and the action digest in
   * the statement and returns the WebAuthn options (this credential only, user verification required).
   */
  async options(principal: PrincipalRecord, actionId: string, body: { credentialId: string }): Promise<Record<string, unknown>> {
    const { a, rule, groups } = await this.#load(principal, actionId);
    if (groups.every((g) => g.biological)) {
      throw new FirewallError('COMPARATOR_BIOLOGICAL_REQUIRED', 'your comparator group verifies with a biological signature: answer the challenge issued to you', { status: 409 });
    }
    if (a.status !== 'awaiting_quorum') throw new FirewallError('ACTION_NOT_AWAITING_QUORUM', `action is '${a.status}'`, { status: 409, detail: { status: a.status } });
    const agent = await this.#ctx.store.principals.get(a.agent);
    if (principal.id === a.agent || principal.id === agent?.owner) {
      throw new FirewallError('COMPARATOR_NOT_INDEPENDENT', 'the comparator must be independent of the requesting agent', { status: 403 });
    }
    const service = this.#service();
    // A locked person authorises nothing until unlocked, as approver, witness or comparator (§5).
    if ((await this.#ctx.store.signatures.getPerson(principal.id))?.lockedAt != null) throw new FirewallError('PERSON_LOCKED', 'signing is locked for this person; ask an administrator', { status: 423 });
    const device = await this.#ctx.store.signatures.getDevice(body.credentialId);
    if (device === undefined || device.person !== principal.id || device.revokedAt !== null) throw new FirewallError('DEVICE_NOT_FOUND', 'no such device of yours', { status: 404 });
    const evidence = await this.#build(a, rule);
    const evidenceSha256 = evidenceHash(evidence);
    const nonce = await this.#ctx.signer.random(32);
    const statement: ComparatorStatement = { v: 1, type: 'comparator', actionId: a.id, digest: a.digest, comparator: principal.id, credentialId: device.credentialId, evidenceSha256 };
    const statementHash = comparatorStatementHash(statement);
    const expected = assertionChallenge(nonce, a.digest, statementHash);
    const now = this.#ctx.clock.now();
    const nonceB64 = Buffer.from(nonce).toString('base64url');
    const pending: Pending = { actionId: a.id, digest: a.digest, statementHash, evidenceSha256, nonce: nonceB64 };
    // Kept in the store (single use, 5 minutes), so whichever replica the co-signature reaches completes it.
    await this.#ctx.store.tx(async (tx) => {
      await tx.signatures.replaceCeremony({
        id: ceremonyId(principal.id, a.id),
        kind: 'cosign',
        person: principal.id,
        challenge: expected,
        deviceKind: null,
        deviceName: null,
        credentialId: device.credentialId,
        expiresAt: now + TTL_MS,
        usedAt: null,
        payload: JSON.stringify(pending),
      });
      await tx.audit([entry('comparator.cosign_started', now, a, { who: principal.id, device: device.credentialId, evidenceSha256, statementHash, nonceSha256: sha256Hex(nonce) })]);
    });
    const options = await authenticationOptions(service.config, { challenge: new Uint8Array(Buffer.from(expected, 'base64url')), allow: [device] });
    return { actionId: a.id, nonce: nonceB64, digest: a.digest, evidence, evidenceSha256, statement, statementHash, options };
  }

  /** Verifies the co-signature (credential, challenge, origin, RP ID, UV, counter) and hands it to the quorum engine. */
  async complete(principal: PrincipalRecord, actionId: string, body: { credential: AuthenticationResponse }): Promise<Record<string, unknown>> {
    const now = this.#ctx.clock.now();
    // Single use, even when what follows fails.
    const ceremony = actionId.length <= 100 ? await this.#ctx.store.tx((tx) => tx.signatures.useCeremony(ceremonyId(principal.id, actionId), now)) : undefined;
    if (ceremony === undefined || ceremony.kind !== 'cosign' || ceremony.person !== principal.id || ceremony.credentialId === null || ceremony.payload === null) {
      throw new FirewallError('COSIGN_NOT_STARTED', 'no co-sign ceremony of yours for this action; ask for options first', { status: 404 });
    }
    const pending = { ...(JSON.parse(ceremony.payload) as Pending), credentialId: ceremony.credentialId, expected: ceremony.challenge, deadline: ceremony.expiresAt };
    const service = this.#service();
    const device = await this.#ctx.store.signatures.getDevice(pending.credentialId);
    const a = await this.#ctx.store.getAction(actionId);
    if (a === undefined) throw new FirewallError('ACTION_NOT_FOUND', `no action '${actionId.slice(0, 100)}'`, { status: 404 });
    const detail = { who: principal.id, device: pending.credentialId, evidenceSha256: pending.evidenceSha256, statementHash: pending.statementHash, nonce: pending.nonce };
    const refuse = async (code: string, message: string, status = 409): Promise<never> => {
      const logIndex = await this.#ctx.store.tx(async (tx) => tx.audit([entry('comparator.cosign_refused', now, a, { ...detail, code, message: message.slice(0, 400) })]));
      throw new FirewallError(code === 'ASSERTION_INVALID' ? 'SIGNATURE_REFUSED' : code, code === 'ASSERTION_INVALID' ? 'the comparator signature was refused' : message, { status, detail: { logIndex } });
    };
    if (device === undefined || device.revokedAt !== null) return refuse('DEVICE_REVOKED', 'the device was revoked');
    if (now > pending.deadline) return refuse('COSIGN_TIMEOUT', 'the co-sign ceremony expired; ask for options again');
    if (a.digest !== pending.digest) return refuse('DIGEST_MISMATCH', 'the action digest changed');
    let newCounter: number;
    try {
      ({ newCounter } = await verifyAssertion(service.config, device, body.credential, pending.expected));
    } catch (e) {
      return refuse('ASSERTION_INVALID', (e as Error).message);
    }
    const assertion = { clientDataJSON: body.credential.response.clientDataJSON, authenticatorData: body.credential.response.authenticatorData, signature: body.credential.response.signature };
    const verifiedIndex = await this.#ctx.store.tx(async (tx): Promise<number | 'locked' | undefined> => {
      // Read in the commit that records the co-signature, so a lock committed first (even in this batch) wins.
      if ((await tx.signatures.person(principal.id))?.lockedAt != null) return 'locked';
      if (!(await tx.signatures.advanceCounter(device.credentialId, newCounter, now))) return undefined;
      return tx.audit([entry('signature.verified', now, a, { ...detail, role: 'comparator', mode: 'cosign', assertion })]);
    });
    if (verifiedIndex === 'locked') return refuse('PERSON_LOCKED', 'signing is locked for this person; ask an administrator', 423);
    if (verifiedIndex === undefined) return refuse('COUNTER_REGRESSION', 'the signature counter did not advance: a cloned authenticator?');
    const approval: Approval & { digest: string } = { who: principal.id, device: device.credentialId, role: 'comparator', at: Math.floor(now / 1000), logIndex: verifiedIndex, digest: pending.digest };
    // The quorum engine decides: after the quorum, a member of a comparator group, not an authorizer.
    const out: ApprovalOutcome = await recordApproval(this.#ctx, actionId, approval);
    return { accepted: true, approval: out.record.approvals.find((x) => x.logIndex === verifiedIndex) ?? approval, logIndex: verifiedIndex, actionStatus: out.record.status, authorised: out.authorised };
  }
}
