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

/**
 * One tracker per verification, shared by every action rule: each entry is observed once, every
 * rule sees the action's state from before that entry, and the entry is applied once, before the
 * next entry (or the end). Per-rule trackers cost a map of every entry per rule (a million-entry
 * bundle spent most of its time there).
 */
interface SharedTracker {
  tracker: ActionTracker;
  current: EntryView | null;
  step: ActionStep | null;
}
const SHARED = new WeakMap<object, SharedTracker>();

function sharedFor(ctx: RuleContext): SharedTracker {
  let sh = SHARED.get(ctx.bundle);
  if (sh === undefined) SHARED.set(ctx.bundle, (sh = { tracker: new ActionTracker(), current: null, step: null }));
  return sh;
}

function settle(sh: SharedTracker): void {
  if (sh.step !== null) sh.tracker.apply(sh.step);
  sh.step = null;
}

function stepOf(sh: SharedTracker, e: EntryView): ActionStep | null {
  if (sh.current !== e) {
    settle(sh);
    sh.current = e;
    sh.step = sh.tracker.observe(e);
  }
  return sh.step;
}

export function defineActionRule(id: string, title: string, make: (api: ActionRuleApi) => ActionRuleHandlers): VerificationRule {
  return {
    id,
    title,
    begin(ctx: RuleContext): RuleRun {
      const sh = sharedFor(ctx);
      const tracker = sh.tracker;
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
        const step = stepOf(sh, e);
        h.entry?.(e, tracker.byIndex.get(e.index));
        if (step === null || h.action === undefined) return;
        if (step.parts === undefined) h.action(step);
        else for (const p of step.parts) h.action(p);
      };
      const end = h.end;
      return {
        context: on,
        entry: on,
        end: () => {
          settle(sh);
          end?.();
        },
      };
    },
  };
}
