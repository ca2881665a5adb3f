import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A loopback port that was free a moment ago (for servers that must know each other's URLs up front).
 *
 * Chosen below the kernel's ephemeral range: a port that listen(0) handed out and released can be
 * taken again at once by any outgoing connection of a parallel test file (seen in CI as
 * EADDRINUSE). Ports below that range are only ever taken by someone who asks for them by number,
 * so a random one, checked free here and never handed out twice by this process, stays free.
 */
const given = new Set<number>();

function belowEphemeral(): { lo: number; hi: number } | undefined {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 12_000) return { lo: 10_000, hi: Math.min(low, 65_536) - 1 };
  } catch {
    /* not Linux: fall back to the kernel's choice */
  }
  return undefined;
}

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => {
      const got = (s.address() as { port: number }).port;
      s.close(() => resolve(got));
    });
  });
}

export async function freePort(): Promise<number> {
  const range = belowEphemeral();
  for (let i = 0; range !== undefined && i < 200; i++) {
    const p = range.lo + Math.floor(Math.random() * (range.hi - range.lo + 1));
    if (given.has(p)) continue;
    if ((await tryListen(p)) === p) {
      given.add(p);
      return p;
    }
  }
  const p = await tryListen(0);
  if (p === undefined) throw new Error('no free loopback port');
  given.add(p);
  return p;
}
