import { canonicalJson, sha256Hex } from '../../../src/core/canonical.ts';
import { ACTION_ENTRIES, describe } from './action-tracker.ts';
import { defineActionRule } from './define-rule.ts';
import { obj, str } from './fields.ts';

const HEX64 = /^[0-9a-f]{64}$/;

function descriptorDigest(descriptor: unknown): string | null {
  try {
    return sha256Hex(canonicalJson(descriptor));
  } catch {
    return null;
  }
}

/**
 * action.lifecycle: every action starts with one action.received whose digest is the SHA-256 of
 * its descriptor's RFC 8785 form; every later entry of the action carries that digest and follows
 * the state machine. (Entries after a terminal one are action.finality's.) An action whose outcome
 * stayed unknown (action.unresolved) is settled only by an action.executed or action.failed with
 * event `reconcile`, naming the admin (`by`) and a `reason`; a reconciliation of anything else fails.
 */
export const lifecycleRule = defineActionRule('action.lifecycle', "each action's entries bind one digest and follow the state machine", (api) => ({
  action(step) {
    const { seen, state } = step;
    const digest = str(seen.value, 'digest');
    if (digest === undefined || !HEX64.test(digest)) api.fail(seen, `${describe(seen)} of action ${step.actionId} carries no lower-case hex SHA-256 'digest'`);
    if (seen.type === 'action.received') {
      if (state.received) {
        api.fail(seen, `${describe(seen)}: action ${step.actionId} was already received at entry ${state.received.index}`);
        return;
      }
      if (state.status !== null) api.fail(seen, `${describe(seen)}: action ${step.actionId} already has entries before its action.received`);
      const descriptor = obj(seen.value, 'descriptor');
      if (descriptor === undefined) api.fail(seen, `${describe(seen)} carries no descriptor`);
      else if (digest !== undefined && descriptorDigest(descriptor) !== digest) {
        api.fail(seen, `${describe(seen)}: 'digest' is not the SHA-256 of the RFC 8785 form of its descriptor`);
      }
      return;
    }
    if (!state.received) {
      api.missing(step, `${describe(seen)}: action ${step.actionId} has no earlier action.received`);
    } else {
      const receivedDigest = str(state.received.value, 'digest');
      if (digest !== undefined && receivedDigest !== undefined && digest !== receivedDigest) {
        api.fail(seen, `${describe(seen)}: digest ${digest.slice(0, 16)}… differs from ${receivedDigest.slice(0, 16)}… of action.received at entry ${state.received.index}`);
      }
    }
    if (state.terminal || state.status === null) return;
    const allowed = ACTION_ENTRIES[seen.type]!.from;
    if (!allowed.includes(state.status)) {
      api.fail(seen, `${describe(seen)} may not follow status '${state.status}' of action ${step.actionId} (allowed after: ${allowed.join(', ')})`);
      return;
    }
    // An unresolved outcome ends only by a person's reconciliation, and a reconciliation only ends one.
    const reconcile = seen.value['event'] === 'reconcile';
    if (state.status === 'outcome_unresolved' && !reconcile) {
      api.fail(seen, `${describe(seen)}: action ${step.actionId} was unresolved; only an admin's reconciliation (event 'reconcile') may settle it`);
    } else if (reconcile && state.status !== 'outcome_unresolved') {
      api.fail(seen, `${describe(seen)}: a reconciliation of action ${step.actionId} in status '${state.status}'; only an unresolved outcome is reconciled`);
    } else if (reconcile && (str(seen.value, 'by') === undefined || str(seen.value, 'reason') === undefined)) {
      api.fail(seen, `${describe(seen)}: the reconciliation of action ${step.actionId} names no admin ('by') or no 'reason'`);
    }
  },
}));
