/**
 * Scaffolding shared by the action rules: each rule gets its own ActionTracker and sees every
 * action entry with the action's prior state, context entries first.
 */
import type { EntryView, RuleContext, RuleRun, VerificationRule } from '../rules.ts';
import { ActionTracker, whereOf, type ActionStep, type Seen } from './action-tracker.ts';

export interface ActionRuleApi {
  readonly ctx: RuleContext;
  readonly tracker: ActionTracker;
  /**
   * True when the bundle should hold every earlier entry an entry depends on: the range starts at
   * 0, or the bundle carries a context section (the exporter's claim to have included them).
   */
  readonly historyExpected: boolean;
  fail(at: Seen, message: string): void;
  warn(at: Seen, message: string): void;
  /**
   * Something the check needs is not in the bundle: a failure when it should be there, else one
   * warning per action (its history begins before the range and the bundle has no context).
   */
  missing(step: ActionStep, message: string): void;
}

export interface ActionRuleHandlers {
  /** An action.* entry with the action's state before it. */
  action?(step: ActionStep): void;
  /** Any entry (called before `action`). */
  entry?(e: EntryView, seen: Seen | undefined): void;
  end?(): void;
}

export function defineActionRule(id: string, title: string, make: (api: ActionRuleApi) => ActionRuleHandlers): VerificationRule {
  return {
    id,
    title,
    begin(ctx: RuleContext): RuleRun {
      const tracker = new ActionTracker();
      const historyExpected = ctx.range.start === 0 || Array.isArray(ctx.bundle.context);
      const warned = new Set<string>();
      const api: ActionRuleApi = {
        ctx,
        tracker,
        historyExpected,
        fail: (at, message) => ctx.fail(message, whereOf(at)),
        warn: (at, message) => ctx.warn(message, whereOf(at)),
        missing: (step, message) => {
          if (historyExpected) {
            ctx.fail(message, whereOf(step.seen));
          } else if (!warned.has(step.actionId)) {
            warned.add(step.actionId);
            ctx.warn(`${message} (action ${step.actionId} began before the range and the bundle has no context: not checked)`, whereOf(step.seen));
          }
        },
      };
      const h = make(api);
      const on = (e: EntryView): void => {
        const step = tracker.observe(e);
        h.entry?.(e, tracker.byIndex.get(e.index));
        if (step === null) return;
        h.action?.(step);
        tracker.apply(step);
      };
      return { context: on, entry: on, ...(h.end ? { end: h.end } : {}) };
    },
  };
}
