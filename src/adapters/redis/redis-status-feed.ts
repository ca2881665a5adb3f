import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ACTION_STATUSES, type ActionStatus } from '../../core/action/status.ts';
import { TIERS, type Tier } from '../../core/tier.ts';
import type { StatusChange, StatusFeed } from '../../gateway/ports/status-feed.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * Status changes over Redis pub/sub, on the channel `<prefix>status` (docs/architecture.md
 * §Several replicas). Each message is JSON, one of:
 *
 *   {"v":1,"o":"<replica>","id":"act_…","s":"<status>","t":"<tier>"}   a committed change
 *   {"v":1,"o":"<replica>","gap":true}                                   "I may have failed to tell you something"
 *
 * Pub/sub delivers at most once and only to connected subscribers, so gaps are reported twice
 * over: a replica reports one to itself each time its subscription is confirmed (again),
 * and a replica that failed to publish announces one as soon as it can. Anything unreadable
 * counts as a gap too (another version during an upgrade, say): re-reading is always safe.
 */
export class RedisStatusFeed implements StatusFeed {
  readonly #c: RedisConnection;
  readonly #channel: string;
  readonly #origin = randomUUID();
  readonly #log: Logger;
  #sub: Redis | undefined;
  #owesGap = false;
  #closed = false;

  constructor(c: RedisConnection, log: Logger) {
    this.#c = c;
    this.#channel = `${c.keyPrefix}status`;
    this.#log = log;
    c.client.on('ready', () => {
      if (this.#owesGap) this.#send({ v: 1, o: this.#origin, gap: true }, true);
    });
  }

  publish(change: StatusChange): void {
    if (this.#owesGap) this.#send({ v: 1, o: this.#origin, gap: true }, true);
    this.#send({ v: 1, o: this.#origin, id: change.id, s: change.status, t: change.tier }, false);
  }

  async start(h: { change(c: StatusChange): void; gap(): void }): Promise<void> {
    const sub = (this.#sub = this.#c.subscriber());
    sub.on('message', (channel: string, raw: string) => {
      if (channel !== this.#channel) return;
      const m = parse(raw);
      if (m === 'gap') return h.gap();
      if (m.origin === this.#origin) return;
      if (m.change === undefined) h.gap();
      else h.change(m.change);
    });
    // Subscribed (again): what was published while not subscribed is lost, so re-read — also the
    // first time, since the gateway may already serve long-polls by then. Only once the server has
    // confirmed the subscription: re-reading earlier could miss a change published between the
    // read and the subscription.
    sub.on('ready', () => {
      sub.subscribe(this.#channel).then(
        () => h.gap(),
        (e: unknown) => {
          this.#log.warn({ err: (e as Error).message }, 'could not subscribe to status changes; retrying on reconnection');
          if (!this.#closed) sub.disconnect(true);
        },
      );
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #send(m: Record<string, unknown>, isGap: boolean): void {
    if (isGap) this.#owesGap = false;
    this.#c.client.publish(this.#channel, JSON.stringify(m)).catch(() => {
      this.#owesGap = true;
    });
  }
}

function parse(raw: string): 'gap' | { origin: string; change?: StatusChange } {
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return 'gap';
  }
  if (typeof m !== 'object' || m === null) return 'gap';
  const r = m as Record<string, unknown>;
  if (r['v'] !== 1 || typeof r['o'] !== 'string') return 'gap';
  if (r['gap'] === true) return { origin: r['o'] };
  if (typeof r['id'] !== 'string' || !(ACTION_STATUSES as readonly unknown[]).includes(r['s']) || !(TIERS as readonly unknown[]).includes(r['t'])) return 'gap';
  return { origin: r['o'], change: { id: r['id'], status: r['s'] as ActionStatus, tier: r['t'] as Tier } };
}
