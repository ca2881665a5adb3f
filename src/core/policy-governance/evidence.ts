import type { ValidateFunction } from 'ajv';
import { FirewallError } from '../errors.ts';
import { compileSchema, describeAjvErrors, formatFieldPath } from '../policy/json-schema.ts';

/**
 * The four relaxation criteria of seed §VI.5, as a proposal must state them. The firewall "can be
 * weakened for a specific action class when" all four hold; "until all four conditions are met,
 * the Analog Firewall remains at full strength". The gateway cannot verify the claims; it refuses a
 * relaxation that does not make all four, records them verbatim (and their SHA-256 in the action
 * the quorum approves), so the people approving, and later the regulator, judge them.
 */

export interface CriterionEvidence {
  /** What is claimed, in a sentence or a paragraph. */
  statement: string;
  /** Where the proof is: a URL, a document id, an audit-bundle digest. */
  evidence: string;
}

export interface RelaxationEvidence {
  /** The action class the relaxation is for, in words (e.g. "payments/transfer below 1,000 EUR"). */
  actionClass: string;
  /** 1. The Transparency Gate is satisfied at Tier 3 or above for the AI system in question. */
  transparency: CriterionEvidence & { tier: 'T3' | 'T4' | 'T5' };
  /** 2. Post-outcome calibration (§III.1 Stage 8) shows reliable gate compliance over a statistically significant history. */
  calibration: CriterionEvidence;
  /** 3. Institutional comparators can independently monitor and reverse the AI's actions in that domain. */
  institutionalMonitoring: CriterionEvidence;
  /** 4. The action class is irreversibility category 1 (fully) or 2 (partially reversible). */
  irreversibility: CriterionEvidence & { category: 1 | 2 };
}

const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max, pattern: '\\S', errorHint: 'must be a non-empty text' });
const criterion = (extra: Record<string, object> = {}, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  required: [...required, 'statement', 'evidence'],
  properties: { ...extra, statement: text(4000), evidence: text(2000) },
});

export const RELAXATION_EVIDENCE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['actionClass', 'transparency', 'calibration', 'institutionalMonitoring', 'irreversibility'],
  properties: {
    actionClass: text(500),
    transparency: criterion({ tier: { enum: ['T3', 'T4', 'T5'], errorHint: 'seed §VI.5 allows a relaxation only at Transparency Tier 3 or above' } }, ['tier']),
    calibration: criterion(),
    institutionalMonitoring: criterion(),
    irreversibility: criterion({ category: { enum: [1, 2], errorHint: 'only category 1 (fully reversible) or 2 (partially reversible) action classes may be relaxed (seed §VI.5)' } }, ['category']),
  },
} as const;

let validator: ValidateFunction<RelaxationEvidence> | undefined;

/** Throws RELAXATION_EVIDENCE_INVALID (400) naming every field that is missing or wrong. */
export function validateRelaxationEvidence(value: unknown, field = 'relaxationEvidence'): RelaxationEvidence {
  if (value === undefined || value === null) {
    throw new FirewallError(
      'RELAXATION_EVIDENCE_REQUIRED',
      `this change relaxes the policy, so ${field} must state the four criteria of seed §VI.5: transparency (tier T3+), calibration, institutionalMonitoring, irreversibility (category 1 or 2)`,
      { status: 400, detail: { errors: [{ field, message: 'missing: a relaxation must carry the four relaxation criteria' }] } },
    );
  }
  validator ??= compileSchema<RelaxationEvidence>(RELAXATION_EVIDENCE_SCHEMA);
  if (validator(value)) return value;
  const errors = describeAjvErrors(validator.errors).map((p) => ({ field: formatFieldPath([field, ...p.path]), message: p.message }));
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  throw new FirewallError('RELAXATION_EVIDENCE_INVALID', `${first.field}: ${first.message}${more}`, { status: 400, detail: { errors } });
}
