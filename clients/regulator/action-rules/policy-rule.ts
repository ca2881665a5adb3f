import { describe } from './action-tracker.ts';
import { defineActionRule } from './define-rule.ts';
import { str } from './fields.ts';
import { readActivation } from './policy-document.ts';

const BOUND = new Set(['action.cooling', 'action.cooling_extended', 'action.awaiting_signature', 'action.awaiting_quorum', 'action.blocked']);

/**
 * policy.activation: each policy.activated entry's document hashes to its policyHash, and every
 * classification names a policy hash activated earlier in the log; the hold and block entries
 * that follow carry the classification's policy hash.
 */
export const policyRule = defineActionRule('policy.activation', 'every classification used a policy activated earlier in the log', (api) => {
  const activated = new Map<string, number>();
  return {
    entry(e, seen) {
      if (seen === undefined || e.value === null || e.value['type'] !== 'policy.activated') return;
      const a = readActivation(e.value);
      if (typeof a === 'string') api.fail(seen, `${describe(seen)} ${a}`);
      else if (!activated.has(a.hash)) activated.set(a.hash, e.index);
    },
    action(step) {
      const { seen, state } = step;
      if (seen.type === 'action.classified') {
        const hash = str(seen.value, 'policyHash');
        if (hash === undefined) api.fail(seen, `${describe(seen)}: action ${step.actionId} names no policyHash`);
        else if (!activated.has(hash)) {
          const message = `${describe(seen)}: policy ${hash.slice(0, 16)}… was not activated (policy.activated) earlier in the log`;
          if (api.historyExpected) api.fail(seen, message);
          else api.warn(seen, `${message} within this bundle (it has no context: the activation may precede the range)`);
        }
        return;
      }
      if (BOUND.has(seen.type) && state.classified && seen.value['policyHash'] !== state.classified.value['policyHash']) {
        api.fail(seen, `${describe(seen)}: policyHash differs from the classification's (entry ${state.classified.index})`);
      }
    },
  };
});
