import { approvalsOf, livenessProblem } from './approval.ts';
import { describe } from './action-tracker.ts';
import { defineActionRule } from './define-rule.ts';
import { arr, obj, strings, tier, uint } from './fields.ts';

/**
 * action.signature (HIGH): the authorisation carries at least one approval by role `authorizer`
 * with a liveness summary (of a modality the classification accepted, when it names one), or one
 * by role `witness` (the institutional fallback); it came while the action was awaiting a
 * signature and before that window expired.
 */
export const signatureRule = defineActionRule('action.signature', "HIGH actions carry one person's live biological signature (or a witness)", (api) => ({
  action(step) {
    const { seen, state } = step;
    if (seen.type !== 'action.authorised') return;
    const c = state.classified;
    if ((c ? tier(c.value, 'tier') : tier(seen.value, 'tier')) !== 'HIGH') return;
    if (arr(seen.value, 'approvals') === undefined) {
      api.fail(seen, `${describe(seen)}: HIGH action ${step.actionId} carries no approvals list`);
      return;
    }
    const modalities = c ? strings(obj(obj(c.value, 'requirements') ?? {}, 'signature') ?? {}, 'modalities') : undefined;
    const approvals = approvalsOf(seen.value);
    const ok = approvals.some((a) => a.role === 'witness' || (a.role === 'authorizer' && livenessProblem(a.liveness, modalities) === null));
    if (!ok) {
      const seenList = approvals.map((a) => `${a.who} (${a.role}${a.role === 'authorizer' ? `: ${livenessProblem(a.liveness, modalities) ?? 'ok'}` : ''})`);
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
