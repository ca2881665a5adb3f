import { describe } from './action-tracker.ts';
import { defineActionRule } from './define-rule.ts';
import { shown, str, tier } from './fields.ts';

/** The event that authorises each tier (src/core/action/state-machine.ts). */
const EVENT_OF_TIER: Record<string, string> = { LOW: 'pass', MEDIUM: 'cooling_elapsed', HIGH: 'signature_verified', CRITICAL: 'quorum_met' };
const AFTER_AUTHORISATION = new Set([
  'action.dispatched',
  'action.dispatch_failed',
  'action.outcome_unknown',
  'action.resend_failed',
  'action.unresolved',
  'action.executed',
  'action.failed',
]);

/**
 * action.authorisation: nothing is dispatched or executed without a prior action.authorised for
 * the same action id and digest; an authorisation matches its classification (decision ALLOW, same
 * tier and policy hash, the tier's event) and happens once; only LOW is authorised straight after
 * classification.
 */
export const authorisationRule = defineActionRule('action.authorisation', 'no dispatch or execution without a prior matching action.authorised', (api) => ({
  action(step) {
    const { seen, state } = step;
    const digest = str(seen.value, 'digest');
    if (AFTER_AUTHORISATION.has(seen.type)) {
      const auth = state.authorised;
      if (auth === undefined) {
        if (state.received || api.historyExpected) api.fail(seen, `${describe(seen)}: action ${step.actionId} has no prior action.authorised`);
        else api.missing(step, `${describe(seen)}: the authorisation of action ${step.actionId} is not in the bundle`);
        return;
      }
      const authDigest = str(auth.value, 'digest');
      if (digest !== authDigest) {
        api.fail(seen, `${describe(seen)}: digest ${shown(digest?.slice(0, 16))}… is not the digest ${shown(authDigest?.slice(0, 16))}… authorised at entry ${auth.index}`);
      }
      return;
    }
    if (seen.type !== 'action.authorised') return;
    if (state.authorised) api.fail(seen, `${describe(seen)}: action ${step.actionId} was already authorised at entry ${state.authorised.index}`);
    const c = state.classified;
    if (c === undefined) {
      api.missing(step, `${describe(seen)}: action ${step.actionId} has no earlier action.classified`);
      return;
    }
    if (c.value['decision'] !== 'ALLOW') api.fail(seen, `${describe(seen)}: action ${step.actionId} was classified ${shown(c.value['decision'])} at entry ${c.index}, not ALLOW`);
    const t = tier(c.value, 'tier');
    if (t === undefined) {
      api.fail(seen, `${describe(seen)}: the classification at entry ${c.index} records no valid tier`);
      return;
    }
    if (seen.value['tier'] !== t) api.fail(seen, `${describe(seen)}: tier ${shown(seen.value['tier'])} differs from the classified tier ${t} (entry ${c.index})`);
    if (seen.value['policyHash'] !== c.value['policyHash']) api.fail(seen, `${describe(seen)}: policyHash differs from the classification's (entry ${c.index})`);
    const event = seen.value['event'];
    if (event !== undefined && event !== EVENT_OF_TIER[t]) api.fail(seen, `${describe(seen)}: event ${shown(event)} cannot authorise a ${t} action (expected ${EVENT_OF_TIER[t]})`);
    if (t !== 'LOW' && state.status === 'classified') {
      api.fail(seen, `${describe(seen)}: a ${t} action was authorised straight after classification, without cooling or awaiting humans`);
    }
  },
}));
