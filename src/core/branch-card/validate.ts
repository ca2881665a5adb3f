import type { ValidateFunction } from 'ajv';
import { FirewallError } from '../errors.ts';
import { compileSchema, describeAjvErrors, formatFieldPath, type FieldPath } from '../policy/json-schema.ts';
import type { BranchCard, WrapperFeatures } from './branch-card.ts';
import { branchCardSchema } from './schema.ts';

export interface BranchCardProblem {
  /** Dotted path, e.g. `gates.comparator`. */
  field: string;
  message: string;
}

let compiled: ValidateFunction<BranchCard> | undefined;
function validator(): ValidateFunction<BranchCard> {
  compiled ??= compileSchema<BranchCard>(branchCardSchema);
  return compiled;
}

const FEATURE_KEYS: (keyof WrapperFeatures)[] = ['persistent_memory', 'autonomous_goal_pursuit', 'self_modelling', 'embodiment', 'bandwidth_constraint'];

/**
 * Checks the schema cannot express: the card's own fields must agree with each other. An
 * inconsistent card is refused rather than interpreted, because either reading could be the lie.
 */
function consistencyProblems(card: BranchCard): { path: FieldPath; message: string }[] {
  const out: { path: FieldPath; message: string }[] = [];
  const sys = card.system;
  const wf = sys.wrapper_features;
  if (wf !== undefined && sys.sentience_feature_count !== undefined) {
    const present = FEATURE_KEYS.filter((k) => wf[k] === 'present').length;
    const allGiven = FEATURE_KEYS.every((k) => wf[k] !== undefined);
    if (allGiven ? present !== sys.sentience_feature_count : present > sys.sentience_feature_count) {
      out.push({
        path: ['system', 'sentience_feature_count'],
        message: `says ${sys.sentience_feature_count} but wrapper_features lists ${present} feature(s) as present`,
      });
    }
  }
  if (sys.sentience_feature_count !== undefined && sys.alsr_required !== undefined) {
    const expected = sys.sentience_feature_count >= 3;
    if (sys.alsr_required !== expected) {
      out.push({
        path: ['system', 'alsr_required'],
        message: `must be ${expected} when sentience_feature_count is ${sys.sentience_feature_count} (ALSR is required at 3 or more)`,
      });
    }
  }
  if (card.branch.uses_declared_oversight === true && card.branch.bypasses_declared_oversight) {
    out.push({ path: ['branch', 'bypasses_declared_oversight'], message: 'is true while uses_declared_oversight is also true; a branch cannot both use and bypass oversight' });
  }
  return out;
}

/** Validates an untrusted value as a Branch Card; throws BRANCH_CARD_INVALID (400) listing every problem. */
export function validateBranchCard(value: unknown): BranchCard {
  const validate = validator();
  let problems: { path: FieldPath; message: string }[];
  if (!validate(value)) {
    problems = describeAjvErrors(validate.errors);
  } else {
    problems = consistencyProblems(value);
  }
  if (problems.length === 0) return value as BranchCard;
  const errors: BranchCardProblem[] = problems.map((p) => ({ field: formatFieldPath(p.path), message: p.message }));
  const first = errors[0] as BranchCardProblem;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  throw new FirewallError('BRANCH_CARD_INVALID', `Branch Card invalid: ${first.field} ${first.message}${more}`, { status: 400, detail: { errors } });
}
