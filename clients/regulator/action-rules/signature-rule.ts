import { approvalsOf, livenessProblem } from './approval.ts';
import { describe } from './action-tracker.ts';
import { defineActionRule } from './define-rule.ts';
import { arr, obj, strings, tier, uint } from './fields.ts';
import { approvalMeetsRoles } from '../../../src/core/policy/signature-roles.ts';
import { recordedDecisionProblem } from '../../../src/core/liveness/decision-record.ts';
import type { Modality } from '../../../src/core/policy/modality.ts';
import type { SignatureSpec } from '../../../src/core/policy/types.ts';

/** The classification's modality roles, when it has well-formed ones (a malformed block counts as roles nobody meets). */
function rolesOf(sig: Record<string, unknown>): Pick<SignatureSpec, 'sustainedMs' | 'roles'> | undefined {
  const r = obj(sig, 'roles');
  if (r === undefined) return undefined;
  const primary = strings(r, 'primary'), min = uint(r, 'minPrimary'), one = strings(r, 'onePrimary'), sustainedMs = uint(sig, 'sustainedMs');
  const fallbacks = (one ?? []).filter((f): f is 'supporting' | 'longer' | 'witness' => f === 'supporting' || f === 'longer' || f === 'witness');
  return { sustainedMs: sustainedMs ?? Number.MAX_SAFE_INTEGER, roles: { primary: (primary ?? []) as Modality[], minPrimary: min ?? Number.MAX_SAFE_INTEGER, onePrimary: fallbacks } };
}

/**
 * action.signature (HIGH): the authorisation carries at least one approval by role `authorizer`
 * with a liveness summary (of a modality the classification accepted, when it names one; and, when
 * the classification's signature requirements carry modality roles, enough primary modalities
 * captured together or a fallback those roles allow: core/policy/signature-roles.ts), or one by role
 * `witness` (the institutional fallback); it came while the action was awaiting a signature and
 * before that window expired. Every signature.verified entry's liveness acceptance follows the
 * acceptance rule it records (core/liveness/decision-record.ts).
 */
export const signatureRule = defineActionRule('action.signature', "HIGH actions carry one person's live biological signature (or a witness)", (api) => ({
  // Every recorded liveness acceptance follows the rule it names (fusion: the margins it fused clear
  // the floor and the fused threshold, and no hard check failed; core/liveness/decision-record.ts).
  entry(e, seen) {
    if (seen === undefined || e.value === null || e.value['type'] !== 'signature.verified') return;
    const roles = obj(e.value, 'roles');
    const problem = recordedDecisionProblem(e.value['liveness'], roles ? strings(roles, 'supporting') ?? [] : []);
    if (problem !== null) api.fail(seen, `${describe(seen)}: the liveness acceptance does not follow its rule: ${problem}`);
  },
  action(step) {
    const { seen, state } = step;
    if (seen.type !== 'action.authorised') return;
    const c = state.classified;
    if ((c ? tier(c.value, 'tier') : tier(seen.value, 'tier')) !== 'HIGH') return;
    if (arr(seen.value, 'approvals') === undefined) {
      api.fail(seen, `${describe(seen)}: HIGH action ${step.actionId} carries no approvals list`);
      return;
    }
    const sig = c ? obj(obj(c.value, 'requirements') ?? {}, 'signature') : undefined;
    const modalities = sig ? strings(sig, 'modalities') : undefined;
    const roles = sig ? rolesOf(sig) : undefined;
    const approvals = approvalsOf(seen.value);
    const problem = (a: (typeof approvals)[number]): string | null => {
      const lp = livenessProblem(a.liveness, modalities);
      if (lp !== null || roles === undefined) return lp;
      const used = a.liveness ? strings(a.liveness, 'modalities') ?? [] : [];
      return approvalMeetsRoles(roles, used as Modality[], a.liveness ? uint(a.liveness, 'sustainedMs') : undefined);
    };
    const ok = approvals.some((a) => a.role === 'witness' || (a.role === 'authorizer' && problem(a) === null));
    if (!ok) {
      const seenList = approvals.map((a) => `${a.who} (${a.role}${a.role === 'authorizer' ? `: ${problem(a) ?? 'ok'}` : ''})`);
      api.fail(
        seen,
        `${describe(seen)}: HIGH action ${step.actionId} has no approval by an authorizer with a liveness summary nor by a witness${seenList.length ? `; approvals: ${seenList.join(', ')}` : ' (no approvals)'}`,
      );
    }
    const awaiting = state.awaiting;
    if (awaiting === undefined || awaiting.type !== 'action.awaiting_signature') {
      if (c || api.historyExpected) api.fail(seen, `${describe(seen)}: HIGH action ${step.actionId} was never awaiting a signature`);
      else api.missing(step, `${describe(seen)}: the signature window of action ${step.actionId} is not in the bundle`);
      return;
    }
    const expiresAt = uint(awaiting.value, 'expiresAt');
    const ts = uint(seen.value, 'ts');
    if (expiresAt === undefined || ts === undefined) api.fail(seen, `${describe(seen)}: the signature window (entry ${awaiting.index}) or the authorisation records no time`);
    else if (ts > expiresAt) api.fail(seen, `${describe(seen)}: authorised ${ts - expiresAt} ms after the signature window of entry ${awaiting.index} closed`);
  },
}));
