import { planRoles, type RolePlan } from '../../core/policy/signature-roles.ts';
import type { Modality } from '../../core/policy/modality.ts';
import type { SignatureSpec } from '../../core/policy/types.ts';
import type { ActionRecord } from '../action-record.ts';
import type { ChallengeRow } from '../ports/signatures.ts';

/**
 * The modality roles behind a challenge (core/policy/signature-roles.ts). Nothing is stored for
 * them: they follow from the action's signature requirements (fixed when it was classified) and the
 * challenge's modalities (what the person could use when it was issued), so the challenge view, the
 * session check and the log all derive the same plan.
 */

/** The action's signature requirements, if it has any. */
export function sigSpec(a: ActionRecord): SignatureSpec | undefined {
  const s = a.classification.requirements['signature'] as SignatureSpec | undefined;
  return s !== undefined && typeof s === 'object' && Array.isArray(s.modalities) ? s : undefined;
}

/** The roles part of a plan as the challenge and the log show it. */
export function rolesView(plan: RolePlan): Record<string, unknown> {
  return { mode: plan.mode, primary: plan.primary, minPrimary: plan.minPrimary, supporting: plan.supporting, minSupporting: plan.minSupporting };
}

/** The role plan behind a challenge: recomputed from the action's requirements and the challenge's modalities (what the person could use when it was issued). */
export function challengeRoles(c: Pick<ChallengeRow, 'modalities' | 'mode'>, a: ActionRecord | undefined): RolePlan | undefined {
  const spec = a === undefined ? undefined : sigSpec(a);
  if (spec?.roles === undefined) return undefined;
  return planRoles(spec, c.mode === 'witness' ? [] : c.modalities) ?? undefined;
}


/** Which modalities of a session were primary and which supporting (what the log and the approval record). */
export function usedRoles(plan: { modalities: readonly Modality[]; roles?: RolePlan }): { mode: RolePlan['mode']; primary: Modality[]; supporting: Modality[] } | undefined {
  const r = plan.roles;
  if (r === undefined) return undefined;
  return { mode: r.mode, primary: plan.modalities.filter((m) => r.primary.includes(m)), supporting: plan.modalities.filter((m) => r.supporting.includes(m)) };
}
