/** Policy governance, the pure part: is a change a relaxation, what must a relaxation carry, what changed. */
export { isRelaxation, type RelaxationOptions } from './relaxation.ts';
export { governanceRequirements } from './strictest.ts';
export { validateRelaxationEvidence, RELAXATION_EVIDENCE_SCHEMA, type RelaxationEvidence, type CriterionEvidence } from './evidence.ts';
export { diffPolicies, type PolicyChange } from './diff.ts';
export { weakenedRequirements } from './requirement-order.ts';
export { weakenedQuorum } from './quorum-order.ts';
export { dominates } from './velocity-dominance.ts';
export { cellFamilies, cellsOf, OTHER_ACTUATOR, OTHER_AGENT, OTHER_OPERATION } from './action-space.ts';
export { FINDING_CODES, type FindingCode, type RelaxationAnalysis, type RelaxationFinding } from './types.ts';
