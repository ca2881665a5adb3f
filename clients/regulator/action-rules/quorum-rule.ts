import { approvalsOf } from './approval.ts';
import { describe } from './action-tracker.ts';
import { defineActionRule } from './define-rule.ts';
import { arr, obj, strings, tier, uint } from './fields.ts';
import { evaluateQuorum, parseQuorumRequirement } from './quorum-evaluation.ts';

/**
 * action.quorum (CRITICAL): the approvals of the authorisation satisfy `requirements.quorum` as
 * recorded in the action's classification (quorum-evaluation.ts), and came while the action was
 * awaiting its quorum, before that window expired.
 */
export const quorumRule = defineActionRule('action.quorum', 'CRITICAL actions carry approvals that meet the quorum their classification recorded', (api) => ({
  action(step) {
    const { seen, state } = step;
    if (seen.type !== 'action.authorised') return;
    const c = state.classified;
    if ((c ? tier(c.value, 'tier') : tier(seen.value, 'tier')) !== 'CRITICAL') return;
    if (c === undefined) {
      api.missing(step, `${describe(seen)}: the classification (and so the quorum) of CRITICAL action ${step.actionId} is not in the bundle`);
      return;
    }
    if (arr(seen.value, 'approvals') === undefined) {
      api.fail(seen, `${describe(seen)}: CRITICAL action ${step.actionId} carries no approvals list`);
      return;
    }
    const requirements = obj(c.value, 'requirements') ?? {};
    const q = parseQuorumRequirement(requirements['quorum']);
    if (typeof q === 'string') {
      api.fail(seen, `${describe(seen)}: the classification at entry ${c.index} is CRITICAL but ${q}`);
      return;
    }
    const modalities = strings(obj(requirements, 'signature') ?? {}, 'modalities');
    const problems = evaluateQuorum(q, approvalsOf(seen.value), modalities);
    if (problems.length > 0) api.fail(seen, `${describe(seen)}: CRITICAL action ${step.actionId} does not meet its quorum: ${problems.join('; ')}`);
    const awaiting = state.awaiting;
    if (awaiting === undefined || awaiting.type !== 'action.awaiting_quorum') {
      api.fail(seen, `${describe(seen)}: CRITICAL action ${step.actionId} was never awaiting its quorum`);
      return;
    }
    const expiresAt = uint(awaiting.value, 'expiresAt');
    const ts = uint(seen.value, 'ts');
    if (expiresAt === undefined || ts === undefined) api.fail(seen, `${describe(seen)}: the quorum window (entry ${awaiting.index}) or the authorisation records no time`);
    else if (ts > expiresAt) api.fail(seen, `${describe(seen)}: authorised ${ts - expiresAt} ms after the quorum window of entry ${awaiting.index} closed`);
  },
}));
