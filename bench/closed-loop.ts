import { Agent, request } from 'node:http';

export interface ClosedLoopResult {
  total: number;
  ok: number;
  rps: number;
  p50Us: number;
  p99Us: number;
}

/**
 * A closed-loop HTTP client with microsecond latency resolution (autocannon's histogram counts
 * whole milliseconds, too coarse for a sub-millisecond p99): `connections` keep-alive connections,
 * each sending its next request when the previous answer has been read, for `durationS` seconds.
 */
export async function closedLoop(o: { url: string; path: string; durationS: number; connections: number; headers?: () => Record<string, string> }): Promise<ClosedLoopResult> {
  const u = new URL(o.url);
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections });
  const latencies: number[] = [];
  let ok = 0;
  const started = process.hrtime.bigint();
  const end = started + BigInt(Math.round(o.durationS * 1e9));
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const req = request({ agent, host: u.hostname, port: u.port, method: 'GET', path: o.path, headers: o.headers?.() ?? {} }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
          if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) ok++;
          resolve();
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      while (process.hrtime.bigint() < end) await one();
    }),
  );
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { total: latencies.length, ok, rps: latencies.length / elapsedS, p50Us: at(0.5), p99Us: at(0.99) };
}
