import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { CoolingClock, OUTAGE_MIN_BEATS } from '../../src/gateway/cooling-clock.ts';
import { actionRecord } from '../helpers/action-record.ts';
import { storesPerTest, type StoreKind } from '../helpers/postgres.ts';
const quiet = { info: () => {}, warn: () => {} };
const BEAT = 1000;

describe.each<StoreKind>(['sqlite', 'postgres'])('the cooling clock stops while no gateway runs (%s)', (kind) => {
  const open = storesPerTest(kind);

  it('moves each cooling period an outage interrupted later by the outage, and nothing else', async () => {
    const store = await open();
    const clock = new ManualClock(1_000_000);
    const cc = new CoolingClock({ store, clock, beatMs: BEAT, log: quiet });
    expect(await cc.resume()).toEqual({ outageMs: 0, moved: 0 }); // first start: no mark yet
    await store.tx(async (tx) => {
      await tx.insertAction(actionRecord('due-later', { status: 'cooling', dueAt: 1_030_000 }));
      await tx.insertAction(actionRecord('due-before-the-outage', { status: 'cooling', dueAt: 1_005_000 }));
      await tx.insertAction(actionRecord('awaiting', { status: 'awaiting_signature', dueAt: 1_030_000 }));
    });
    clock.set(1_010_000);
    await cc.beat(); // the last mark: 1,010,000
    clock.set(1_070_000); // a minute of silence
    expect(await cc.resume()).toEqual({ outageMs: 60_000, moved: 1 });
    // 20 s of its period were left at the last mark; they are left now.
    expect((await store.getAction('due-later'))!.dueAt).toBe(1_090_000);
    // Due before the outage began (while a gateway ran): released as it was.
    expect((await store.getAction('due-before-the-outage'))!.dueAt).toBe(1_005_000);
    // Only cooling periods: a signature window that ran out expires, which executes nothing.
    expect((await store.getAction('awaiting'))!.dueAt).toBe(1_030_000);
    expect(await store.lastAlive()).toBe(1_070_000);
    // Logged, so the offline verifier holds the release to the new end (docs/regulator.md, action.cooling).
    const logged = (await store.log.query({ type: 'action.cooling_extended', terms: [], limit: 10 })).map((e) => e.entry);
    expect(logged).toEqual([expect.objectContaining({ actionId: 'due-later', ts: 1_070_000, event: 'outage', notBefore: 1_090_000, outageMs: 60_000 })]);
  });

  it(`a silence shorter than ${OUTAGE_MIN_BEATS} beats (a restart, a slow store) moves nothing`, async () => {
    const store = await open();
    const clock = new ManualClock(2_000_000);
    const cc = new CoolingClock({ store, clock, beatMs: BEAT, log: quiet });
    await cc.resume();
    await store.tx((tx) => tx.insertAction(actionRecord('c', { status: 'cooling', dueAt: 2_030_000 })));
    clock.advance(OUTAGE_MIN_BEATS * BEAT - 1);
    expect(await cc.resume()).toEqual({ outageMs: 0, moved: 0 });
    expect((await store.getAction('c'))!.dueAt).toBe(2_030_000);
    clock.advance(OUTAGE_MIN_BEATS * BEAT);
    expect(await cc.resume()).toEqual({ outageMs: OUTAGE_MIN_BEATS * BEAT, moved: 1 });
    expect((await store.getAction('c'))!.dueAt).toBe(2_030_000 + OUTAGE_MIN_BEATS * BEAT);
  });

  it('gateways starting together after an outage: one moves the periods, once; the others find its mark', async () => {
    const store = await open();
    const clock = new ManualClock(4_000_000);
    const clocks = [1, 2, 3].map(() => new CoolingClock({ store, clock, beatMs: BEAT, log: quiet }));
    await clocks[0]!.resume();
    await store.tx((tx) => tx.insertAction(actionRecord('c', { status: 'cooling', dueAt: 4_030_000 })));
    clock.advance(60_000);
    const results = await Promise.all(clocks.map((c) => c.resume()));
    expect(results.map((r) => r.moved).sort()).toEqual([0, 0, 1]);
    expect((await store.getAction('c'))!.dueAt).toBe(4_090_000);
    expect(await store.log.query({ type: 'action.cooling_extended', terms: [], limit: 10 })).toHaveLength(1);
  });

  it('the first mark after the store did not answer gives the outage back, whether the beat or the store check comes first', async () => {
    const store = await open();
    let down = false;
    // The store as a gateway sees it through an outage: every transaction refused while it is down.
    const reachable = new Proxy(store, {
      get(target, key) {
        const v = Reflect.get(target, key, target) as unknown;
        if (key === 'tx') return (...args: Parameters<typeof store.tx>) => (down ? Promise.reject(new Error('connection refused')) : store.tx(...args));
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const clock = new ManualClock(5_000_000);
    const cc = new CoolingClock({ store: reachable, clock, beatMs: BEAT, log: quiet });
    await cc.resume();
    await store.tx((tx) => tx.insertAction(actionRecord('c', { status: 'cooling', dueAt: 5_030_000 })));
    clock.advance(BEAT);
    await cc.beat(); // the last mark: 5,001,000
    down = true;
    clock.advance(BEAT);
    await cc.beat(); // refused
    expect(cc.needsResume).toBe(true);
    clock.advance(10_000);
    down = false;
    // The beat comes first: it resumes, rather than marking the store alive and hiding the outage
    // from the store check that follows.
    await cc.beat();
    expect(cc.needsResume).toBe(false);
    expect((await store.getAction('c'))!.dueAt).toBe(5_030_000 + 11_000);
    expect(await cc.resume()).toEqual({ outageMs: 0, moved: 0 }); // the store check, after it
    // The store check comes first (it saw the store not answering between two beats).
    cc.interrupted();
    clock.advance(OUTAGE_MIN_BEATS * BEAT);
    expect(await cc.resume()).toEqual({ outageMs: OUTAGE_MIN_BEATS * BEAT, moved: 1 });
    expect(cc.needsResume).toBe(false);
    await cc.beat(); // a plain mark again
    expect(await store.lastAlive()).toBe(5_012_000 + OUTAGE_MIN_BEATS * BEAT);
    expect((await store.getAction('c'))!.dueAt).toBe(5_041_000 + OUTAGE_MIN_BEATS * BEAT);
    expect(await store.log.query({ type: 'action.cooling_extended', terms: [], limit: 10 })).toHaveLength(2);
  });

  it('beats while started, and stops', async () => {
    const store = await open();
    const clock = new ManualClock(3_000_000);
    const cc = new CoolingClock({ store, clock, beatMs: 20, log: quiet });
    cc.start();
    clock.set(3_000_500);
    await expect.poll(() => store.lastAlive(), { timeout: 5000 }).toBe(3_000_500);
    cc.stop();
    clock.set(3_000_900);
    await new Promise((r) => setTimeout(r, 100));
    expect(await store.lastAlive()).toBe(3_000_500);
  });
});
