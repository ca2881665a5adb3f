import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import autocannon, { type Request as CannonRequest } from 'autocannon';
import { closedLoop } from './closed-loop.ts';
import { signWithSession } from '../clients/agent/session-signature.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { BARE_PATH, LOW_PATH, ROOT, startBenchSetup } from './gateway-setup.ts';
import { measureLowTierFloor, ratioCeiling } from './low-tier-floor.ts';

const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);

/** CPU time (ms) of a process and of its main thread, from /proc: robust to other load on the machine. */
function cpuMs(pid: number): { process: number; main: number; system: number } {
  const fields = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = (stat: string) => {
    const f = fields(stat);
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  };
  const hz = 100; // USER_HZ on Linux
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return {
    process: (ticks(stat) * 1000) / hz,
    main: (ticks(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')) * 1000) / hz,
    // In the kernel on the process's behalf (stime): system calls for the disk, sockets and timers.
    system: (Number(fields(stat)[12]) * 1000) / hz,
  };
}

/** Busy CPU time (ms) of the whole machine, all cores, from /proc/stat (everything but idle and iowait). */
function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  return ((user + nice + system + irq + softirq + steal) * 1000) / 100; // USER_HZ 100; idle, iowait excluded
}

/** Bytes a process has sent to storage (WAL, database file, checkpoints), from /proc: independent of other load. */
function diskWrittenBytes(pid: number): number {
  return Number(/^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/**
 * The stripped LOW gateway of bench/low-tier-lean.ts, on its own data directory, with a session of
 * its own, recording with its own lean layout, the same on a worker thread (`store: 'worker'`), or
 * (`store: 'gateway'`) with the gateway's store and services, also on a worker thread
 * (`store: 'gateway-worker'`). Loaded as the gateway is, then stopped; returns its run, its CPU per action and how many
 * `action.passed` entries it logged.
 */
async function runLean(upstreamUrl: string, dir: string, store: 'lean' | 'worker' | 'gateway' | 'gateway-worker'): Promise<{ run: Awaited<ReturnType<typeof load>>; cpuUs: number; mainUs: number; machineUs: number; logged: number }> {
  const port = await freePort();
  const data = join(dir, `lean-${store}`);
  mkdirSync(data, { recursive: true });
  const sessionId = 'lean-session';
  const key = randomBytes(32);
  const child = fork(join(ROOT, 'bench/low-tier-lean.ts'), [String(port), upstreamUrl, data, sessionId, key.toString('base64url')], {
    stdio: 'inherit',
    execArgv: ['--max-semi-space-size=12'],
    env: { ...process.env, LEAN_STORE: store },
  });
  try {
    await new Promise<void>((ok, fail) => {
      child.once('message', () => ok());
      child.once('exit', (code) => fail(new Error(`bench/low-tier-lean.ts exited during start-up (${code})`)));
    });
    const url = `http://127.0.0.1:${port}`;
    const signed = () => {
      const idempotencyKey = randomUUID();
      const s = signWithSession({ method: 'GET', url: url + LOW_PATH, body: undefined, idempotencyKey, sessionId, key, created: Math.floor(Date.now() / 1000) });
      return { 'idempotency-key': idempotencyKey, ...s.headers };
    };
    const pool: Record<string, string>[] = [];
    const withSigned = (req: CannonRequest): CannonRequest => ({ ...req, headers: pool.pop() ?? signed() });
    const warm = await autocannon({ url: url + LOW_PATH, connections: 8, duration: 2, requests: [{ method: 'GET' as const, path: LOW_PATH, setupRequest: withSigned }] });
    for (let i = 0; i < 6000 * DURATION_S; i++) pool.push(signed());
    const before = cpuMs(child.pid!);
    const machineBefore = machineBusyMs();
    const run = await load(url, LOW_PATH, withSigned);
    const machineUs = ((machineBusyMs() - machineBefore) * 1000) / run.total;
    const after = cpuMs(child.pid!);
    const cpuUs = ((after.process - before.process) * 1000) / run.total;
    const mainUs = ((after.main - before.main) * 1000) / run.total;
    if (run.non2xx > 0) throw new Error(`the stripped gateway (${store} store) answered ${run.non2xx} requests with errors`);
    const gatewayStore = store === 'gateway' || store === 'gateway-worker';
    const db = new DatabaseSync(join(data, gatewayStore ? 'gateway.db' : 'lean.db'), { readOnly: true });
    const count = db.prepare(!gatewayStore ? `SELECT count(*) AS n FROM log WHERE instr(body, '"type":"action.passed"') > 0` : "SELECT count(*) AS n FROM tlog_entries WHERE type = 'action.passed'");
    // As for the gateway: every answered action is logged, and so is each one autocannon cut in
    // flight at its deadline (8 in the warm-up, CONNECTIONS in the run), and nothing else. Those
    // cut in the run are still being recorded when autocannon returns: read until they are in
    // (a read right away once missed 14 of them), for at most 10 s.
    const answered = warm['2xx'] + run.ok;
    const expected = answered + 8 + CONNECTIONS;
    let logged = 0;
    for (const until = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 100))) {
      logged = Number((count.get() as { n: number }).n);
      if (logged >= expected || Date.now() > until) break;
    }
    db.close();
    if (logged !== expected) throw new Error(`the stripped gateway (${store} store) logged ${logged} actions for ${answered} answered`);
    return { run, cpuUs, mainUs, machineUs, logged };
  } finally {
    child.kill('SIGTERM');
  }
}

/**
 * One closed-loop autocannon run. `connections` requests are in flight at any moment: 32 saturates
 * either system (throughput); 1 measures what one request costs with nothing queued (latency).
 * (autocannon's rate options are per-second quotas that each connection spends back to back, so a
 * "fixed rate" run is a burst at every second's start, not a paced load: they are not used.)
 */
export async function load(url: string, path: string, setup?: (req: CannonRequest) => CannonRequest, connections = CONNECTIONS) {
  const result = await autocannon({
    url: url + path,
    connections,
    duration: DURATION_S,
    ...(setup === undefined ? {} : { requests: [{ method: 'GET' as const, path, setupRequest: setup }] }),
  });
  const non2xx = result.non2xx + result.errors + result.timeouts;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx, total: result.requests.total, ok: result['2xx'] };
}

/**
 * LOW-tier throughput and latency through the gateway versus a bare express proxy; gateway peak RSS.
 * Throughput (and the saturated p99s) with CONNECTIONS in flight. Latency with one request in
 * flight, the same for both: at saturation a p99 is mostly the queue of CONNECTIONS requests, so
 * only an unqueued p99 says what the firewall itself adds to a request.
 */
export async function benchGateway(): Promise<Record<string, number | string>> {
  const profile = process.env['BENCH_PROFILE'];
  const setup = await startBenchSetup({
    gatewayNodeFlags: [
      // Diagnostics only: BENCH_PROFILE writes a CPU profile, BENCH_NODE_FLAGS adds V8/Node flags (e.g. --trace-gc).
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      ...(process.env['BENCH_NODE_FLAGS']?.split(' ').filter(Boolean) ?? []),
    ],
  });
  try {
    const { dir, gwUrl, gw, bare: bareProxy, assertion } = setup;
    
    const path = LOW_PATH;
    // Warm both paths (JIT, connection pools, HSM key lookups).
    await autocannon({ url: setup.bareUrl + BARE_PATH, connections: 8, duration: 2 });
    // Credentials are single-use: mint them before each measured run, so the load generator's own
    // signing does not take CPU from the gateway on this 2-core machine (the bare proxy pays none).
    const pool: string[] = [];
    const refill = (n: number) => {
      for (let i = 0; i < n; i++) pool.push(assertion());
    };
    const withAssertion = (req: CannonRequest): CannonRequest => ({
      ...req,
      headers: { authorization: `Bearer ${pool.pop() ?? assertion()}`, 'idempotency-key': randomUUID() },
    });
    const signedHeaders = setup.sessionHeaders;
    const signedPool: Record<string, string>[] = [];
    const refillSigned = (n: number) => {
      signedPool.length = 0;
      for (let i = 0; i < n; i++) signedPool.push(signedHeaders());
    };
    const withSession = (req: CannonRequest): CannonRequest => ({ ...req, headers: signedPool.pop() ?? signedHeaders() });
    let answered2xx = 0;
    refill(5000);
    answered2xx += (await autocannon({ url: gwUrl + path, connections: 8, duration: 2, requests: [{ method: 'GET' as const, path, setupRequest: withAssertion }] }))['2xx'];
    refillSigned(20_000);
    answered2xx += (await autocannon({ url: gwUrl + path, connections: 8, duration: 2, requests: [{ method: 'GET' as const, path, setupRequest: withSession }] }))['2xx'];

    const bareCpuBefore = cpuMs(bareProxy.pid!);
    const machineBefore = machineBusyMs();
    const bare = await load(setup.bareUrl, BARE_PATH);
    const machineAfter = machineBusyMs();
    const bareCpuAfter = cpuMs(bareProxy.pid!);
    // Signed just before the run: `created` must stay inside the gateway's 30 s window.
    refillSigned(6000 * DURATION_S);
    const cpuBefore = cpuMs(gw.pid!);
    const diskBefore = diskWrittenBytes(gw.pid!);
    const lowMachineBefore = machineBusyMs();
    const windowStart = process.hrtime.bigint() / 1000n;
    const low = await load(gwUrl, path, withSession);
    // The saturated session run's window on the monotonic clock (µs), which --cpu-prof timestamps use: a profile can be cut to it.
    if (process.env['BENCH_PROFILE']) process.stderr.write(`bench: session run window ${windowStart}..${process.hrtime.bigint() / 1000n} us\n`);
    const cpuAfter = cpuMs(gw.pid!);
    const lowMachineAfter = machineBusyMs();
    const diskAfter = diskWrittenBytes(gw.pid!);
    refill(Math.max(0, 4000 * DURATION_S - pool.length));
    const cpuBeforeAssertion = cpuMs(gw.pid!);
    const lowAssertion = await load(gwUrl, path, withAssertion);
    const cpuAfterAssertion = cpuMs(gw.pid!);
    // The stripped gateway, on the same upstream and load: the required work alone, then with the gateway's own store.
    const lean = await runLean(setup.upstreamUrl, dir, 'lean');
    const leanWorker = await runLean(setup.upstreamUrl, dir, 'worker');
    const leanGatewayStore = await runLean(setup.upstreamUrl, dir, 'gateway');
    const leanGatewayStoreWorker = await runLean(setup.upstreamUrl, dir, 'gateway-worker');
    // One request in flight, timed to the microsecond; signed as it is sent (a few µs, the same for every request).
    const bareOne = await closedLoop({ url: setup.bareUrl, path: BARE_PATH, durationS: DURATION_S, connections: 1 });
    const lowOne = await closedLoop({ url: gwUrl, path, durationS: DURATION_S, connections: 1, headers: signedHeaders });
    answered2xx += low.ok + lowAssertion.ok + lowOne.ok;
    if (process.env['BENCH_DEBUG']) {
      const m = await (await fetch(`${gwUrl}/metrics`)).text();
      process.stderr.write(m.split('\n').filter((l) => /^af_(nodejs_heap|process_resident|nodejs_external|nodejs_heap_space_size_used)/.test(l)).join('\n') + '\n');
    }
    for (const run of [low, lowAssertion]) {
      if (run.non2xx > 0) throw new Error(`gateway answered ${run.non2xx} requests with errors during a LOW run`);
    }
    if (lowOne.ok !== lowOne.total) throw new Error(`gateway answered ${lowOne.total - lowOne.ok} requests with errors during the one-in-flight LOW run`);
    // Every answered LOW action has its one durable log entry (read from the gateway's own database).
    const db = new DatabaseSync(join(dir, 'data', 'gateway.db'), { readOnly: true });
    const logged = Number((db.prepare("SELECT count(*) AS n FROM tlog_entries WHERE type = 'action.passed'").get() as { n: number }).n);
    const executed = Number((db.prepare("SELECT count(*) AS n FROM tlog_entries WHERE type = 'action.executed'").get() as { n: number }).n);
    db.close();
    // Timed with nothing else running (the load runs are over), in this process.
    const floor = measureLowTierFloor();
    const bareMachineUs = ((machineAfter - machineBefore) * 1000) / bare.total;
    return {
      low_tier_rps: Math.round(low.rps),
      bare_proxy_rps: Math.round(bare.rps),
      low_tier_ratio: Number((low.rps / bare.rps).toFixed(3)),
      // The credential of low_tier_ratio: a session (RFC 9421 hmac-sha256 per request, docs/api.md §Sessions).
      low_tier_credential: 'session',
      low_tier_ratio_assertion: Number((lowAssertion.rps / bare.rps).toFixed(3)),
      low_tier_rps_assertion: Math.round(lowAssertion.rps),
      low_tier_p50_ms: Number((lowOne.p50Us / 1000).toFixed(3)),
      low_tier_p99_ms: Number((lowOne.p99Us / 1000).toFixed(3)),
      bare_proxy_p50_ms: Number((bareOne.p50Us / 1000).toFixed(3)),
      bare_proxy_p99_ms: Number((bareOne.p99Us / 1000).toFixed(3)),
      low_tier_added_p99_ms: Number(((lowOne.p99Us - bareOne.p99Us) / 1000).toFixed(3)),
      low_tier_p99_ms_saturated: low.p99,
      bare_proxy_p99_ms_saturated: bare.p99,
      gateway_rss_mb: Number(peakRssMb(gw.pid!).toFixed(1)),
      low_tier_answered_2xx: answered2xx,
      // autocannon stops at its deadline with every connection's request still in flight: those
      // actions are accepted, logged and executed, but their answers are not counted. So
      // logged = answered + cut, when every answered LOW action is logged once.
      low_tier_requests_cut_in_flight: 8 + 8 + 2 * CONNECTIONS,
      low_tier_actions_logged: logged,
      low_tier_actions_executed_logged: executed,
      // The stripped gateway (bench/low-tier-lean.ts): only the required work, same components, same
      // run; then the same with the gateway's store and services recording each action. Its logged
      // count (warm-up included) is checked in runLean against what it answered.
      low_tier_lean_rps: Math.round(lean.run.rps),
      low_tier_lean_ratio: Number((lean.run.rps / bare.rps).toFixed(3)),
      low_tier_lean_cpu_us_per_action: Math.round(lean.cpuUs),
      low_tier_lean_main_thread_cpu_us_per_action: Math.round(lean.mainUs),
      low_tier_lean_actions_logged: lean.logged,
      low_tier_lean_answered_2xx: lean.run.ok,
      // The same narrow record on a worker thread that owns the connection (bench/lean-record-worker.ts):
      // what taking the store's statements, entries and hashes off the event loop buys.
      low_tier_lean_worker_ratio: Number((leanWorker.run.rps / bare.rps).toFixed(3)),
      low_tier_lean_worker_cpu_us_per_action: Math.round(leanWorker.cpuUs),
      low_tier_lean_worker_main_thread_cpu_us_per_action: Math.round(leanWorker.mainUs),
      low_tier_lean_worker_machine_cpu_us_per_action: Math.round(leanWorker.machineUs),
      low_tier_lean_worker_actions_logged: leanWorker.logged,
      low_tier_lean_gateway_store_ratio: Number((leanGatewayStore.run.rps / bare.rps).toFixed(3)),
      low_tier_lean_gateway_store_cpu_us_per_action: Math.round(leanGatewayStore.cpuUs),
      low_tier_lean_gateway_store_main_thread_cpu_us_per_action: Math.round(leanGatewayStore.mainUs),
      low_tier_lean_gateway_store_actions_logged: leanGatewayStore.logged,
      low_tier_lean_gateway_store_answered_2xx: leanGatewayStore.run.ok,
      // The gateway's store and services on a worker thread too.
      low_tier_lean_gateway_store_worker_ratio: Number((leanGatewayStoreWorker.run.rps / bare.rps).toFixed(3)),
      low_tier_lean_gateway_store_worker_cpu_us_per_action: Math.round(leanGatewayStoreWorker.cpuUs),
      low_tier_lean_gateway_store_worker_main_thread_cpu_us_per_action: Math.round(leanGatewayStoreWorker.mainUs),
      low_tier_lean_gateway_store_worker_machine_cpu_us_per_action: Math.round(leanGatewayStoreWorker.machineUs),
      low_tier_lean_gateway_store_worker_actions_logged: leanGatewayStoreWorker.logged,
      // Diagnostics: what one LOW action costs the gateway, whatever else the machine is doing.
      low_tier_gateway_cpu_us_per_action: Math.round(((cpuAfter.process - cpuBefore.process) * 1000) / low.total),
      low_tier_gateway_cpu_us_per_action_assertion: Math.round(((cpuAfterAssertion.process - cpuBeforeAssertion.process) * 1000) / lowAssertion.total),
      bare_proxy_cpu_us_per_request: Math.round(((bareCpuAfter.process - bareCpuBefore.process) * 1000) / bare.total),
      // The same CPU split: in the kernel (system calls) and in user space.
      low_tier_gateway_system_cpu_us_per_action: Math.round(((cpuAfter.system - cpuBefore.system) * 1000) / low.total),
      bare_proxy_system_cpu_us_per_request: Math.round(((bareCpuAfter.system - bareCpuBefore.system) * 1000) / bare.total),
      low_tier_gateway_main_thread_cpu_us_per_action: Math.round(((cpuAfter.main - cpuBefore.main) * 1000) / low.total),
      low_tier_gateway_disk_kb_per_action: Number(((diskAfter - diskBefore) / 1024 / low.total).toFixed(1)),
      // The floor (bench/low-tier-floor.ts): what issue #2's required work costs at the least, and
      // the ratio that an implementation doing nothing else could reach on this run's machine.
      bare_proxy_machine_cpu_us_per_request: Math.round(bareMachineUs),
      // The whole machine's busy CPU per LOW action (gateway, hsm-sim, upstream, load generator):
      // how far a run is from saturating the cores, as against one thread.
      low_tier_machine_cpu_us_per_action: Math.round(((lowMachineAfter - lowMachineBefore) * 1000) / low.total),
      low_tier_lean_machine_cpu_us_per_action: Math.round(lean.machineUs),
      low_tier_lean_gateway_store_machine_cpu_us_per_action: Math.round(leanGatewayStore.machineUs),
      low_tier_floor_assertion_verify_us: Number(floor.assertionVerifyUs.toFixed(1)),
      low_tier_floor_receipt_sign_us: Number(floor.receiptSignUs.toFixed(1)),
      low_tier_floor_durable_record_us: Number(floor.durableRecordUs.toFixed(1)),
      low_tier_ratio_ceiling: Number(ratioCeiling(floor, bareMachineUs, bare.rps, availableParallelism()).toFixed(3)),
      low_tier_floor_api_key_check_us: Number(floor.apiKeyCheckUs.toFixed(2)),
      low_tier_ratio_ceiling_api_key: Number(ratioCeiling(floor, bareMachineUs, bare.rps, availableParallelism(), 'api-key').toFixed(3)),
    };
  } finally {
    await setup.close();
  }
}
