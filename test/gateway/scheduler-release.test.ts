/**
 * The scheduler releases a batch of due cooling actions in one transaction, and one record the
 * store refuses does not hold back the rest of its batch; the store being down releases nothing.
 * A real store on each engine; the refusal is injected at the store port. A period another
 * gateway moved later while a tick was held up between reading it due and releasing it stays.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { FirewallError } from '../../src/core/errors.ts';
import type { ActionRecord } from '../../src/gateway/action-record.ts';
import type { Dispatcher } from '../../src/gateway/dispatcher.ts';
import type { ActionUpdate } from '../../src/gateway/ports/actions.ts';
import type { Store, StoreTx } from '../../src/gateway/ports/store.ts';
import { CoolingClock } from '../../src/gateway/cooling-clock.ts';
import { Scheduler } from '../../src/gateway/scheduler.ts';
import { actionRecord } from '../helpers/action-record.ts';
import { openTestStore, type StoreKind } from '../helpers/postgres.ts';

/** The store, with `updateActions` failing with `error` whenever it includes `poisoned`. */
function refusing(store: Store, poisoned: string, error: () => Error): Store {
  const wrapTx = (tx: StoreTx): StoreTx =>
    new Proxy(tx, {
      get(target, key) {
        if (key === 'updateActions') {
          return async (updates: readonly ActionUpdate[]) => {
            if (updates.some((u) => u.id === poisoned)) throw error();
            return target.updateActions(updates);
          };
        }
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return new Proxy(store, {
    get(target, key) {
      if (key === 'tx') return (fn: (tx: StoreTx) => Promise<unknown>, opts?: object) => target.tx((tx) => fn(wrapTx(tx)), opts);
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe.each<StoreKind>(['sqlite', 'postgres'])('scheduler release on %s', (kind) => {
  const disposers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const d of disposers.splice(0)) await d();
  });

  async function setup(error: () => Error) {
    const t = await openTestStore(kind);
    disposers.push(t.dispose);
    const ids = ['c1', 'c2', 'poison', 'c3', 'c4'];
    await t.store.tx(async (tx) => {
      for (const id of ids) await tx.insertAction(actionRecord(id, { status: 'cooling', dueAt: 100 }));
    });
    const started: ActionRecord[] = [];
    const changed: string[] = [];
    const errors: string[] = [];
    const scheduler = new Scheduler({
      store: refusing(t.store, 'poison', error),
      clock: new ManualClock(1_000),
      dispatcher: { start: (a: ActionRecord) => void started.push(a) } as unknown as Dispatcher,
      events: { changed: (a) => void changed.push(a.id) },
      dispatchLeaseMs: 30_000,
      tickMs: 60_000,
      ready: () => true,
      log: { error: (_o, msg) => void errors.push(msg) },
    });
    return { store: t.store, scheduler, started, changed, errors };
  }

  it('releases the rest of a batch when the store refuses one record of it, and logs each release once', async () => {
    const s = await setup(() => new Error('refused: a record the store cannot take'));
    await s.scheduler.tick();
    const released = ['c1', 'c2', 'c3', 'c4'];
    expect(s.started.map((a) => a.id).sort()).toEqual(released);
    expect(s.changed.sort()).toEqual(released);
    expect(s.errors).toEqual(['cooling actions could not be released; will retry']);
    expect(await s.store.getAction('poison')).toMatchObject({ status: 'cooling' });
    for (const a of s.started) {
      const stored = (await s.store.getAction(a.id))!;
      expect(stored).toMatchObject({ status: 'executing', dueAt: 31_000 });
      // Where its authorisation sits in the log: the entry of this action, and only one for it.
      const authorised = await s.store.log.query({ type: 'action.authorised', terms: [], afterIndex: -1, limit: 100 });
      expect(authorised.filter((e) => e.actionId === a.id).map((e) => e.index)).toEqual([stored.authorisationLogIndex]);
    }
    expect((await s.store.log.query({ type: 'action.dispatched', terms: [], afterIndex: -1, limit: 100 })).length).toBe(4);
  });

  it('releases nothing while the store is unavailable, and does not retry the batch action by action', async () => {
    const s = await setup(() => new FirewallError('STORE_UNAVAILABLE', 'gone', { status: 503 }));
    await s.scheduler.tick();
    expect(s.started).toEqual([]);
    expect(s.errors).toEqual(['scheduler pass failed; will retry']);
    expect((await s.store.dueActions(['cooling'], 1_000, 10)).length).toBe(5);
    expect(await s.store.log.size()).toBe(0);
  });

  it('does not release a period another gateway moved later between the tick reading it due and releasing it', async () => {
    const t = await openTestStore(kind);
    disposers.push(t.dispose);
    const quiet = { info: () => {}, warn: () => {} };
    // Marked alive at 500, then silence: at 1,000 another gateway starts and gives the outage back.
    await t.store.tx(async (tx) => {
      await tx.markAlive(500);
      await tx.insertAction(actionRecord('held-up', { status: 'cooling', dueAt: 900 }));
    });
    const other = new CoolingClock({ store: t.store, clock: new ManualClock(1_000), beatMs: 100, log: quiet });
    // This gateway's tick reads the action due (900 <= 1,000), then is held up while the other one resumes.
    const heldUp = new Proxy(t.store, {
      get(target, key) {
        if (key === 'dueActions') {
          return async (...args: Parameters<Store['dueActions']>) => {
            const due = await target.dueActions(...args);
            if (args[0].includes('cooling')) await other.resume();
            return due;
          };
        }
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const started: ActionRecord[] = [];
    const scheduler = new Scheduler({
      store: heldUp,
      clock: new ManualClock(1_000),
      dispatcher: { start: (a: ActionRecord) => void started.push(a) } as unknown as Dispatcher,
      events: { changed: () => {} },
      dispatchLeaseMs: 30_000,
      tickMs: 60_000,
      ready: () => true,
      log: { error: () => {} },
    });
    await scheduler.tick();
    expect(started).toEqual([]);
    // Still cooling, until the end the outage moved it to (900 + 500), and nothing logged as authorised.
    expect(await t.store.getAction('held-up')).toMatchObject({ status: 'cooling', dueAt: 1_400 });
    expect(await t.store.log.query({ type: 'action.authorised', terms: [], afterIndex: -1, limit: 10 })).toEqual([]);
  });
});
