import type { SessionRecord, SessionRegistry } from '../../gateway/ports/session-registry.ts';
import { RedisStateError, type RedisConnection } from './redis-connection.ts';

/**
 * Opens a session unless its agent holds `max` live ones. KEYS: session hash, the agent's live set
 * (a sorted set of session ids scored by expiry). ARGV: now, max, ttl ms, expiresAt, id, agent,
 * createdAt. Expired members leave the set first; revoked ones left it when revoked.
 */
const OPEN_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'agent', ARGV[6], 'createdAt', ARGV[7], 'expiresAt', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return 1
`;

/** Marks a session revoked (first revocation wins) without re-creating one that expired. KEYS: session, agent set. ARGV: at, id. */
const REVOKE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSETNX', KEYS[1], 'revokedAt', ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`;

type WithScripts = {
  afSessionOpen(...args: string[]): Promise<number>;
  afSessionRevoke(...args: string[]): Promise<number>;
};

/**
 * Agent sessions shared by the replicas: a session opened on one replica signs requests to any
 * (each derives its key from the id through the HSM), a revocation holds everywhere, and the
 * per-agent limit counts across replicas. A session is a hash that expires with the session.
 */
export class RedisSessionRegistry implements SessionRegistry {
  readonly #c: RedisConnection;
  readonly #prefix: string;

  constructor(c: RedisConnection) {
    this.#c = c;
    this.#prefix = `${c.keyPrefix}session:`;
    c.client.defineCommand('afSessionOpen', { numberOfKeys: 2, lua: OPEN_SCRIPT });
    c.client.defineCommand('afSessionRevoke', { numberOfKeys: 2, lua: REVOKE_SCRIPT });
  }

  async open(r: SessionRecord, maxPerAgent: number, now: number): Promise<boolean> {
    const ttl = Math.max(1, r.expiresAt - now);
    const done = await this.#call(() => this.#scripts.afSessionOpen(this.#key(r.id), this.#agentKey(r.agent), String(now), String(maxPerAgent), String(ttl), String(r.expiresAt), r.id, r.agent, String(r.createdAt)));
    return done === 1;
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const h = await this.#call(() => this.#c.client.hgetall(this.#key(id)));
    if (h['agent'] === undefined || h['expiresAt'] === undefined || h['createdAt'] === undefined) return undefined;
    return { id, agent: h['agent'], createdAt: Number(h['createdAt']), expiresAt: Number(h['expiresAt']), revokedAt: h['revokedAt'] === undefined ? null : Number(h['revokedAt']) };
  }

  async revoke(id: string, at: number): Promise<SessionRecord | undefined> {
    const s = await this.get(id);
    if (s === undefined) return undefined;
    await this.#call(() => this.#scripts.afSessionRevoke(this.#key(id), this.#agentKey(s.agent), String(at), id));
    return this.get(id);
  }

  get #scripts(): WithScripts {
    return this.#c.client as unknown as WithScripts;
  }

  #key(id: string): string {
    return this.#prefix + id;
  }

  #agentKey(agent: string): string {
    return `${this.#c.keyPrefix}agent-sessions:${agent}`;
  }

  async #call<T>(f: () => Promise<T>): Promise<T> {
    this.#c.assertUsable();
    try {
      return await f();
    } catch (cause) {
      throw new RedisStateError('REDIS_UNAVAILABLE', 'redis did not answer for the session registry', cause);
    }
  }
}
