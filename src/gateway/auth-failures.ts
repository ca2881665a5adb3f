import { isIPv6 } from 'node:net';
import { LRUCache } from 'lru-cache';

/**
 * Failed authentications per client, in fixed one-minute windows, for the brute-force lock-out
 * (issue 13 item 11). Bounded: at most `maxClients` clients are tracked, least recently seen
 * dropped first, so a flood from many addresses costs a fixed amount of memory instead of one
 * record and one timer per address for a minute (rate-limiter-flexible's in-memory store had no
 * cap). An IPv6 client is its /64: one host usually holds the whole prefix, so counting each of
 * its 2^64 addresses apart would both unbound the map and never lock it out.
 *
 * Dropping a client forgets its count, so a locked client could be let back in early by someone
 * who makes `maxClients` other clients fail meanwhile; that needs as many addresses as the cap,
 * each of which has its own budget anyway.
 */
export class AuthFailures {
  readonly #perWindow: number;
  readonly #windowMs: number;
  readonly #clients: LRUCache<string, { count: number; windowEnd: number }>;

  constructor(o: { perWindow: number; windowMs?: number; maxClients?: number }) {
    this.#perWindow = o.perWindow;
    this.#windowMs = o.windowMs ?? 60_000;
    this.#clients = new LRUCache({ max: o.maxClients ?? 50_000 });
  }

  /** Milliseconds until the client may try again, or 0 when it is not locked out. `address` may be clientOf()'s already. */
  lockedFor(address: string, now: number): number {
    const c = this.#clients.get(clientOf(address));
    if (c === undefined || c.windowEnd <= now || c.count < this.#perWindow) return 0;
    return c.windowEnd - now;
  }

  failed(address: string, now: number): void {
    const key = clientOf(address);
    const c = this.#clients.get(key);
    if (c === undefined || c.windowEnd <= now) this.#clients.set(key, { count: 1, windowEnd: now + this.#windowMs });
    else c.count++;
  }

  /** Clients tracked now (bounded by maxClients). */
  get size(): number {
    return this.#clients.size;
  }
}

/** The unit a lock-out applies to: an IPv4 address, or an IPv6 /64 (IPv4-mapped IPv6 is IPv4). */
export function clientOf(address: string): string {
  // An IPv4 address (every request on a loopback or IPv4 listener): no pattern to run.
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.toLowerCase().split('%')[0]!.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
