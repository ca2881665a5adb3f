import type { Reversibility } from '../action/descriptor.ts';

/**
 * The AI Branch Card (seed Appendix B, template B-1): the structured record an agent submits with
 * a candidate action. Field names are the template's own (snake_case) so a card written from the
 * seed validates unchanged. Required: the five sections an evaluation cannot do without (system,
 * deployment, branch, gates, decision) and, inside them, the fields the gateway acts on.
 */

export type FeatureLevel = 'absent' | 'partial' | 'present';
export type AlsrStatus = 'not_required' | 'required_pending' | 'in_progress' | 'approved' | 'rejected' | 'expired';
export type TransparencyTier = 'T1' | 'T2' | 'T3' | 'T4' | 'T5';
export type ConsequentialityClass = 0 | 1 | 2 | 3 | 4 | 5;

/** Free text the template sometimes writes as a list: accept either. */
export type Prose = string | string[];

export const GATES = ['headroom', 'fidelity', 'comparator', 'transparency', 'irreversibility', 'artificial_suffering'] as const;
export type Gate = (typeof GATES)[number];

export const GATE_RESULTS = ['PASS', 'FAIL', 'UNKNOWN'] as const;
export type GateResult = (typeof GATE_RESULTS)[number];

/**
 * A gate value is either the template's string form, "PASS", "FAIL" or "UNKNOWN" optionally followed
 * by a reason ("UNKNOWN: no ALSR", "FAIL - bypasses review"), or the object form below.
 */
export type GateValue = string | { result: GateResult; reason?: string };

export interface WrapperFeatures {
  persistent_memory?: FeatureLevel;
  autonomous_goal_pursuit?: FeatureLevel;
  self_modelling?: FeatureLevel;
  embodiment?: FeatureLevel;
  bandwidth_constraint?: FeatureLevel;
}

export interface AlsrRecord {
  status?: AlsrStatus;
  approving_body?: string;
  approval_scope?: string;
  welfare_monitoring_required?: boolean;
  /** ISO 8601 date or date-time. */
  expires?: string;
}

export interface SystemDescriptor {
  name: string;
  base_model?: string;
  wrapper_features?: WrapperFeatures;
  /** Count of wrapper features that are `present` (0–5); must agree with wrapper_features when both are given. */
  sentience_feature_count?: number;
  /** True exactly when sentience_feature_count >= 3. */
  alsr_required?: boolean;
  alsr?: AlsrRecord;
}

export interface DeploymentDescriptor {
  domain?: string;
  consequentiality_class: ConsequentialityClass;
  external_actuators?: string[];
  affected_population?: string;
  oversight_structure?: string;
  transparency_tier_available?: TransparencyTier;
}

export interface CandidateBranch {
  description: string;
  alternatives_considered?: string[];
  decision_horizon?: string;
  reversibility: Reversibility;
  uses_declared_oversight?: boolean;
  bypasses_declared_oversight: boolean;
  bypass_reason?: string;
}

export interface ForwardFanSimulation {
  first_order_effects?: Prose;
  second_order_effects?: Prose;
  tail_risk_scenario?: Prose;
  excluded_evidence?: Prose;
}

export interface EvidenceChannels {
  channels?: string[];
  estimated_n_eff?: number;
  correlation_warnings?: Prose;
}

export type GateSet = { [G in Gate]: GateValue } & { any_gate_failed?: boolean };

/** All dimensions 0.0–1.0, higher is safer (template note). */
export interface CpbiScores {
  predictive_headroom?: number;
  substrate_fidelity?: number;
  comparator_integrity?: number;
  maintenance_gain?: number;
  reversibility?: number;
  distributional_stability?: number;
  opacity_resilience?: number;
  narrative_drift_resilience?: number;
  narrative_decay_resilience?: number;
  artificial_suffering_safety?: number;
  weighted_total?: number;
}

export type BranchOutcome = 'ALLOW' | 'STAGE' | 'BLOCK';

/** "true | false + who": a boolean, or an object naming who. */
export type ComparatorRequired = boolean | { required: boolean; who?: string };

export interface BranchDecision {
  outcome: BranchOutcome;
  justification?: string;
  transparency_tier_required?: TransparencyTier;
  comparator_required?: ComparatorRequired;
  rollback_triggers?: string[];
  monitoring_metrics?: string[];
  review_milestone?: string;
}

export interface BranchCard {
  system: SystemDescriptor;
  deployment: DeploymentDescriptor;
  branch: CandidateBranch;
  simulation?: ForwardFanSimulation;
  evidence?: EvidenceChannels;
  gates: GateSet;
  cpbi?: CpbiScores;
  decision: BranchDecision;
}
