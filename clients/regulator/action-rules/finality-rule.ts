import { describe } from './action-tracker.ts';
import { defineActionRule } from './define-rule.ts';

const WHAT: Record<string, string> = {
  'action.vetoed': 'a vetoed action must never run',
  'action.expired': 'an expired action must never run',
  'action.blocked': 'a blocked action must never run',
  'action.executed': 'an action executes at most once',
  'action.failed': 'a failed action is finished',
};

/** action.finality: no entry of an action follows its terminal entry (blocked, vetoed, expired, executed, failed). */
export const finalityRule = defineActionRule('action.finality', 'nothing happens to an action after it was blocked, vetoed, expired, executed or failed', (api) => ({
  action(step) {
    const t = step.state.terminal;
    if (t === undefined) return;
    api.fail(step.seen, `${describe(step.seen)} follows ${describe(t)} of action ${step.actionId}: ${WHAT[t.type] ?? 'the action was finished'}`);
  },
}));
