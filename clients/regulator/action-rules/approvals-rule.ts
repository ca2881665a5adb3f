import { atMs, parseApproval } from './approval.ts';
import { describe } from './action-tracker.ts';
import { defineActionRule } from './define-rule.ts';
import { arr, shown, str, uint } from './fields.ts';

/** Slack for `at` in whole seconds against millisecond entry times. */
const SECOND = 1000;

/**
 * action.approvals: every approval in an action.authorised entry is well-formed, was given between
 * the action's classification and its authorisation, and, when it names the log entry that
 * recorded it (`logIndex`), that entry precedes the authorisation and is for the same action,
 * digest and person.
 */
export const approvalsRule = defineActionRule('action.approvals', 'approvals are well-formed, timely and match the entries that recorded them', (api) => ({
  action(step) {
    const { seen, state, actionId } = step;
    if (seen.type !== 'action.authorised') return;
    const list = arr(seen.value, 'approvals');
    if (list === undefined) {
      api.fail(seen, `${describe(seen)}: action ${actionId} has no approvals array`);
      return;
    }
    const ts = uint(seen.value, 'ts');
    const from = state.classified ? uint(state.classified.value, 'ts') : undefined;
    const digest = str(seen.value, 'digest');
    const { start } = api.ctx.range;
    list.forEach((raw, i) => {
      const a = parseApproval(raw);
      if (typeof a === 'string') {
        api.fail(seen, `${describe(seen)}: approvals[${i}] ${a}`);
        return;
      }
      const at = atMs(a.at);
      if (ts !== undefined && at > ts + SECOND) api.fail(seen, `${describe(seen)}: approvals[${i}] (${a.who}) is dated after the authorisation`);
      if (from !== undefined && at + SECOND < from) api.fail(seen, `${describe(seen)}: approvals[${i}] (${a.who}) is dated before the action was classified`);
      if (a.logIndex === undefined) return;
      if (a.logIndex >= seen.index) {
        api.fail(seen, `${describe(seen)}: approvals[${i}] (${a.who}) names entry ${a.logIndex}, which is not before the authorisation`);
        return;
      }
      const rec = api.tracker.byIndex.get(a.logIndex);
      if (rec === undefined) {
        if (a.logIndex >= start || api.historyExpected) api.fail(seen, `${describe(seen)}: approvals[${i}] (${a.who}) names entry ${a.logIndex}, which is not in the bundle`);
        else api.missing(step, `${describe(seen)}: approvals[${i}] (${a.who}) names entry ${a.logIndex}, before the range`);
        return;
      }
      const problems: string[] = [];
      if (rec.value['actionId'] !== actionId) problems.push('another action');
      if (rec.value['digest'] !== digest) problems.push('another digest');
      if (rec.value['who'] !== undefined && rec.value['who'] !== a.who) problems.push(`person ${shown(rec.value['who'])}`);
      if (problems.length > 0) api.fail(seen, `${describe(seen)}: approvals[${i}] (${a.who}) names ${describe(rec)}, which records ${problems.join(', ')}`);
    });
  },
}));
