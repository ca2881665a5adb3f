/** What the relaxation analysis reports. */

export const FINDING_CODES = [
  'TIER_LOWERED',
  'REQUIREMENT_WEAKENED',
  'BLOCK_LIFTED',
  'ACTUATOR_ADDED',
  'UPSTREAM_CHANGED',
  'PROXY_CHANGED',
  'VETOER_REMOVED',
  'WEBHOOK_REMOVED',
  'GOVERNANCE_WEAKENED',
  'ANALYSIS_INCOMPLETE',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export interface RelaxationFinding {
  code: FindingCode;
  /** One human-readable sentence: where, and what became weaker. */
  message: string;
}

export interface RelaxationAnalysis {
  /** True when some action could be treated less strictly under the new policy (or the analysis could not tell). */
  relaxation: boolean;
  /** Distinct weakenings, at most `maxFindings` of them (one example per kind and place). */
  findings: RelaxationFinding[];
  /** Findings left out of `findings` to keep it readable. */
  omittedFindings: number;
  /** How many cells of the action space were compared. */
  cellsExamined: number;
}
