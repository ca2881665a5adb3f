import type { Clock } from '../core/clock.ts';
import { isFirewallError } from '../core/errors.ts';
import type { ActionUpdate } from './ports/actions.ts';
import type { Store, StoreTx } from './ports/store.ts';
import type { ActionRecord } from './action-record.ts';
import type { ActionStatus } from '../core/action/status.ts';
import { entry } from './audit-entries.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { ActionEvents } from './ports/action-events.ts';

/** Due actions read and moved at once. */
const BATCH = 100;

export interface SchedulerDeps {
  store: Store;
  clock: Clock;
  dispatcher: Dispatcher;
  events: ActionEvents;
  dispatchLeaseMs: number;
  tickMs: number;
  /** False while the store, signer or policy is not ready: nothing is released then. */
  ready: () => boolean;
  log: { error: (obj: object, msg: string) => void };
}

/**
 * Moves time-driven actions along. It polls the store rather than holding timers, so cooling
 * periods and signature windows survive restarts with nothing to rebuild.
 */
export class Scheduler {
  readonly #d: SchedulerDeps;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(deps: SchedulerDeps) {
    this.#d = deps;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.tick(), this.#d.tickMs);
    this.#timer.unref();
    void this.tick();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One pass; safe to call directly (tests) and never runs twice at once. */
  async tick(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const d = this.#d;
      const now = d.clock.now();
      // Batches of due actions (a cooling batch released in one transaction, expiries in flight
      // together so the store commits them as one group), again while batches come back full and
      // the tick's time lasts: a backlog (100,000 cooling periods ending within minutes, a restart
      // after an outage) drains at the store's speed, not at one batch per tick.
      const budgetEnd = performance.now() + d.tickMs;
      const drain = async (statuses: readonly ActionStatus[], step: (due: ActionRecord[]) => Promise<void>): Promise<void> => {
        for (;;) {
          const due = await d.store.dueActions(statuses, now, BATCH);
          if (due.length > 0) await step(due);
          if (due.length < BATCH || performance.now() > budgetEnd || !d.ready()) return;
        }
      };
      await drain(['awaiting_signature', 'awaiting_quorum'], async (due) => void (await Promise.all(due.map((a) => this.#expire(a, now)))));
      if (!d.ready()) return;
      await drain(['cooling'], async (due) => {
        for (const released of await this.#releaseAll(due, now)) d.dispatcher.start(released);
      });
      // Leases of attempts lost to a crash, retries, and resends of actions whose outcome is unknown.
      for (const a of await d.store.dueActions(['executing', 'outcome_unknown'], now, 100)) d.dispatcher.start(a);
    } catch (err) {
      this.#d.log.error({ err: (err as Error).message }, 'scheduler pass failed; will retry');
    } finally {
      this.#running = false;
    }
  }

  /** On start-up: anything that was in flight when the process died is sent again (same idempotency key). */
  async recover(): Promise<number> {
    const inFlight = await this.#d.store.actionsInStatus(['executing']);
    for (const a of inFlight) this.#d.dispatcher.start(a);
    return inFlight.length;
  }

  /**
   * Releases a batch of due cooling actions in one transaction: one compare-and-set for the batch,
   * their log entries, one write of where each authorisation sits in the log. Should the batch fail
   * for anything but the store being down (one record the store refuses), each action is released
   * in a transaction of its own, so one bad record cannot hold back the others.
   */
  async #releaseAll(due: readonly ActionRecord[], now: number): Promise<ActionRecord[]> {
    const d = this.#d;
    let released: ActionRecord[];
    try {
      released = await d.store.tx((tx) => this.#releaseIn(tx, due, now));
    } catch (err) {
      if (due.length === 1 || (isFirewallError(err) && err.code === 'STORE_UNAVAILABLE')) throw err;
      const each = await Promise.allSettled(due.map((a) => d.store.tx((tx) => this.#releaseIn(tx, [a], now))));
      released = each.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      const failed = each.filter((r) => r.status === 'rejected');
      if (failed.length > 0) d.log.error({ err: String((failed[0] as PromiseRejectedResult).reason), failed: failed.length }, 'cooling actions could not be released; will retry');
    }
    for (const a of released) d.events.changed(a);
    return released;
  }

  async #releaseIn(tx: StoreTx, due: readonly ActionRecord[], now: number): Promise<ActionRecord[]> {
    const d = this.#d;
    // Compare-and-set first: a veto that landed a moment ago wins and nothing is logged for it.
    // The records as read are passed as held, so the store reads back only those changed since.
    // Due by now as stored, not only as read: a period moved later since (an outage given back by
    // another gateway's cooling clock while this one's tick was held up) is not released early.
    const moved = await tx.updateActions(due.map((a) => ({ id: a.id, from: ['cooling'], patch: { status: 'executing', dueAt: now + d.dispatchLeaseMs, updatedAt: now }, held: a, dueBy: now })));
    const indexed: ActionUpdate[] = [];
    for (const [i, m] of moved.entries()) {
      if (m === undefined) continue;
      const a = due[i]!;
      const first = await tx.audit([
        entry('action.authorised', now, a, { event: 'cooling_elapsed', tier: a.classification.tier, approvals: a.approvals, policyHash: a.classification.policyHash, notBefore: a.dueAt }),
        entry('action.dispatched', now, a, { event: 'dispatch', attempt: 1 }),
      ]);
      indexed.push({ id: a.id, from: ['executing'], patch: { authorisationLogIndex: first }, held: m });
    }
    return (await tx.updateActions(indexed)).filter((r): r is ActionRecord => r !== undefined);
  }

  async #expire(a: ActionRecord, now: number): Promise<void> {
    const next = await this.#d.store.tx(async (tx) => {
      const updated = await tx.updateAction(a.id, ['awaiting_signature', 'awaiting_quorum'], { status: 'expired', dueAt: null, updatedAt: now }, a);
      if (updated !== undefined) await tx.audit([entry('action.expired', now, a, { event: 'expire', from: a.status })]);
      return updated;
    });
    if (next !== undefined) this.#d.events.changed(next);
  }
}
