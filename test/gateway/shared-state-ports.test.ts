/**
 * Issue 16 item 3: the ports several replicas share, one contract for both implementations — in
 * this process (the default) and in Redis (the machine's real server, a key prefix of this run's
 * own). Then what only the shared ones do: two connections (two replicas) see one state, and a
 * Redis that lost its data forgets nothing silently.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisSharedState } from '../../src/adapters/redis/open-shared-state.ts';
import { RedisConnection } from '../../src/adapters/redis/redis-connection.ts';
import { RedisStatusFeed } from '../../src/adapters/redis/redis-status-feed.ts';
import type { StatusChange } from '../../src/gateway/ports/status-feed.ts';
import type { SharedState } from '../../src/gateway/ports/shared-state.ts';
import type { ReplayCache } from '../../src/gateway/ports/replay-cache.ts';
import type { SessionRegistry } from '../../src/gateway/ports/session-registry.ts';
import { MemoryReplayCache } from '../../src/gateway/jti-cache.ts';
import { MemoryNonceStore } from '../../src/gateway/sessions/nonce-store.ts';
import { MemorySessionRegistry } from '../../src/gateway/sessions/session-registry.ts';
import { waitFor } from '../helpers/harness.ts';
import { deleteKeys, seedEpoch, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.ts';

const log = pino({ level: 'silent' });
const prefix = uniquePrefix('ports');
const START = Date.now();
const opened: SharedState[] = [];

async function redisState(): Promise<SharedState> {
  const s = openRedisSharedState({ url: SHARED_REDIS_URL, keyPrefix: prefix, log, now: () => Date.now() });
  opened.push(s);
  await waitFor(() => s.health().ok || undefined, 10_000);
  return s;
}

beforeAll(async () => {
  // Both kinds remember every id since START: the memory ones by construction, Redis by its epoch.
  await seedEpoch(SHARED_REDIS_URL, prefix, START);
});
afterAll(async () => {
  for (const s of opened) await s.close();
  await deleteKeys(SHARED_REDIS_URL, prefix);
});

const impls: { name: string; replay: () => Promise<ReplayCache>; sessions: () => Promise<SessionRegistry> }[] = [
  { name: 'assertion ids in memory', replay: async () => new MemoryReplayCache({ since: START }), sessions: async () => new MemorySessionRegistry() },
  { name: 'nonces in memory', replay: async () => new MemoryNonceStore(1000, START), sessions: async () => new MemorySessionRegistry() },
  { name: 'redis', replay: async () => (await redisState()).assertions, sessions: async () => (await redisState()).sessions },
];

let n = 0;
const fresh = () => `id-${++n}-${Math.random()}`;

describe.each(impls)('replay cache contract: $name', ({ replay }) => {
  let c: ReplayCache;
  beforeAll(async () => {
    c = await replay();
  });

  it('an id is fresh once, then reused until it expires, then fresh again', async () => {
    const now = Date.now();
    const key = fresh();
    expect(await c.use(key, { issuedAt: now, expiresAt: now + 300 }, now)).toBe('fresh');
    expect(await c.use(key, { issuedAt: now, expiresAt: now + 300 }, now + 10)).toBe('reused');
    // The shared cache expires keys on the server's clock: let real time pass.
    await new Promise((r) => setTimeout(r, 400));
    expect(await c.use(key, { issuedAt: now, expiresAt: Date.now() + 300 }, Date.now())).toBe('fresh');
  });

  it('ids differ by their whole key, however long', async () => {
    const now = Date.now();
    const long = 'j'.repeat(190);
    expect(await c.use(`agent-a\n${long}`, { issuedAt: now, expiresAt: now + 60_000 }, now)).toBe('fresh');
    expect(await c.use(`agent-b\n${long}`, { issuedAt: now, expiresAt: now + 60_000 }, now)).toBe('fresh');
    expect(await c.use(`agent-a\n${long}`, { issuedAt: now, expiresAt: now + 60_000 }, now)).toBe('reused');
  });

  it('an id issued before the cache could remember it is forgotten, never fresh', async () => {
    const now = Date.now();
    expect(await c.use(fresh(), { issuedAt: START - 60_000, expiresAt: now + 60_000 }, now)).toBe('forgotten');
  });
});

describe.each(impls)('session registry contract: $name', ({ sessions }) => {
  let r: SessionRegistry;
  beforeAll(async () => {
    r = await sessions();
  });
  const rec = (agent: string, now: number, ttl = 60_000) => ({ id: `ses_${fresh()}`, agent, createdAt: now, expiresAt: now + ttl, revokedAt: null });

  it('opens up to the per-agent limit; a revoked session frees its place and reads as revoked', async () => {
    const now = Date.now();
    const agent = `agent-${fresh()}`;
    const a = rec(agent, now);
    const b = rec(agent, now);
    expect(await r.open(a, 2, now)).toBe(true);
    expect(await r.open(b, 2, now)).toBe(true);
    expect(await r.open(rec(agent, now), 2, now)).toBe(false);
    expect(await r.open(rec(`other-${agent}`, now), 2, now)).toBe(true); // the limit is per agent
    expect(await r.get(a.id)).toEqual(a);
    const revoked = await r.revoke(a.id, now + 5);
    expect(revoked).toEqual({ ...a, revokedAt: now + 5 });
    expect(await r.revoke(a.id, now + 9)).toEqual({ ...a, revokedAt: now + 5 }); // the first revocation stands
    expect(await r.get(a.id)).toEqual({ ...a, revokedAt: now + 5 });
    expect(await r.open(rec(agent, now), 2, now)).toBe(true);
  });

  it('an expired session no longer counts; unknown ids are undefined and revoke nothing', async () => {
    const now = Date.now();
    const agent = `agent-${fresh()}`;
    expect(await r.open(rec(agent, now, 200), 1, now)).toBe(true);
    expect(await r.open(rec(agent, now), 1, now)).toBe(false);
    await new Promise((res) => setTimeout(res, 300));
    expect(await r.open(rec(agent, Date.now()), 1, Date.now())).toBe(true);
    expect(await r.get('ses_nobody')).toBeUndefined();
    expect(await r.revoke('ses_nobody', now)).toBeUndefined();
    expect(await r.get('ses_nobody')).toBeUndefined(); // revoking did not create it
  });
});

describe('shared through redis: two replicas, one state', () => {
  it('an id used through one connection is reused through the other; sessions and their revocation too', async () => {
    const [a, b] = [await redisState(), await redisState()];
    const now = Date.now();
    const key = fresh();
    expect(await a.assertions.use(key, { issuedAt: now, expiresAt: now + 60_000 }, now)).toBe('fresh');
    expect(await b.assertions.use(key, { issuedAt: now, expiresAt: now + 60_000 }, now)).toBe('reused');
    // Assertion ids and nonces are separate namespaces.
    expect(await b.nonces.use(key, { issuedAt: now, expiresAt: now + 60_000 }, now)).toBe('fresh');
    const s = { id: `ses_${fresh()}`, agent: `agent-${fresh()}`, createdAt: now, expiresAt: now + 60_000, revokedAt: null };
    expect(await a.sessions.open(s, 1, now)).toBe(true);
    expect(await b.sessions.get(s.id)).toEqual(s);
    expect(await b.sessions.open({ ...s, id: `ses_${fresh()}` }, 1, now)).toBe(false);
    await b.sessions.revoke(s.id, now + 1);
    expect((await a.sessions.get(s.id))?.revokedAt).toBe(now + 1);
  });

  it('a rate limit counts across replicas; failed authentications too', async () => {
    const [a, b] = [await redisState(), await redisState()];
    const name = `lim-${fresh()}`;
    const la = a.counters.limiter({ name, points: 3, durationSec: 60 });
    const lb = b.counters.limiter({ name, points: 3, durationSec: 60 });
    await la.consume('agent-1');
    await la.consume('agent-1');
    await lb.consume('agent-1');
    await expect(lb.consume('agent-1')).rejects.toMatchObject({ remainingPoints: 0 });
    await expect(la.consume('agent-1')).rejects.toMatchObject({ remainingPoints: 0 });
    await lb.consume('agent-2'); // per key

    const client = `10.9.${n % 250}.${++n % 250}`;
    const fa = a.counters.authFailures({ perWindow: 2, windowMs: 60_000, maxClients: 100 });
    const fb = b.counters.authFailures({ perWindow: 2, windowMs: 60_000, maxClients: 100 });
    await fa.failed(client, Date.now());
    expect(await fb.lockedFor(client, Date.now())).toBe(0);
    await fb.failed(client, Date.now());
    expect(await fa.lockedFor(client, Date.now())).toBeGreaterThan(55_000);
    expect(await fb.lockedFor(client, Date.now())).toBeGreaterThan(55_000);
  });

  it('a server that lost its data (FLUSHDB-like: the epoch key is gone) forgets nothing silently', async () => {
    const s = await redisState();
    const used = Date.now();
    const key = fresh();
    expect(await s.assertions.use(key, { issuedAt: used, expiresAt: used + 120_000 }, Date.now())).toBe('fresh');
    // Lose everything under the prefix, as a restarted server without persistence would.
    await deleteKeys(SHARED_REDIS_URL, prefix);
    expect(await s.assertions.use(key, { issuedAt: used, expiresAt: used + 120_000 }, Date.now())).toBe('forgotten');
    // What is issued from now on is remembered again.
    const now = Date.now();
    expect(await s.assertions.use(fresh(), { issuedAt: now, expiresAt: now + 60_000 }, now)).toBe('fresh');
  });
});

describe('status feed over redis pub/sub', () => {
  it("delivers other replicas' changes (never its own), and a replica that could not publish announces a gap once it can", async () => {
    const conns = [0, 1].map(() => new RedisConnection({ url: SHARED_REDIS_URL, keyPrefix: prefix, log, now: () => Date.now() }));
    const [ca, cb] = conns as [RedisConnection, RedisConnection];
    try {
      const a = new RedisStatusFeed(ca, log);
      const b = new RedisStatusFeed(cb, log);
      const heard = { a: [] as StatusChange[], b: [] as StatusChange[], gapsA: 0, gapsB: 0 };
      await a.start({ change: (c) => heard.a.push(c), gap: () => heard.gapsA++ });
      await b.start({ change: (c) => heard.b.push(c), gap: () => heard.gapsB++ });
      // Each reports a gap once subscribed (it may have missed what came before).
      await waitFor(() => (heard.gapsA >= 1 && heard.gapsB >= 1 && ca.health().ok && cb.health().ok) || undefined);
      a.publish({ id: 'act_1', status: 'cooling', tier: 'MEDIUM' });
      await waitFor(() => heard.b.length === 1 || undefined);
      expect(heard.b).toEqual([{ id: 'act_1', status: 'cooling', tier: 'MEDIUM' }]);
      expect(heard.a).toEqual([]); // not its own
      const gapsB = heard.gapsB;
      const gapsA = heard.gapsA;
      // A's command connection drops (B's stays up, so B's subscription sees nothing wrong):
      // what A publishes meanwhile is lost, and A says so once it is back.
      ca.client.disconnect(true);
      a.publish({ id: 'act_2', status: 'executing', tier: 'MEDIUM' });
      await waitFor(() => heard.gapsB > gapsB || undefined);
      expect(heard.b.map((c) => c.id)).toEqual(['act_1']);
      a.publish({ id: 'act_3', status: 'executed', tier: 'MEDIUM' });
      await waitFor(() => heard.b.length === 2 || undefined);
      expect(heard.b.map((c) => c.id)).toEqual(['act_1', 'act_3']);
      expect(heard.gapsA).toBe(gapsA); // A's own subscription never dropped
    } finally {
      for (const c of conns) await c.close();
    }
  });
});

describe('a fresh replay epoch', () => {
  it('is not ready until the epoch’s whole second has ended: an assertion minted once it is ready is never refused as made before it', async () => {
    const own = uniquePrefix('epoch');
    // The gateway's clock reads 100 ms into a second when it writes the epoch; an assertion minted
    // in that second carries an `iat` 100 ms before it.
    const at = Math.floor(Date.now() / 1000) * 1000 + 100;
    const c = new RedisConnection({ url: SHARED_REDIS_URL, keyPrefix: own, log, now: () => at });
    try {
      const t0 = performance.now();
      await waitFor(() => (c.client.status === 'ready' ? true : undefined), 5_000, 5);
      // Connected and checked, but the epoch's second still runs: not ready.
      await new Promise((r) => setTimeout(r, 300));
      expect(c.health()).toMatchObject({ ok: false });
      await waitFor(() => (c.health().ok ? true : undefined), 5_000, 5);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(900 - 5);
    } finally {
      await c.close();
      await deleteKeys(SHARED_REDIS_URL, own);
    }
  });
});
