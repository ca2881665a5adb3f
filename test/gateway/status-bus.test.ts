/**
 * The status bus with a feed (several replicas): what it publishes, which other replicas' changes
 * it reads from the store and to whom it delivers them, in what order, and what a gap re-reads.
 * The feed here is an in-process implementation of the port (the Redis one is tested in
 * shared-state-ports.test.ts and across replicas in replicas*.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ActionRecord } from '../../src/gateway/action-record.ts';
import type { StatusChange, StatusFeed } from '../../src/gateway/ports/status-feed.ts';
import { StatusBus, type ChangeOrigin } from '../../src/gateway/status-bus.ts';

class LoopFeed implements StatusFeed {
  published: StatusChange[] = [];
  h: { change(c: StatusChange): void; gap(): void } | undefined;
  publish(c: StatusChange): void {
    this.published.push(c);
  }
  async start(h: { change(c: StatusChange): void; gap(): void }): Promise<void> {
    this.h = h;
  }
  async close(): Promise<void> {}
}

const rec = (id: string, status: ActionRecord['status'], n = 0) => ({ id, status, updatedAt: n, classification: { tier: 'MEDIUM' } }) as unknown as ActionRecord;

/** A store whose reads resolve when the test says, recording what was asked. */
function slowStore(states: Map<string, ActionRecord>) {
  const reads: string[] = [];
  const pending: (() => void)[] = [];
  return {
    reads,
    read: (id: string) =>
      new Promise<ActionRecord | undefined>((resolve) => {
        reads.push(id);
        // The state at the moment the read runs, not when it was asked: as a database answers.
        pending.push(() => resolve(states.get(id)));
      }),
    async release() {
      while (pending.length > 0) {
        pending.shift()!();
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}

async function setup() {
  const feed = new LoopFeed();
  const states = new Map<string, ActionRecord>();
  const store = slowStore(states);
  const bus = new StatusBus({ feed, read: store.read });
  await bus.start();
  return { feed, states, store, bus, remote: (id: string) => feed.h!.change({ id, status: states.get(id)!.status, tier: 'MEDIUM' }) };
}

describe('status bus across replicas', () => {
  it('publishes each local change with its tier, and tells every observer it was local', async () => {
    const { feed, bus } = await setup();
    const seen: ChangeOrigin[] = [];
    bus.observe((_a, o) => seen.push(o));
    bus.observe((_a, o) => seen.push(o), { follows: () => true, followed: () => [] });
    bus.changed(rec('act_1', 'cooling'));
    expect(feed.published).toEqual([{ id: 'act_1', status: 'cooling', tier: 'MEDIUM' }]);
    expect(seen).toEqual(['local', 'local']);
  });

  it("reads another replica's change only when something here follows it, and delivers it only to followers", async () => {
    const { states, store, bus, remote } = await setup();
    const plain: string[] = [];
    const following: string[] = [];
    bus.observe((a) => plain.push(a.id));
    bus.observe((a, o) => following.push(`${a.id}:${a.status}:${o}`), { follows: (c) => c.id === 'act_f', followed: () => [] });
    states.set('act_x', rec('act_x', 'executed'));
    remote('act_x');
    expect(store.reads).toEqual([]); // nobody follows act_x: no read
    states.set('act_f', rec('act_f', 'vetoed'));
    remote('act_f');
    const polled: string[] = [];
    bus.subscribe('act_p', (a) => polled.push(a.status));
    states.set('act_p', rec('act_p', 'executed'));
    remote('act_p');
    await store.release();
    expect(store.reads).toEqual(['act_f', 'act_p']);
    expect(following).toEqual(['act_f:vetoed:remote', 'act_p:executed:remote']);
    expect(polled).toEqual(['executed']);
    expect(plain).toEqual([]); // webhooks, metrics: only for their own replica's changes
  });

  it('one read per action at a time: changes heard meanwhile cause one more read, never an older state after a newer one', async () => {
    const { states, store, bus, remote } = await setup();
    const got: string[] = [];
    bus.subscribe('act_1', (a) => got.push(a.status));
    states.set('act_1', rec('act_1', 'cooling'));
    remote('act_1');
    states.set('act_1', rec('act_1', 'executing'));
    remote('act_1');
    states.set('act_1', rec('act_1', 'executed'));
    remote('act_1');
    await store.release();
    expect(store.reads).toEqual(['act_1', 'act_1']);
    expect(got).toEqual(['executed', 'executed']);
  });

  it('a gap re-reads every followed action and tells followers, who end what they cannot re-read', async () => {
    const { feed, states, store, bus } = await setup();
    let gaps = 0;
    bus.observe(() => {}, { follows: () => false, followed: () => ['act_a', 'act_b'], gap: () => gaps++ });
    bus.subscribe('act_b', () => {});
    bus.subscribe('act_c', () => {});
    for (const id of ['act_a', 'act_b', 'act_c']) states.set(id, rec(id, 'executed'));
    feed.h!.gap();
    await store.release();
    expect([...store.reads].sort()).toEqual(['act_a', 'act_b', 'act_c']);
    expect(gaps).toBe(1);
  });
});
