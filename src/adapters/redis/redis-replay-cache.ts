import { createHash } from 'node:crypto';
import type { ReplayCache, ReplayOutcome } from '../../gateway/ports/replay-cache.ts';
import { RedisStateError, type RedisConnection } from './redis-connection.ts';

/**
 * One script, so the epoch check and the claim are atomic: an id is refused as 'forgotten' when it
 * was issued before the server's epoch (KEYS[1]; missing means the server lost its data just now,
 * and the epoch restarts here), else claimed with SET NX PX. No slack: `iat` is whole seconds, so
 * an assertion whose second began before the epoch may have been used before the loss; it is
 * refused (the client mints another), never accepted twice.
 * KEYS: epoch, id. ARGV: ttl ms, now ms, issuedAt ms. Returns 1 fresh, 0 reused, 2 forgotten.
 */
const USE_SCRIPT = `
local since = redis.call('GET', KEYS[1])
if not since then
  redis.call('SET', KEYS[1], ARGV[2])
  since = ARGV[2]
end
if tonumber(ARGV[3]) < tonumber(since) then return 2 end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
`;

type WithUse = { afReplayUse(epoch: string, key: string, ttlMs: string, now: string, issuedAt: string): Promise<number> };

/**
 * Single-use ids shared by the replicas (client-assertion jtis, request-signature nonces): an id
 * used on one replica is refused on every other. Ids are stored as 128-bit digests under
 * `<prefix><namespace>:`, each expiring with its credential (a relative TTL, so the server's clock
 * does not matter). Never 'full': the server's memory is the bound, and a server that cannot take
 * a write (out of memory, evicting, gone) makes `use` reject, which the gateway answers with 503.
 */
export class RedisReplayCache implements ReplayCache {
  readonly #c: RedisConnection;
  readonly #prefix: string;

  constructor(c: RedisConnection, namespace: string) {
    this.#c = c;
    this.#prefix = `${c.keyPrefix}${namespace}:`;
    if (!('afReplayUse' in c.client)) c.client.defineCommand('afReplayUse', { numberOfKeys: 2, lua: USE_SCRIPT });
  }

  async use(key: string, times: { issuedAt: number; expiresAt: number }, now: number): Promise<ReplayOutcome> {
    this.#c.assertUsable();
    const id = this.#prefix + createHash('sha256').update(key).digest('base64url').slice(0, 22);
    const ttl = Math.max(1, Math.ceil(times.expiresAt - now));
    let r: number;
    try {
      r = await (this.#c.client as unknown as WithUse).afReplayUse(this.#c.epochKey, id, String(ttl), String(Math.floor(now)), String(Math.floor(times.issuedAt)));
    } catch (cause) {
      throw new RedisStateError('REDIS_UNAVAILABLE', 'redis did not answer the replay check', cause);
    }
    return r === 1 ? 'fresh' : r === 2 ? 'forgotten' : 'reused';
  }
}
