import type { Logger } from 'pino';
import type { SharedState } from '../../gateway/ports/shared-state.ts';
import { RedisConnection } from './redis-connection.ts';
import { RedisRateCounters } from './redis-rate-counters.ts';
import { RedisReplayCache } from './redis-replay-cache.ts';
import { RedisSessionRegistry } from './redis-session-registry.ts';
import { RedisStatusFeed } from './redis-status-feed.ts';

/**
 * The replicas' shared state on one Redis server (REDIS_URL). Returns at once: the connection is
 * made in the background and remade whenever it drops; until it is up the gateway is not ready,
 * rate limits fall back to this replica's memory, and everything else that needs Redis is refused.
 */
export function openRedisSharedState(o: { url: string; keyPrefix: string; log: Logger; now: () => number }): SharedState {
  const c = new RedisConnection(o);
  const feed = new RedisStatusFeed(c, o.log);
  return {
    assertions: new RedisReplayCache(c, 'jti'),
    nonces: new RedisReplayCache(c, 'nonce'),
    sessions: new RedisSessionRegistry(c),
    counters: new RedisRateCounters(c),
    feed,
    health: () => c.health(),
    async close() {
      await feed.close();
      await c.close();
    },
  };
}
