import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { FirewallError } from '../../core/errors.ts';

/**
 * The adapters' one error. Codes: REDIS_UNAVAILABLE (not connected, a command failed or timed
 * out); REDIS_EVICTS_KEYS (the server may drop keys under memory pressure, so a replay cache on
 * it could forget an id it was given). The gateway refuses what depended on the answer.
 */
export type RedisErrorCode = 'REDIS_UNAVAILABLE' | 'REDIS_EVICTS_KEYS';

export class RedisStateError extends FirewallError {
  declare readonly code: RedisErrorCode;

  constructor(code: RedisErrorCode, message: string, cause?: unknown) {
    super(code, message, { status: 503, ...(cause === undefined ? {} : { cause }) });
    this.name = 'RedisStateError';
  }
}

/** How long a command may take before it counts as failed: a hung server must not hang requests. */
const COMMAND_TIMEOUT_MS = 1000;

/**
 * The connection the Redis adapters share, and what they need to know about the server before
 * trusting it: that it is connected, that it will not evict keys, and since when it remembers
 * every replay id (its `epoch` key, written by the first replica to reach it; a server that lost
 * its data has lost that key too).
 *
 * Commands fail fast instead of queueing while disconnected (no offline queue, a 1 s command
 * timeout): every caller has an answer for "Redis cannot say" (fall back or refuse), and none is
 * helped by waiting.
 */
export class RedisConnection {
  readonly client: Redis;
  readonly keyPrefix: string;
  readonly #url: string;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #subscribers: Redis[] = [];
  /** Set on each 'ready' once the server's eviction policy and epoch are checked. */
  #checked = false;
  #evicting: string | undefined;
  #lostLogged = false;
  #errorLogged = false;

  constructor(o: { url: string; keyPrefix: string; log: Logger; now: () => number }) {
    this.#url = o.url;
    this.keyPrefix = o.keyPrefix;
    this.#log = o.log;
    this.#now = o.now;
    this.client = new Redis(o.url, this.#options('commands'));
    this.client.on('ready', () => void this.#check());
    // Each failed reconnection is an 'error' event: the first of a series is worth a warning (a
    // wrong password or host says so here), the rest only repeat it. ioredis's messages name the
    // host and port, never the password.
    this.client.on('error', (e: Error) => {
      if (this.#errorLogged) this.#log.debug({ err: e.message }, 'redis connection error');
      else this.#log.warn({ err: e.message }, 'redis connection error; retrying');
      this.#errorLogged = true;
    });
    this.client.on('close', () => {
      this.#checked = false;
      if (!this.#lostLogged) this.#log.warn('redis connection lost; what needs it is refused or falls back until it returns');
      this.#lostLogged = true;
    });
  }

  /** A second connection in subscriber mode (pub/sub needs its own); closed with this one. */
  subscriber(): Redis {
    const s = new Redis(this.#url, { ...this.#options('subscriber'), autoResubscribe: false });
    s.on('error', (e: Error) => this.#log.debug({ err: e.message }, 'redis subscriber connection error'));
    this.#subscribers.push(s);
    return s;
  }

  /** Usable for commands whose answer must be trusted (replay checks, sessions)? Throws why not. */
  assertUsable(): void {
    if (this.client.status !== 'ready' || !this.#checked) throw new RedisStateError('REDIS_UNAVAILABLE', 'redis is not connected');
    if (this.#evicting !== undefined) throw new RedisStateError('REDIS_EVICTS_KEYS', `redis may evict keys (maxmemory-policy ${this.#evicting}); the gateway needs noeviction`);
  }

  health(): { ok: boolean; reason?: string } {
    try {
      this.assertUsable();
      for (const s of this.#subscribers) if (s.status !== 'ready') return { ok: false, reason: 'redis subscriber is not connected' };
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  }

  /** The key that says since when (ms, gateway clock) the replay caches remember every id. */
  get epochKey(): string {
    return `${this.keyPrefix}epoch`;
  }

  async close(): Promise<void> {
    for (const c of [...this.#subscribers, this.client]) {
      // quit() waits for a reply the server may never send when it is gone: disconnect then.
      if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
      else c.disconnect();
    }
  }

  #options(name: string): RedisOptions {
    return {
      connectionName: `analog-firewall-${name}`,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      // Reconnect for ever, backing off to 1 s: the gateway is not ready until it is back.
      retryStrategy: (times) => Math.min(50 * times, 1000),
    };
  }

  async #check(): Promise<void> {
    try {
      this.#evicting = await this.#evictionPolicy();
      // The first replica to reach an empty server says that from now on every id is remembered.
      await this.client.set(this.epochKey, String(this.#now()), 'NX');
      // Assertions carry `iat` in whole seconds, and one whose second began before the epoch is
      // refused (REPLAY_CACHE_RESTARTED): ready only once the epoch's second has ended, so that a
      // client that mints an assertion when it sees the gateway ready is not refused for it.
      const epoch = Number(await this.client.get(this.epochKey));
      const wait = Math.ceil(epoch / 1000) * 1000 - this.#now();
      if (Number.isFinite(wait) && wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
      this.#checked = this.client.status === 'ready';
      this.#errorLogged = false;
      if (this.#lostLogged) this.#log.info('redis connection restored');
      this.#lostLogged = false;
      if (this.#evicting !== undefined) this.#log.error({ policy: this.#evicting }, 'redis may evict keys under memory pressure: replay checks are refused until maxmemory-policy is noeviction');
    } catch (e) {
      this.#log.warn({ err: (e as Error).message }, 'redis connected but could not be checked; retrying');
      setTimeout(() => void (this.client.status === 'ready' ? this.#check() : undefined), 500).unref();
    }
  }

  /** The policy when keys may be evicted, undefined when they may not (or CONFIG is not allowed). */
  async #evictionPolicy(): Promise<string | undefined> {
    let reply: unknown;
    try {
      reply = await this.client.config('GET', 'maxmemory*');
    } catch {
      return undefined; // managed servers often forbid CONFIG; docs/architecture.md says what to set
    }
    const pairs = reply as string[];
    const get = (k: string) => pairs[pairs.indexOf(k) + 1];
    const policy = get('maxmemory-policy');
    return policy !== undefined && policy !== 'noeviction' && Number(get('maxmemory') ?? '0') > 0 ? policy : undefined;
  }
}
