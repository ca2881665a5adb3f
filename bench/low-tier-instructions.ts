/**
 * Instructions per LOW action, counted by callgrind: a figure the other load on a shared machine
 * does not change (CPU time does: caches, frequency, hyper-threads). Not part of `npm run bench`
 * (a gateway under valgrind runs about 50× slower): run it to judge a change to the LOW path,
 *
 *   npm run bench:instructions -- [REQUESTS] [CONNECTIONS]
 *
 * The gateway and the bare proxy each run under `valgrind --tool=callgrind`; each gets the same
 * warm-up, then its counters are zeroed, REQUESTS requests are sent with CONNECTIONS in flight,
 * and the counters are dumped. Counted: every thread of that process (the gateway's WAL checkpoint
 * worker too), not hsm-sim or the upstream. An idle interval is counted too (per second), so the
 * share of timers that run whatever the load (checkpoints, the HSM audit-head copy) can be told
 * apart: under valgrind a run lasts minutes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { BARE_PATH, LOW_PATH, startBenchSetup } from './gateway-setup.ts';

const REQUESTS = Number(process.argv[2] ?? 2000);
const CONNECTIONS = Number(process.argv[3] ?? 32);

/**
 * Sends `n` GETs with `connections` in flight; resolves with how many were answered 2xx. A request
 * that fails in transport (a keep-alive connection the server closed as it was reused: timings
 * under valgrind are far from the usual) is counted as not answered, not retried.
 */
async function send(url: string, path: string, n: number, connections: number, headers?: () => Record<string, string>): Promise<number> {
  const u = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let left = n;
  let ok = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request({ agent, host: u.hostname, port: u.port, method: 'GET', path, headers: headers?.() ?? {} }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (res.statusCode !== undefined && res.statusCode < 300) ok++;
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (left > 0) {
        left--;
        await one();
      }
    }),
  );
  agent.destroy();
  return ok;
}

/** Instructions (Ir) in the newest callgrind dump of `pid` in `dir`. */
function dumpedInstructions(dir: string, pid: number): number {
  execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
  const mine = readdirSync(dir)
    .filter((f) => f.startsWith(`cg.${pid}`))
    .map((f) => ({ f, n: Number(f.split('.')[2] ?? 0) }))
    .sort((a, b) => b.n - a.n);
  const text = readFileSync(join(dir, mine[0]!.f), 'utf8');
  const m = /^(?:summary|totals):\s+(\d+)/m.exec(text);
  if (m === null) throw new Error(`no totals in ${mine[0]!.f}`);
  return Number(m[1]);
}

/** Counts only while `run` runs: instrumentation is off otherwise (start-up and warm-up run several times faster). */
async function measure(dir: string, pid: number, run: () => Promise<number>): Promise<{ instructions: number; ok: number; ms: number }> {
  execFileSync('callgrind_control', ['-i', 'on', String(pid)], { stdio: 'ignore' });
  execFileSync('callgrind_control', ['-z', String(pid)], { stdio: 'ignore' });
  const t0 = Date.now();
  const ok = await run();
  const ms = Date.now() - t0;
  const instructions = dumpedInstructions(dir, pid);
  execFileSync('callgrind_control', ['-i', 'off', String(pid)], { stdio: 'ignore' });
  return { instructions, ok, ms };
}

const out = join(process.env['TMPDIR'] ?? '/tmp', `af-callgrind-${process.pid}`);
mkdirSync(out, { recursive: true });
const setup = await startBenchSetup({
  wrap: ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${join(out, 'cg.%p')}`],
  readyTimeoutMs: 600_000,
});
try {
  const gwPid = setup.gw.pid!;
  const barePid = setup.bare.pid!;
  const warm = Math.max(2000, REQUESTS);
  // A session lives 15 minutes, less than a run under valgrind: one for the warm-up, one for the count.
  await send(setup.gwUrl, LOW_PATH, warm, CONNECTIONS, await setup.openSession());
  const low = await measure(out, gwPid, async () => send(setup.gwUrl, LOW_PATH, REQUESTS, CONNECTIONS, await setup.openSession()));
  // What the gateway's timers cost with no load (WAL checkpoints, the HSM audit-head copy), per second.
  const idle = await measure(out, gwPid, () => new Promise((r) => setTimeout(() => r(0), 20_000)));
  await send(setup.bareUrl, BARE_PATH, warm, CONNECTIONS);
  const bare = await measure(out, barePid, () => send(setup.bareUrl, BARE_PATH, REQUESTS, CONNECTIONS));
  const figures = {
    requests: REQUESTS,
    connections: CONNECTIONS,
    bare_proxy_instructions_per_request: Math.round(bare.instructions / bare.ok),
    low_tier_gateway_instructions_per_action: Math.round(low.instructions / low.ok),
    low_tier_gateway_idle_instructions_per_s: Math.round(idle.instructions / (idle.ms / 1000)),
    low_tier_gateway_run_s: Number((low.ms / 1000).toFixed(1)),
    low_tier_instruction_ratio: Number((low.instructions / bare.instructions).toFixed(2)),
    answered_2xx: `${low.ok}/${REQUESTS} gateway, ${bare.ok}/${REQUESTS} bare`,
  };
  process.stdout.write(JSON.stringify(figures, null, 2) + '\n');
} finally {
  await setup.close();
}
