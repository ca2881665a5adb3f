import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A loopback port that was free a moment ago (for servers that must know each other's URLs up front).
 *
 * Chosen below the kernel's ephemeral range: a port that listen(0) handed out and released can be
 * taken again at once by any outgoing connection of a parallel test file (seen in CI as
 * EADDRINUSE). Ports below that range are only ever taken by someone who asks for them by number:
 * here, the test files. Each vitest worker (VITEST_POOL_ID, 1 to maxWorkers) draws from a slice of
 * that range of its own, so two files running at once cannot pick the same port, one between the
 * other's check and its server's bind (a clean-clone run saw the README tour's gateway find its
 * example MCP port taken that way); within a worker a port is never handed out twice. A process
 * outside vitest (the benchmarks, which may run beside a test run) takes the last slice, which no
 * worker of this suite reaches (its maxWorkers is far below SLICES).
 */
const given = new Set<number>();

/**
 * The Fetch standard's "bad ports" at or above this range's floor (10,000): Node's fetch, the MCP
 * SDK's transport and Chromium all refuse a URL on them with "bad port" (https://fetch.spec.whatwg.org/#port-blocking).
 * Handed out once, it failed two suites of a CI run before any request reached a server.
 */
const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([10080]);

/** Slices of the range: more than any maxWorkers this suite uses, each still about 1,400 ports. */
const SLICES = 16;

function belowEphemeral(): { lo: number; hi: number } | undefined {
  let low: number;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return undefined; // not Linux: fall back to the kernel's choice
  }
  if (!Number.isInteger(low) || low <= 12_000) return undefined;
  const lo = 10_000;
  const hi = Math.min(low, 65_536) - 1;
  const pool = Number(process.env['VITEST_POOL_ID']);
  const worker = Number.isInteger(pool) && pool >= 1 ? pool : SLICES;
  // A second test run beside the first (another checkout) sets FREE_PORT_SLICE_OFFSET to draw from other slices.
  const offset = Number(process.env['FREE_PORT_SLICE_OFFSET'] ?? 0);
  const width = Math.floor((hi - lo + 1) / SLICES);
  const slice = (worker - 1 + (Number.isInteger(offset) && offset > 0 ? offset : 0)) % SLICES;
  return { lo: lo + slice * width, hi: lo + (slice + 1) * width - 1 };
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

/** The range this process draws from (exported for its test). */
export function portRange(): { lo: number; hi: number } | undefined {
  return belowEphemeral();
}

export async function freePort(): Promise<number> {
  const range = belowEphemeral();
  for (let i = 0; range !== undefined && i < 200; i++) {
    const p = range.lo + Math.floor(Math.random() * (range.hi - range.lo + 1));
    if (given.has(p) || FETCH_BAD_PORTS.has(p)) continue;
    // Reserved before the check, so calls in flight together cannot both take it.
    given.add(p);
    if ((await tryListen(p)) === p) return p;
    given.delete(p);
  }
  const p = await tryListen(0);
  if (p === undefined) throw new Error('no free loopback port');
  given.add(p);
  return p;
}
