/**
 * Per-action history, rebuilt from the entries as a rule sees them (context first, then the range,
 * in bundle order). A rule looks at each action entry together with the action's state *before*
 * that entry, then the tracker applies it. The allowed order mirrors the gateway's state machine
 * (src/core/action/state-machine.ts), restated here so the verifier stands on its own.
 */
import type { Where } from '../report.ts';
import type { EntryView } from '../rules.ts';
import { str, type Obj } from './fields.ts';

export interface Seen {
  index: number;
  /** Position in bundle.entries; absent for context entries. */
  position?: number;
  context: boolean;
  type: string;
  value: Obj;
  /** For one step of a composite entry (action.passed): the entry's own type. */
  form?: string;
}

/** Status an action is in after each entry type, and the statuses that entry may follow. */
export const ACTION_ENTRIES: Record<string, { status: string; from: readonly (string | null)[] }> = {
  'action.received': { status: 'received', from: [null] },
  'action.classified': { status: 'classified', from: ['received'] },
  'action.cooling': { status: 'cooling', from: ['classified'] },
  // The end of cooling moved later after an outage of every gateway (the cooling clock stops then).
  'action.cooling_extended': { status: 'cooling', from: ['cooling'] },
  'action.awaiting_signature': { status: 'awaiting_signature', from: ['classified'] },
  'action.awaiting_quorum': { status: 'awaiting_quorum', from: ['classified'] },
  'action.blocked': { status: 'blocked', from: ['classified'] },
  'action.authorised': { status: 'authorised', from: ['classified', 'cooling', 'awaiting_signature', 'awaiting_quorum'] },
  'action.dispatched': { status: 'executing', from: ['authorised'] },
  'action.dispatch_failed': { status: 'executing', from: ['executing'] },
  // The request may have run: resent under the same key until answered or the attempts run out.
  'action.outcome_unknown': { status: 'outcome_unknown', from: ['executing'] },
  'action.resend_failed': { status: 'outcome_unknown', from: ['outcome_unknown'] },
  // No resend left: only an admin's reconciliation (event `reconcile`) may follow.
  'action.unresolved': { status: 'outcome_unresolved', from: ['outcome_unknown'] },
  'action.executed': { status: 'executed', from: ['executing', 'outcome_unknown', 'outcome_unresolved'] },
  // Never after a resend was answered unknown without a person: a possibly executed action is not "failed".
  'action.failed': { status: 'failed', from: ['executing', 'outcome_unresolved'] },
  'action.vetoed': { status: 'vetoed', from: ['cooling', 'awaiting_signature', 'awaiting_quorum'] },
  'action.expired': { status: 'expired', from: ['awaiting_signature', 'awaiting_quorum'] },
};

/**
 * A LOW action's one entry before forwarding, action.passed, carries what action.received,
 * action.classified, action.authorised and action.dispatched would: every rule sees it as those
 * four steps, in that order, at the entry's one index (so a receipt's `log` names it).
 */
export const COMPOSITE_ENTRIES: Record<string, readonly string[]> = {
  'action.passed': ['action.received', 'action.classified', 'action.authorised', 'action.dispatched'],
};

export const TERMINAL_TYPES = new Set(['action.blocked', 'action.executed', 'action.failed', 'action.vetoed', 'action.expired']);

export interface ActionState {
  id: string;
  /** Status after the last entry seen; null before any. */
  status: string | null;
  received?: Seen;
  classified?: Seen;
  cooling?: Seen;
  /** The latest action.cooling_extended: its notBefore is the end of cooling. */
  coolingExtended?: Seen;
  awaiting?: Seen;
  authorised?: Seen;
  dispatched?: Seen;
  executed?: Seen;
  /** The first terminal entry (blocked, executed, failed, vetoed, expired). */
  terminal?: Seen;
  /** Every entry naming this action, action.* or not (signature.*, approval.*, ...). */
  entries: Seen[];
}

export interface ActionStep {
  actionId: string;
  seen: Seen;
  /** The action's state before this entry. */
  state: ActionState;
  /** A composite entry's steps, each with the state before it (COMPOSITE_ENTRIES). */
  parts?: ActionStep[];
}

export function whereOf(s: Seen): Where {
  return s.position === undefined ? { index: s.index } : { index: s.index, position: s.position };
}

export function describe(s: Seen): string {
  return s.form === undefined ? `entry ${s.index} (${s.type})` : `entry ${s.index} (${s.form}, as ${s.type})`;
}

/** What `apply` records for one entry type, on any state object. */
function applyTo(state: ActionState, seen: Seen): void {
  state.status = ACTION_ENTRIES[seen.type]!.status;
  switch (seen.type) {
    case 'action.received':
      state.received ??= seen;
      break;
    case 'action.classified':
      state.classified ??= seen;
      break;
    case 'action.cooling':
      state.cooling ??= seen;
      break;
    case 'action.cooling_extended':
      state.coolingExtended = seen;
      break;
    case 'action.awaiting_signature':
    case 'action.awaiting_quorum':
      state.awaiting ??= seen;
      break;
    case 'action.authorised':
      state.authorised ??= seen;
      break;
    case 'action.dispatched':
      state.dispatched ??= seen;
      break;
    case 'action.executed':
      state.executed ??= seen;
      break;
  }
  if (TERMINAL_TYPES.has(seen.type)) state.terminal ??= seen;
}

export class ActionTracker {
  readonly actions = new Map<string, ActionState>();
  /** Every parsed entry seen, by log index (the first one seen wins). */
  readonly byIndex = new Map<number, Seen>();

  /** Record the entry; for an action.* entry with an actionId, return it with the action's prior state. */
  observe(e: EntryView): ActionStep | null {
    if (e.value === null) return null;
    const type = typeof e.value['type'] === 'string' ? (e.value['type'] as string) : '';
    // No spread and one map lookup: this runs once per entry of bundles of millions.
    const seen: Seen = e.context === true ? { index: e.index, context: true, type, value: e.value } : { index: e.index, position: e.position, context: false, type, value: e.value };
    if (this.byIndex.get(e.index) === undefined) this.byIndex.set(e.index, seen);
    const actionId = str(e.value, 'actionId');
    if (actionId === undefined) return null;
    let state = this.actions.get(actionId);
    if (state === undefined) this.actions.set(actionId, (state = { id: actionId, status: null, entries: [] }));
    // Own keys only: a type such as "valueOf" or "constructor" names Object.prototype's members.
    const composite = Object.hasOwn(COMPOSITE_ENTRIES, type) ? COMPOSITE_ENTRIES[type] : undefined;
    if (composite !== undefined) {
      const parts: ActionStep[] = [];
      let before: ActionState = state;
      for (const t of composite) {
        const part: Seen = { ...seen, type: t, form: type };
        parts.push({ actionId, seen: part, state: before });
        before = { ...before, entries: before.entries };
        applyTo(before, part);
      }
      return { actionId, seen, state, parts };
    }
    if (!Object.hasOwn(ACTION_ENTRIES, type)) {
      state.entries.push(seen);
      return null;
    }
    return { actionId, seen, state };
  }

  /** Apply an action entry returned by observe(). */
  apply(step: ActionStep): void {
    const { state, seen } = step;
    state.entries.push(seen);
    if (step.parts === undefined) applyTo(state, seen);
    else for (const p of step.parts) applyTo(state, p.seen);
  }
}
