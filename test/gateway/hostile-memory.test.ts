/**
 * Issue 13 item 11: memory under hostile load. A hostile-request loop (bench/hostile-load.ts: bad
 * tokens, strangers' assertions, replays, bad bodies, unknown routes, dropped event streams, fresh
 * idempotency keys, from thousands of loopback addresses) against a real gateway on loopback; the
 * per-client state it could grow is counted, not timed or weighed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileLoad } from '../../bench/hostile-load.ts';
import { AuthFailures, clientOf } from '../../src/gateway/auth-failures.ts';
import { JtiCache } from '../../src/gateway/jti-cache.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

const CLIENT_CAP = 500;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { RATE_AUTH_FAILURE_CLIENTS: String(CLIENT_CAP), RATE_AGENT_PER_SEC: '100000', RATE_LOW_PER_MIN: '10000000' } });
});
afterAll(async () => {
  await h.close();
});

/** Distinct metric series (name + labels) the gateway exposes. */
async function series(): Promise<Set<string>> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  return new Set(text.split('\n').filter((l) => l.startsWith('af_') && !/^af_(process|nodejs)_/.test(l)).map((l) => l.replace(/ [^ ]+$/, '')));
}

describe('per-client state stays bounded under hostile load (real gateway on loopback)', () => {
  it('auth failures from 1,800 addresses: at most the cap is tracked, and the lock-out still works', async () => {
    const agent = { id: 'agent-1', key: h.agentKey };
    await hostileLoad({ url: h.url, agent, addresses: 50 }, 450); // every kind of request once before counting
    const before = await series();
    const r = await hostileLoad({ url: h.url, agent, addresses: 1800 }, 1800);
    expect(r.byStatus['500'] ?? 0).toBe(0);
    expect(r.byStatus['401']).toBeGreaterThan(CLIENT_CAP * 2);
    const tracked = h.gw.ctx.limits.authFailureClients;
    expect(tracked).toBeGreaterThan(CLIENT_CAP / 2); // the structure is in use…
    expect(tracked).toBeLessThanOrEqual(CLIENT_CAP); // …and capped, not one entry per address

    // No metric label takes a value from the request: the same series after 1,800 new keys.
    expect([...(await series())].filter((s) => !before.has(s))).toEqual([]);

    // The lock-out still applies to an address that keeps failing.
    let last = 0;
    for (let i = 0; i < 31; i++) {
      last = (await fetch(`${h.url}/v1/actions/act_x`, { headers: { authorization: 'Bearer nope' } })).status;
    }
    expect(last).toBe(429);
  });

  it('the replay cache stays bounded by the live assertion ids (however long they are), and refuses replays', () => {
    const cache = new JtiCache(1000);
    let now = 0;
    for (let i = 0; i < 20_000; i++) {
      now += 10; // 100 new ids a second, each valid for 3 s: about 300 live at any time
      expect(cache.use(`agent\n${'j'.repeat(180)}${i}`, now + 3000, now)).toBe(true);
      expect(cache.size).toBeLessThanOrEqual(1000);
    }
    expect(cache.size).toBeGreaterThan(0);
    expect(cache.use(`agent\n${'j'.repeat(180)}19999`, now + 3000, now)).toBe(false); // a replay
  });

  it('a full replay cache fails closed rather than forget a live id', () => {
    const cache = new JtiCache(100);
    for (let i = 0; i < 100; i++) expect(cache.use(`a\n${i}`, 60_000, 0)).toBe(true);
    expect(cache.use('a\nnew', 60_000, 5000)).toBe(false);
    expect(cache.use('a\n5', 60_000, 5000)).toBe(false);
    expect(cache.use('a\nnew', 120_000, 61_000)).toBe(true); // once they expire, room again
  });
});

describe('auth failures are counted per client: an IPv4 address or an IPv6 /64', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:0000::9', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('%s → %s', (address, client) => {
    expect(clientOf(address)).toBe(client);
  });

  it('an IPv6 host rotating through its /64 is locked out like one address; windows end', () => {
    const f = new AuthFailures({ perWindow: 3, windowMs: 60_000, maxClients: 10 });
    for (let i = 1; i <= 3; i++) f.failed(`2001:db8:1:2::${i.toString(16)}`, 1000);
    expect(f.lockedFor('2001:db8:1:2:ffff::7', 2000)).toBe(59_000);
    expect(f.lockedFor('2001:db8:1:3::1', 2000)).toBe(0);
    expect(f.lockedFor('2001:db8:1:2::1', 61_000)).toBe(0);
    for (let i = 0; i < 100; i++) f.failed(`10.0.0.${i}`, 1000);
    expect(f.size).toBe(10);
  });
});
