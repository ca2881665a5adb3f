import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ActionDescriptor } from '../core/action/descriptor.ts';
import { actionDigest } from '../core/action/digest.ts';
import { nextStatus } from '../core/action/state-machine.ts';
import { canonicalDigest } from '../core/canonical.ts';
import type { Clock } from '../core/clock.ts';
import { FirewallError } from '../core/errors.ts';
import { parsePolicy } from '../core/policy/parse.ts';
import { velocityScopesOf } from '../core/policy/velocity.ts';
import type { Policy, PolicyDocument, QuorumRequirement, SignatureSpec } from '../core/policy/types.ts';
import { diffPolicies, governanceRequirements, isRelaxation, validateRelaxationEvidence } from '../core/policy-governance/index.ts';
import type { Store, StoreTx } from './ports/store.ts';
import type { PolicyProposal, PolicyVersionReads, PolicyVersionsTx, ProposalStatus, Proposer } from './ports/policy-versions.ts';
import type { ActionRecord, ClassificationSummary } from './action-record.ts';
import { entry } from './audit-entries.ts';
import { POLICY_ACTUATOR, type InternalExecutor } from './internal-actuators.ts';
import { PolicyHolder } from './policy-holder.ts';
import type { ActionEvents } from './ports/action-events.ts';

/**
 * Policy governance (seed §III.1, self-permissioning guard; §VI.5, relaxation criteria).
 *
 * Every policy the gateway has used or been offered is stored as a version (hash, normalised
 * document, source text, who proposed it, when, status). A change is PROPOSED with its full text:
 *
 *  - if it only tightens (core/policy-governance isRelaxation: no action treated less strictly),
 *    it applies at once, in the same transaction as its log entries;
 *  - if it could relax anything, it needs the four criteria of §VI.5 as evidence, and becomes a
 *    CRITICAL action on the pseudo-actuator '@policy' (internal-actuators.ts) that waits for the
 *    STRICTEST quorum of the policy it would replace (governanceRequirements). When the quorum is
 *    met (gateway/approvals.ts) the dispatcher executes the action, which applies the policy here;
 *    nothing is ever forwarded. If the window closes first it expires and nothing changes.
 * Proposals from the system itself (Stage 8 gate calibration) take exactly the same path, with
 * proposer kind 'system'. Agents can never propose (the HTTP layer refuses their role).
 */

export interface ProposalInput {
  /** The complete policy file (YAML). */
  text: string;
  proposer: Proposer;
  relaxationEvidence?: unknown;
  note?: string;
}

/** File name under which proposal errors are reported (`proposal.yaml:LINE:COL field: message`). */
export const PROPOSAL_FILE = 'proposal.yaml';

function documentOf(p: Policy): PolicyDocument {
  const { hash: _h, file: _f, warnings: _w, ...doc } = p;
  return doc;
}

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

export class PolicyGovernance {
  readonly holder: PolicyHolder;
  /** Committed reads of the stored versions, activations and proposals. */
  readonly versions: PolicyVersionReads;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly log: { warn: (o: object, m: string) => void; error: (o: object, m: string) => void };
  /** For GatewayParts.internalActuators. */
  readonly internalActuators: ReadonlyMap<string, InternalExecutor>;

  private constructor(o: { store: Store; clock: Clock; holder: PolicyHolder; versions: PolicyVersionReads; log: PolicyGovernance['log'] }) {
    this.#store = o.store;
    this.#clock = o.clock;
    this.holder = o.holder;
    this.versions = o.versions;
    this.log = o.log;
    this.internalActuators = new Map([[POLICY_ACTUATOR, (r, receipt) => this.#apply(r, receipt)]]);
  }

  /** Set while the store holds a newer activation this gateway could not install: it decides nothing meanwhile. */
  #stale: FirewallError | null = null;
  #watch: NodeJS.Timeout | undefined;
  #refreshing = false;

  /** For GatewayParts.policy. Fails closed (503, readiness false) while the active policy is out of reach. */
  readonly policy = () => {
    if (this.#stale !== null) throw this.#stale;
    return this.holder.port();
  };

  /**
   * Opens governance on a store, with the policy file the operator started the gateway with. The
   * active version survives restarts: a file that merely tightens it (or is the same) is applied;
   * a file that would relax it is NOT (a restart must not bypass the quorum) and the stored active
   * policy stays in force, with a `policy.file_refused` entry in the log.
   */
  static async open(o: { store: Store; clock: Clock; initial: Policy; source?: string; log: PolicyGovernance['log'] }): Promise<PolicyGovernance> {
    const gov = await PolicyGovernance.#open(o);
    await gov.#indexVelocityScopes();
    return gov;
  }

  static async #open(o: { store: Store; clock: Clock; initial: Policy; source?: string; log: PolicyGovernance['log'] }): Promise<PolicyGovernance> {
    const versions = o.store.policyVersions;
    const source = o.source ?? (await readFile(o.initial.file, 'utf8').catch(() => '# source unavailable: policy given programmatically\n'));
    const active = await versions.active();
    const now = o.clock.now();
    const fileVersion = { hash: o.initial.hash, name: o.initial.name, document: documentOf(o.initial), source, proposedBy: 'operator', proposerKind: 'file' as const, proposedAt: now };
    if (active === undefined) {
      const seq = await o.store.tx(async (tx) => {
        await tx.policyVersions.putVersion(fileVersion);
        return await tx.policyVersions.activate(o.initial.hash, now, null);
      });
      return new PolicyGovernance({ ...o, versions, holder: new PolicyHolder(o.initial, seq) });
    }
    if (active.hash === o.initial.hash) return new PolicyGovernance({ ...o, versions, holder: new PolicyHolder(o.initial, active.seq) });

    const stored = await PolicyGovernance.#reparse(versions, active.hash, o.log);
    const gov = new PolicyGovernance({ ...o, versions, holder: new PolicyHolder(stored, active.seq) });
    const analysis = isRelaxation(stored, o.initial);
    if (analysis.relaxation) {
      o.log.error(
        { activeHash: active.hash, fileHash: o.initial.hash, findings: analysis.findings.slice(0, 5).map((f) => f.message) },
        'the policy file would relax the active policy: keeping the active policy. Propose the file through POST /v1/policies/proposals with relaxation evidence',
      );
      await o.store.tx(async (tx) => {
        await tx.policyVersions.putVersion(fileVersion);
        await tx.audit([{ v: 1, type: 'policy.file_refused', ts: now, activeHash: active.hash, fileHash: o.initial.hash, file: o.initial.file, findings: analysis.findings, omittedFindings: analysis.omittedFindings }]);
      });
      return gov;
    }
    await gov.propose({ text: source, proposer: { kind: 'file', id: 'operator' }, note: `policy file ${o.initial.file} at start-up` }, undefined, o.initial);
    return gov;
  }

  /**
   * The store keeps indexes for the velocity windows the active policy counts. A failure leaves
   * the policy in force (windows without an index are still counted exactly, by a scan): logged.
   */
  async #indexVelocityScopes(): Promise<void> {
    const scopes = velocityScopesOf(this.holder.policy());
    try {
      await this.#store.indexVelocityScopes(scopes);
    } catch (e) {
      this.log.error({ err: (e as Error).message, scopes }, 'the store could not index the velocity windows of the active policy; they are counted without an index');
    }
  }

  /**
   * Installs an activation another gateway on the same database committed (replicas: each applies
   * its own activations at once and hears of the others' here). Should the stored policy not be
   * installable, this gateway refuses to decide (`policy` throws GATEWAY_NOT_READY) rather than go
   * on under an older policy, until a later refresh installs it.
   */
  async refresh(): Promise<void> {
    if (this.#refreshing) return;
    this.#refreshing = true;
    try {
      const active = await this.versions.active();
      if (active === undefined || active.seq <= this.holder.seq) {
        this.#stale = null;
        return;
      }
      let next: Policy;
      try {
        next = await PolicyGovernance.#reparse(this.versions, active.hash, this.log);
      } catch (cause) {
        this.#stale = new FirewallError('GATEWAY_NOT_READY', `the active policy (activation ${active.seq}) could not be installed here; nothing is decided until it is`, { status: 503, cause });
        this.log.error({ hash: active.hash, activation: active.seq, err: (cause as Error).message }, 'another gateway activated a policy this one cannot install: refusing to decide until it can');
        return;
      }
      if (this.holder.install(next, active.seq)) {
        this.#stale = null;
        this.log.warn({ hash: active.hash, activation: active.seq }, 'installed the policy another gateway activated');
        await this.#indexVelocityScopes();
      }
    } finally {
      this.#refreshing = false;
    }
  }

  /** Refreshes every `intervalMs` until close: how long another gateway's activation takes to apply here. */
  watch(intervalMs: number): void {
    this.#watch ??= setInterval(() => {
      this.refresh().catch((e: unknown) => this.log.warn({ err: (e as Error).message }, 'could not read the active policy; will retry'));
    }, intervalMs);
    this.#watch.unref();
  }

  static async #reparse(versions: PolicyVersionReads, hash: string, log: PolicyGovernance['log']): Promise<Policy> {
    const v = await versions.version(hash);
    if (v === undefined) throw new FirewallError('POLICY_VERSION_UNKNOWN', `the active policy ${hash} is not stored`, { status: 500 });
    const p = parsePolicy(v.source, `policy-${hash.slice(0, 12)}.yaml`);
    if (p.hash !== hash) log.warn({ stored: hash, reparsed: p.hash }, 'a stored policy re-parses to another hash (the normalisation changed); using the re-parsed meaning');
    return p;
  }

  /**
   * Proposes a complete policy. Tightening: applied before this returns. Relaxation: a CRITICAL
   * '@policy' action awaiting the quorum; `events` hears of it (notifications, challenges).
   */
  async propose(input: ProposalInput, events?: ActionEvents, parsed?: Policy): Promise<PolicyProposal> {
    if (input.proposer.kind === 'person' && input.proposer.id.length === 0) throw new FirewallError('PROPOSER_INVALID', 'a proposal needs a proposer', { status: 400 });
    const next = parsed ?? parsePolicy(input.text, PROPOSAL_FILE);
    const current = this.holder.policy();
    if (next.hash === current.hash) {
      throw new FirewallError('POLICY_UNCHANGED', `the proposed policy means exactly what the active policy ${current.hash} means`, { status: 409, detail: { hash: current.hash } });
    }
    const analysis = isRelaxation(current, next);
    const diff = diffPolicies(current, next);
    const now = this.#clock.now();
    const proposal: PolicyProposal = {
      id: `pp_${randomUUID()}`,
      createdAt: now,
      proposer: input.proposer,
      baseHash: current.hash,
      hash: next.hash,
      name: next.name,
      kind: analysis.relaxation ? 'relaxation' : 'tightening',
      status: analysis.relaxation ? 'awaiting_quorum' : 'applied',
      findings: analysis.findings,
      omittedFindings: analysis.omittedFindings,
      cellsExamined: analysis.cellsExamined,
      diff,
      ...(input.note === undefined ? {} : { note: input.note }),
    };
    let governance: { signature: SignatureSpec; quorum: QuorumRequirement } | undefined;
    if (analysis.relaxation) {
      const evidence = validateRelaxationEvidence(input.relaxationEvidence);
      governance = governanceRequirements(current);
      if (governance === undefined) {
        throw new FirewallError('RELAXATION_NO_QUORUM', 'this change relaxes the policy, and the active policy defines no quorum to approve a relaxation: first add one (defaults.quorum), which applies at once as a tightening', {
          status: 409,
          detail: { findings: analysis.findings },
        });
      }
      proposal.relaxationEvidence = evidence;
      proposal.evidenceSha256 = canonicalDigest(evidence);
      proposal.quorum = governance.quorum;
    }
    const version = { hash: next.hash, name: next.name, document: documentOf(next), source: input.text, proposedBy: input.proposer.id, proposerKind: input.proposer.kind, proposedAt: now };
    const proposed = {
      v: 1,
      type: 'policy.proposed',
      ts: now,
      proposalId: proposal.id,
      proposer: proposal.proposer,
      kind: proposal.kind,
      fromHash: proposal.baseHash,
      toHash: proposal.hash,
      name: proposal.name,
      findings: proposal.findings,
      omittedFindings: proposal.omittedFindings,
      changes: diff.length,
      policy: version.document,
      ...(proposal.note === undefined ? {} : { note: proposal.note }),
      ...(proposal.relaxationEvidence === undefined ? {} : { relaxationEvidence: proposal.relaxationEvidence, evidenceSha256: proposal.evidenceSha256 }),
    };

    const out = await this.#store.tx(async (tx) => {
      await this.#assertBase(tx.policyVersions, current.hash);
      await tx.policyVersions.putVersion(version);
      if (governance === undefined) {
        const seq = await tx.policyVersions.activate(next.hash, now, proposal.id);
        Object.assign(proposal, { appliedAt: now, activation: seq });
        await tx.policyVersions.putProposal(proposal);
        await tx.audit([proposed, ...this.#appliedEntries(proposal, next, now, seq)]);
        return { seq, record: undefined };
      }
      const record = await this.#relaxationAction(tx, proposal, governance, now, proposed);
      proposal.actionId = record.id;
      await tx.policyVersions.putProposal(proposal);
      return { seq: undefined, record };
    });
    if (out.seq !== undefined && this.holder.install(next, out.seq)) await this.#indexVelocityScopes();
    if (out.record !== undefined) events?.changed(out.record);
    return proposal;
  }

  /** The table, not the in-memory holder, is the truth inside a transaction. */
  async #assertBase(tx: PolicyVersionsTx, expected: string): Promise<void> {
    const active = await tx.active();
    if (active !== undefined && active.hash !== expected) {
      throw new FirewallError('POLICY_CHANGED_CONCURRENTLY', `the active policy changed to ${active.hash} while this proposal was being analysed; propose again`, { status: 409 });
    }
  }

  #appliedEntries(p: PolicyProposal, next: Policy, now: number, seq: number): Record<string, unknown>[] {
    return [
      { v: 1, type: 'policy.applied', ts: now, proposalId: p.id, kind: p.kind, proposer: p.proposer, fromHash: p.baseHash, toHash: p.hash, activation: seq, ...(p.actionId === undefined ? {} : { actionId: p.actionId }) },
      // The same entry start-up writes, so an offline verifier knows what each tier of this version requires.
      { v: 1, type: 'policy.activated', ts: now, policyHash: next.hash, name: next.name, policy: documentOf(next) },
    ];
  }

  /** The CRITICAL action that carries a relaxation, recorded like any accepted action. */
  async #relaxationAction(tx: StoreTx, p: PolicyProposal, g: { signature: SignatureSpec; quorum: QuorumRequirement }, now: number, proposed: Record<string, unknown>): Promise<ActionRecord> {
    // What the quorum approves: this change, from this base, with this evidence (all in the digest).
    const descriptor: ActionDescriptor = {
      agent: p.proposer.kind === 'person' ? p.proposer.id : `${p.proposer.kind}:${p.proposer.id}`,
      actuator: POLICY_ACTUATOR,
      operation: 'apply',
      target: p.hash,
      parameters: { proposalId: p.id, fromHash: p.baseHash, toHash: p.hash, evidenceSha256: p.evidenceSha256 ?? null, findings: p.findings.length + p.omittedFindings },
      reversibility: 'partially_reversible',
      request: { method: 'POST', path: '/policy/apply', bodySha256: sha256('') },
    };
    const classification: ClassificationSummary = {
      tier: 'CRITICAL',
      decision: 'ALLOW',
      rule: 'governance:relaxation',
      reasons: [
        `policy change ${p.baseHash.slice(0, 12)}… → ${p.hash.slice(0, 12)}… relaxes the policy (seed §III.1 self-permissioning guard): it needs the strictest quorum of the active policy`,
        ...p.findings.slice(0, 20).map((f) => `${f.code}: ${f.message}`),
        ...(p.omittedFindings > 0 ? [`and ${p.omittedFindings} more findings`] : []),
      ],
      matchedRules: [],
      policyHash: p.baseHash,
      requirements: { signature: g.signature, quorum: g.quorum } as Record<string, unknown>,
    };
    const record: ActionRecord = {
      id: `act_${randomUUID()}`,
      agent: descriptor.agent,
      idempotencyKey: `policy-proposal:${p.id}`,
      status: 'received',
      digest: actionDigest(descriptor),
      descriptor,
      classification,
      forward: { method: 'POST', path: '/policy/apply', contentType: null, bodyB64: '' },
      createdAt: now,
      updatedAt: now,
      dueAt: null,
      approvals: [],
      dispatchAttempts: 0,
    };
    const c = classification;
    record.status = nextStatus(record.status, 'await_quorum');
    record.dueAt = now + g.quorum.windowMs;
    await tx.audit([
      { ...proposed, actionId: record.id },
      entry('action.received', now, record, { agent: record.agent, idempotencyKey: record.idempotencyKey, descriptor }),
      entry('action.classified', now, record, { tier: c.tier, decision: c.decision, rule: c.rule, reasons: c.reasons, matchedRules: c.matchedRules, policyHash: c.policyHash, requirements: c.requirements }),
      entry('action.awaiting_quorum', now, record, { event: 'await_quorum', expiresAt: record.dueAt, policyHash: c.policyHash }),
    ]);
    await tx.insertAction(record);
    return record;
  }

  /** '@policy' executor: applies the proposal the action carries, or fails it if the base moved on. */
  async #apply(record: ActionRecord, receipt: { jws: string; jti: string }): Promise<ActionRecord> {
    const now = this.#clock.now();
    const out = await this.#store.tx(async (tx) => {
      const a = await tx.getAction(record.id);
      if (a === undefined || a.status !== 'executing') return { record: a ?? record };
      const p = await tx.policyVersions.proposalByAction(a.id);
      const fail = async (code: string, reason: string, status: ProposalStatus) => {
        const failed = await tx.updateAction(a.id, ['executing'], { status: 'failed', error: code, dueAt: null, updatedAt: now, dispatchAttempts: a.dispatchAttempts + 1 });
        const entries: Record<string, unknown>[] = [entry('action.failed', now, a, { event: 'upstream_failed', attempt: a.dispatchAttempts + 1, code })];
        if (p !== undefined) {
          await tx.policyVersions.putProposal({ ...p, status, reason });
          entries.push({ v: 1, type: status === 'superseded' ? 'policy.superseded' : 'policy.failed', ts: now, proposalId: p.id, actionId: a.id, fromHash: p.baseHash, toHash: p.hash, code, reason });
        }
        await tx.audit(entries);
        return { record: failed ?? a };
      };
      if (p === undefined) return fail('POLICY_PROPOSAL_MISSING', 'no proposal is stored for this action', 'failed');
      const active = await tx.policyVersions.active();
      if (active?.hash !== p.baseHash) {
        return fail('POLICY_BASE_CHANGED', `the active policy is ${active?.hash ?? 'unknown'}, not ${p.baseHash} the change was analysed against; propose it again`, 'superseded');
      }
      const v = await tx.policyVersions.version(p.hash);
      const next = v === undefined ? undefined : parsePolicy(v.source, PROPOSAL_FILE);
      if (next === undefined || next.hash !== p.hash) return fail('POLICY_VERSION_CORRUPT', `the stored version ${p.hash} does not re-parse to its hash`, 'failed');
      const seq = await tx.policyVersions.activate(p.hash, now, p.id);
      const applied: PolicyProposal = { ...p, status: 'applied', appliedAt: now, activation: seq };
      await tx.policyVersions.putProposal(applied);
      const body = Buffer.from(JSON.stringify({ applied: p.hash, proposalId: p.id, activation: seq }), 'utf8');
      const result = { status: 200, headers: { 'content-type': 'application/json' }, bodyB64: body.toString('base64') };
      const done = await tx.updateAction(a.id, ['executing'], { status: 'executed', result, dueAt: null, updatedAt: now });
      await tx.audit([
        entry('action.executed', now, a, {
          event: 'upstream_answered',
          upstreamStatus: 200,
          responseSha256: createHash('sha256').update(body).digest('hex'),
          receiptJti: receipt.jti,
          receipt: receipt.jws,
        }),
        ...this.#appliedEntries(applied, next, now, seq).map((e) => (e['type'] === 'policy.applied' ? { ...e, approvals: a.approvals } : e)),
      ]);
      return { record: done ?? a, install: { next, seq } };
    });
    if (out.install !== undefined && this.holder.install(out.install.next, out.install.seq)) await this.#indexVelocityScopes();
    return out.record;
  }

  // --- views -------------------------------------------------------------------------------------

  async proposal(id: string): Promise<PolicyProposal | undefined> {
    return id.length > 100 ? undefined : this.versions.proposal(id);
  }

  proposals(limit = 100): Promise<PolicyProposal[]> {
    return this.versions.proposals(limit);
  }

  close(): void {
    clearInterval(this.#watch);
    this.#watch = undefined;
  }
}

/** Convenience for start.ts and tests: governance over a store, starting from the loaded policy file. */
export function openPolicyGovernance(o: { store: Store; clock: Clock; initial: Policy; source?: string; log: PolicyGovernance['log'] }): Promise<PolicyGovernance> {
  return PolicyGovernance.open(o);
}
