import type { Redis } from 'ioredis';
import type { ReplayCache } from './replay-cache.ts';

/**
 * Replay cache shared by every instance of an actuator: `SET <prefix><jti> 1 NX PXAT <expiresAt>`
 * is atomic, so two instances given the same receipt cannot both accept it. The caller owns the
 * ioredis client (connection, auth, TLS) and closes it.
 */
export class RedisReplayCache implements ReplayCache {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: { prefix?: string } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'af:receipt:jti:';
  }

  async claim(jti: string, expiresAt: number): Promise<boolean> {
    const reply = await this.#redis.set(this.#prefix + jti, '1', 'PXAT', Math.ceil(expiresAt), 'NX');
    return reply === 'OK';
  }
}
