import type { QuorumRequirement } from '../../core/policy/types.ts';
import type { PolicyChange, RelaxationEvidence, RelaxationFinding } from '../../core/policy-governance/index.ts';

/**
 * The policy-version aggregate (docs/governance.md): every policy the gateway has seen, every
 * activation, every proposal to change it. Stored beside the actions, so that a proposal, the
 * action that carries a relaxation, the activation and their log entries commit in one transaction.
 */

export type ProposerKind = 'person' | 'system' | 'file';
export type VersionStatus = 'proposed' | 'active' | 'retired';

export interface PolicyVersionRow {
  hash: string;
  name: string;
  /** The normalised PolicyDocument (what the hash covers). */
  document: unknown;
  /** The YAML text as first proposed. */
  source: string;
  proposedBy: string;
  proposerKind: ProposerKind;
  proposedAt: number;
  status: VersionStatus;
  activatedAt: number | null;
}

export interface PolicyActivationRow {
  seq: number;
  hash: string;
  at: number;
  proposalId: string | null;
}

export interface Proposer {
  kind: ProposerKind;
  /** Principal id for people; a component name for the system ('stage-8'); 'operator' for the file. */
  id: string;
}

export type ProposalStatus = 'applied' | 'awaiting_quorum' | 'superseded' | 'failed';

export interface PolicyProposal {
  id: string;
  createdAt: number;
  proposer: Proposer;
  /** The active policy the change was compared with. */
  baseHash: string;
  hash: string;
  name: string;
  kind: 'tightening' | 'relaxation';
  status: ProposalStatus;
  findings: RelaxationFinding[];
  omittedFindings: number;
  cellsExamined: number;
  diff: PolicyChange[];
  note?: string;
  relaxationEvidence?: RelaxationEvidence;
  evidenceSha256?: string;
  /** Relaxations: the CRITICAL action that carries the change. */
  actionId?: string;
  /** Relaxations: what the quorum must meet (the base policy's strictest). */
  quorum?: QuorumRequirement;
  appliedAt?: number;
  activation?: number;
  /** Why a proposal was superseded or failed. */
  reason?: string;
}

export type NewPolicyVersion = Pick<PolicyVersionRow, 'hash' | 'name' | 'document' | 'source' | 'proposedBy' | 'proposerKind' | 'proposedAt'>;

/** Policy versions inside a transaction (StoreTx.policyVersions). */
export interface PolicyVersionsTx {
  /** Records a version the first time its hash is seen; later proposals of the same text keep the first record. */
  putVersion(v: NewPolicyVersion): Promise<void>;
  /** Makes `hash` (a stored version) the active one, retiring the previous; returns the activation's sequence number. */
  activate(hash: string, at: number, proposalId: string | null): Promise<number>;
  active(): Promise<PolicyActivationRow | undefined>;
  version(hash: string): Promise<PolicyVersionRow | undefined>;
  /** Inserts or replaces the proposal with this id. */
  putProposal(p: PolicyProposal): Promise<void>;
  proposal(id: string): Promise<PolicyProposal | undefined>;
  /** The relaxation proposal a CRITICAL '@policy' action carries. */
  proposalByAction(actionId: string): Promise<PolicyProposal | undefined>;
}

/** Committed reads of policy versions (Store.policyVersions). */
export interface PolicyVersionReads {
  active(): Promise<PolicyActivationRow | undefined>;
  version(hash: string): Promise<PolicyVersionRow | undefined>;
  /** Every version, oldest first. */
  versions(): Promise<PolicyVersionRow[]>;
  activations(): Promise<PolicyActivationRow[]>;
  proposal(id: string): Promise<PolicyProposal | undefined>;
  /** The latest `limit` proposals, newest first. */
  proposals(limit: number): Promise<PolicyProposal[]>;
}
