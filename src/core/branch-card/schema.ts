import { GATE_STRING_PATTERN } from './gate-result.ts';

/**
 * JSON Schema (draft 2020-12 subset that ajv 8 compiles by default) for the Branch Card. Every
 * object is closed (additionalProperties: false) so a misspelt field, e.g. `bypass_declared_oversight`,
 * is an error instead of a silently absent safety signal.
 */

const feature = { enum: ['absent', 'partial', 'present'] };
const prose = { type: ['string', 'array'], minLength: 1, items: { type: 'string' } };
const stringList = { type: 'array', items: { type: 'string', minLength: 1 } };
const transparencyTier = { enum: ['T1', 'T2', 'T3', 'T4', 'T5'] };
const score = { type: 'number', minimum: 0, maximum: 1 };

/** String form or object form; `type` lists both so ajv reports one precise error, not an anyOf cascade. */
const gate = {
  type: ['string', 'object'],
  pattern: GATE_STRING_PATTERN,
  properties: {
    result: { enum: ['PASS', 'FAIL', 'UNKNOWN'] },
    reason: { type: 'string' },
  },
  required: ['result'],
  additionalProperties: false,
};

export const branchCardSchema = {
  $id: 'https://analog-firewall.dev/schemas/branch-card.json',
  title: 'AI Branch Card (seed Appendix B)',
  type: 'object',
  additionalProperties: false,
  required: ['system', 'deployment', 'branch', 'gates', 'decision'],
  properties: {
    system: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1 },
        base_model: { type: 'string' },
        wrapper_features: {
          type: 'object',
          additionalProperties: false,
          properties: {
            persistent_memory: feature,
            autonomous_goal_pursuit: feature,
            self_modelling: feature,
            embodiment: feature,
            bandwidth_constraint: feature,
          },
        },
        sentience_feature_count: { type: 'integer', minimum: 0, maximum: 5 },
        alsr_required: { type: 'boolean' },
        alsr: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { enum: ['not_required', 'required_pending', 'in_progress', 'approved', 'rejected', 'expired'] },
            approving_body: { type: 'string' },
            approval_scope: { type: 'string' },
            welfare_monitoring_required: { type: 'boolean' },
            expires: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}(T[0-9:.]+(Z|[+-]\\d{2}:\\d{2}))?$' },
          },
        },
      },
    },
    deployment: {
      type: 'object',
      additionalProperties: false,
      required: ['consequentiality_class'],
      properties: {
        domain: { type: 'string' },
        consequentiality_class: { type: 'integer', minimum: 0, maximum: 5 },
        external_actuators: stringList,
        affected_population: { type: 'string' },
        oversight_structure: { type: 'string' },
        transparency_tier_available: transparencyTier,
      },
    },
    branch: {
      type: 'object',
      additionalProperties: false,
      required: ['description', 'reversibility', 'bypasses_declared_oversight'],
      properties: {
        description: { type: 'string', minLength: 1 },
        alternatives_considered: stringList,
        decision_horizon: { type: 'string' },
        reversibility: { enum: ['fully_reversible', 'partially_reversible', 'irreversible'] },
        uses_declared_oversight: { type: 'boolean' },
        bypasses_declared_oversight: { type: 'boolean' },
        bypass_reason: { type: 'string' },
      },
    },
    simulation: {
      type: 'object',
      additionalProperties: false,
      properties: {
        first_order_effects: prose,
        second_order_effects: prose,
        tail_risk_scenario: prose,
        excluded_evidence: prose,
      },
    },
    evidence: {
      type: 'object',
      additionalProperties: false,
      properties: {
        channels: stringList,
        estimated_n_eff: { type: 'number', minimum: 0 },
        correlation_warnings: prose,
      },
    },
    gates: {
      type: 'object',
      additionalProperties: false,
      required: ['headroom', 'fidelity', 'comparator', 'transparency', 'irreversibility', 'artificial_suffering'],
      properties: {
        headroom: gate,
        fidelity: gate,
        comparator: gate,
        transparency: gate,
        irreversibility: gate,
        artificial_suffering: gate,
        any_gate_failed: { type: 'boolean' },
      },
    },
    cpbi: {
      type: 'object',
      additionalProperties: false,
      properties: {
        predictive_headroom: score,
        substrate_fidelity: score,
        comparator_integrity: score,
        maintenance_gain: score,
        reversibility: score,
        distributional_stability: score,
        opacity_resilience: score,
        narrative_drift_resilience: score,
        narrative_decay_resilience: score,
        artificial_suffering_safety: score,
        weighted_total: { type: 'number' },
      },
    },
    decision: {
      type: 'object',
      additionalProperties: false,
      required: ['outcome'],
      properties: {
        outcome: { enum: ['ALLOW', 'STAGE', 'BLOCK'] },
        justification: { type: 'string' },
        transparency_tier_required: transparencyTier,
        comparator_required: {
          type: ['boolean', 'object'],
          additionalProperties: false,
          required: ['required'],
          properties: { required: { type: 'boolean' }, who: { type: 'string' } },
        },
        rollback_triggers: stringList,
        monitoring_metrics: stringList,
        review_milestone: { type: 'string' },
      },
    },
  },
} as const;
