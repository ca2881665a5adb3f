/**
 * A backlog of cooling periods ending together (a burst of MEDIUM actions, a restart after an
 * outage) is released in one scheduler pass, at the store's speed: batches in flight together and
 * again while they come back full, not one batch of 100 per tick.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';

const N = 250;
let h: Harness;

beforeAll(async () => {
  // One tick a minute (and one at start): the only pass that releases anything is the one the test starts.
  h = await startHarness({ editPolicy: (y) => y.replace('cooling: 30s', 'cooling: 5s'), env: { SCHEDULER_TICK_MS: '60000', RATE_MEDIUM_PER_MIN: '100000', RATE_AGENT_PER_SEC: '100000', RATE_ACTUATOR_PER_SEC: '100000' } });
});
afterAll(async () => h?.close());

describe('scheduler backlog', () => {
  it(`${N} cooling periods ending at once are all released by one pass, each executed once`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      // Scaling a deployment cools for 30 s and has no velocity rule (transfers would escalate after 20).
      const res = await h.as('agent', 'POST', `/proxy/infra/deployments/web-${i}/scale`, { body: { replicas: 2 }, headers: { 'idempotency-key': `backlog-${i}` } });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const cooling = await h.gw.ctx.store.dueActions(['cooling'], Date.now() + 60_000, 1000);
    expect(cooling.length).toBe(N);
    const lastDue = Math.max(...cooling.map((a) => a.dueAt ?? 0));
    await new Promise((r) => setTimeout(r, lastDue - Date.now() + 50));
    await h.gw.ctx.scheduler.tick();
    // Nothing is left cooling after that one pass (more than two batches of 100).
    expect(await h.gw.ctx.store.dueActions(['cooling'], Date.now(), 1000)).toEqual([]);
    await waitFor(() => (h.infra.executions.length >= N ? true : undefined), 30_000);
    expect(new Set(h.infra.executions.map((e) => e.key))).toEqual(new Set(ids));
    expect(h.infra.duplicates).toBe(0);
  });
});
