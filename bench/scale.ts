/**
 * Issue #16's scale figures (`npm run bench -- scale`). Method:
 *
 * - `low_tier_rps_sqlite_same_run`, `pg_low_tier_rps`, `pg_low_tier_ratio_to_sqlite`: one gateway
 *   (bench/gateway-setup.ts) on SQLite, then one on a fresh PostgreSQL database, each loaded exactly
 *   as bench/gateway.ts loads `low_tier_rps` (session-signed GET, BENCH_CONNECTIONS in flight for
 *   BENCH_DURATION_S, after a 2 s warm-up), so the ratio compares like with like on one machine.
 * - `cluster2_low_tier_rps`: the same load through HAProxy in front of `cluster --replicas 2` (two
 *   replicas on one fresh PostgreSQL database and a Redis key prefix of its own, hsm-sim over TLS).
 * - `cooling_100k_p99_late_ms`: with the gateway stopped, BENCH_COOLING_N (100,000) MEDIUM actions are
 *   written straight into its store as accept-action writes a cooling action (record and its
 *   received/classified/cooling log entries), due uniformly over BENCH_COOLING_WINDOW_S (120 s)
 *   starting BENCH_COOLING_LEAD_S after seeding began (long enough for seeding and the restart).
 *   The gateway's scheduler then releases them; lateness = the `ts` of each action.authorised
 *   entry − its `notBefore` (the due time), both written by the gateway, so no polling error. The
 *   scheduler stamps a whole tick's releases with the tick's start, so this can understate by up to
 *   one tick's run; `cooling_100k_p99_executed_late_ms` (the action.executed `ts`) bounds it above.
 *   Actions still cooling BENCH_COOLING_GRACE_S after the last due time count as late by at least
 *   that wait (`cooling_100k_unreleased` says how many).
 * - `restart_recovery_s`: the time from spawning `src/cli/main.ts start` on that store (N pending)
 *   to /readyz answering 200.
 * - `cooling_burst_release_per_s`: BENCH_BURST_N (10,000) actions all due at one instant, released
 *   per second of wall time (what the scheduler's per-tick cap allows: 100 per SCHEDULER_TICK_MS).
 * - `pg_cooling_100k_p99_late_ms`: the cooling figure on PostgreSQL (BENCH_PG_COOLING=0 skips it).
 *
 * Long: each cooling run waits out its lead (115 s at 100,000), its window and the releases the
 * scheduler's cap defers (up to BENCH_COOLING_GRACE_S more). A smoke run:
 * BENCH_DURATION_S=2 BENCH_COOLING_N=2000 BENCH_BURST_N=500 BENCH_COOLING_WINDOW_S=10 BENCH_COOLING_LEAD_S=12 BENCH_COOLING_GRACE_S=30.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { v7 as uuidV7 } from 'uuid';
import autocannon, { type Request as CannonRequest } from 'autocannon';
import { actionDigest } from '../src/core/action/digest.ts';
import type { ActionDescriptor } from '../src/core/action/descriptor.ts';
import { entry } from '../src/gateway/audit-entries.ts';
import type { ActionRecord } from '../src/gateway/action-record.ts';
import type { Store } from '../src/gateway/ports/store.ts';
import { openStoreOnly } from '../src/main/open-store.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { freshDatabase } from '../test/helpers/postgres.ts';
import { deleteKeys, seedEpoch, SHARED_REDIS_URL, uniquePrefix } from '../test/helpers/redis-server.ts';
import { load } from './gateway.ts';
import { agentClient, benchPolicy, LOW_PATH, registerAgent, ROOT, startBenchSetup, type BenchSetup } from './gateway-setup.ts';

const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 10);
const COOLING_N = Number(process.env['BENCH_COOLING_N'] ?? 100_000);
const WINDOW_MS = Number(process.env['BENCH_COOLING_WINDOW_S'] ?? 120) * 1000;
/** How long after seeding starts the first of `n` actions falls due: seeding (~1 ms an action) and a restart fit in it. */
const leadMs = (n: number) => Number(process.env['BENCH_COOLING_LEAD_S'] ?? Math.max(20, n / 1000 + 15)) * 1000;
const GRACE_MS = Number(process.env['BENCH_COOLING_GRACE_S'] ?? 300) * 1000;
const BURST_N = Number(process.env['BENCH_BURST_N'] ?? 10_000);
const SEED_BATCH = 1000;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbe4c8996fb92427ae41e4649b934ca495991b7852b855';

/** LOW throughput as bench/gateway.ts measures `low_tier_rps`: warm-up, then session-signed load with pre-signed requests. */
async function lowTierRps(url: string, signer: () => Record<string, string>): Promise<number> {
  const pool: Record<string, string>[] = [];
  const withSession = (req: CannonRequest): CannonRequest => ({ ...req, headers: pool.pop() ?? signer() });
  for (let i = 0; i < 20_000; i++) pool.push(signer());
  await autocannon({ url: url + LOW_PATH, connections: 8, duration: 2, requests: [{ method: 'GET' as const, path: LOW_PATH, setupRequest: withSession }] });
  pool.length = 0;
  for (let i = 0; i < 6000 * DURATION_S; i++) pool.push(signer());
  const run = await load(url, LOW_PATH, withSession);
  if (run.non2xx > 0) throw new Error(`${url}: ${run.non2xx} LOW requests answered with errors`);
  return run.rps;
}

/** A MEDIUM action as accept-action leaves it in cooling, with its three log entries. */
function coolingAction(tag: string, i: number, now: number, dueAt: number): { record: ActionRecord; entries: Record<string, unknown>[] } {
  const descriptor: ActionDescriptor = {
    agent: 'bench',
    actuator: 'bench',
    operation: 'get_balance',
    target: `acc-${i}`,
    parameters: { account: `acc-${i}` },
    reversibility: 'fully_reversible',
    request: { method: 'GET', path: `/balances/acc-${i}`, bodySha256: EMPTY_SHA256 },
  };
  const classification = { tier: 'MEDIUM' as const, decision: 'ALLOW' as const, rule: 'bench-cooling', reasons: [], matchedRules: ['bench-cooling'], policyHash: 'bench-seeded', requirements: {} };
  const record: ActionRecord = {
    id: `act_${uuidV7({ msecs: now })}`,
    agent: 'bench',
    idempotencyKey: `${tag}-${i}`,
    status: 'cooling',
    digest: actionDigest(descriptor),
    descriptor,
    classification,
    forward: { method: 'GET', path: `/balances/acc-${i}`, contentType: null, bodyB64: '' },
    createdAt: now,
    updatedAt: now,
    dueAt,
    approvals: [],
    dispatchAttempts: 0,
  };
  const received = { agent: 'bench', idempotencyKey: record.idempotencyKey, descriptor };
  const entries = [
    entry('action.received', now, record, received),
    entry('action.classified', now, record, classification),
    entry('action.cooling', now, record, { event: 'cool', notBefore: dueAt, policyHash: classification.policyHash }),
  ];
  return { record, entries };
}

export async function seed(store: Store, tag: string, n: number, dueAt: (i: number) => number): Promise<void> {
  for (let i = 0; i < n; i += SEED_BATCH) {
    const now = Date.now();
    const batch = Array.from({ length: Math.min(SEED_BATCH, n - i) }, (_, k) => coolingAction(tag, i + k, now, dueAt(i + k)));
    await store.tx(async (tx) => {
      await tx.audit(batch.flatMap((b) => b.entries));
      for (const b of batch) await tx.insertAction(b.record);
      // As a running gateway would have: the restart that follows is not an outage of every
      // gateway, so the cooling clock (src/gateway/cooling-clock.ts) leaves these periods where they are.
      await tx.markAlive(Date.now());
    });
  }
}

async function coolingDepth(gwUrl: string): Promise<number> {
  const text = await (await fetch(`${gwUrl}/metrics`)).text();
  return Number(/^af_cooling_queue_depth (\d+)/m.exec(text)?.[1] ?? NaN);
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface CoolingRun {
  recoveryMs: number;
  /** Release lateness: action.authorised `ts` − `notBefore`. The scheduler stamps every release of a tick with the tick's start. */
  lateMs: number[];
  /** action.executed `ts` − `notBefore` of the released ones: an upper bound (it adds the dispatch and the upstream's answer). */
  executedLateMs: number[];
  unreleased: number;
  dueBeforeReady: number;
  firstDue: number;
  lastReleased: number;
}

/**
 * Stops the gateway, seeds `n` cooling actions due at `dueAt(i, seedStart)`, restarts it (timed to
 * ready), waits until none is cooling or `deadline` passes, stops it and reads the releases from the log.
 */
async function coolingRun(setup: BenchSetup, database: string | undefined, tag: string, n: number, dueAt: (i: number, t0: number) => number): Promise<CoolingRun> {
  await setup.stopGateway();
  const dataDir = setup.env['DATA_DIR']!;
  const seeded = await openStoreOnly({ dataDir, database: database === undefined ? undefined : { url: database } });
  const t0 = Date.now();
  let fromIndex: number;
  try {
    fromIndex = await seeded.store.log.size();
    await seed(seeded.store, tag, n, (i) => dueAt(i, t0));
  } finally {
    await seeded.store.close();
  }
  process.stderr.write(`bench: scale: seeded ${n} cooling actions in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const recoveryMs = await setup.startGateway();
  const readyAt = Date.now();
  const lastDue = dueAt(n - 1, t0);
  const deadline = lastDue + GRACE_MS;
  let depth = n;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    depth = await coolingDepth(setup.gwUrl);
    if (depth === 0) break;
  }
  const stoppedAt = Date.now();
  await setup.stopGateway();
  const lateMs: number[] = [];
  const executedLateMs: number[] = [];
  let lastReleased = 0;
  const read = await openStoreOnly({ dataDir, database: database === undefined ? undefined : { url: database } });
  try {
    const entriesOf = async function* (type: string) {
      for (let after = fromIndex - 1; ; ) {
        const page = await read.store.log.query({ type, terms: [], afterIndex: after, limit: 10_000 });
        if (page.length === 0) return;
        yield* page;
        after = page[page.length - 1]!.index;
      }
    };
    const due = new Map<string, number>();
    for await (const e of entriesOf('action.authorised')) {
      const ts = Number(e.entry['ts']);
      due.set(e.actionId!, Number(e.entry['notBefore']));
      lateMs.push(ts - Number(e.entry['notBefore']));
      lastReleased = Math.max(lastReleased, ts);
    }
    for await (const e of entriesOf('action.executed')) {
      const d = due.get(e.actionId!);
      if (d !== undefined) executedLateMs.push(Number(e.entry['ts']) - d);
    }
  } finally {
    await read.store.close();
  }
  executedLateMs.sort((a, b) => a - b);
  // Still cooling at the deadline: late by at least the wait so far (a lower bound, counted so the p99 is not flattered).
  const unreleased = n - lateMs.length;
  for (let i = 0; i < unreleased; i++) lateMs.push(stoppedAt - lastDue);
  lateMs.sort((a, b) => a - b);
  let dueBeforeReady = 0;
  for (let i = 0; i < n; i++) if (dueAt(i, t0) < readyAt) dueBeforeReady++;
  await setup.startGateway();
  return { recoveryMs, lateMs, executedLateMs, unreleased, dueBeforeReady, firstDue: dueAt(0, t0), lastReleased };
}

/** The spread run (uniform over WINDOW_MS, from leadMs after seeding starts) and its figures under `prefix`. */
async function coolingFigures(setup: BenchSetup, database: string | undefined, prefix: string): Promise<Record<string, number>> {
  const run = await coolingRun(setup, database, `${prefix}spread`, COOLING_N, (i, t0) => t0 + leadMs(COOLING_N) + Math.floor((i * WINDOW_MS) / COOLING_N));
  if (run.dueBeforeReady > 0) process.stderr.write(`bench: scale: ${run.dueBeforeReady} actions fell due before the gateway was ready (raise BENCH_COOLING_LEAD_S)\n`);
  return {
    [`${prefix}cooling_100k_p99_late_ms`]: Math.round(percentile(run.lateMs, 99)),
    [`${prefix}cooling_100k_p50_late_ms`]: Math.round(percentile(run.lateMs, 50)),
    [`${prefix}cooling_100k_p99_executed_late_ms`]: Math.round(percentile(run.executedLateMs, 99)),
    [`${prefix}cooling_100k_max_late_ms`]: Math.round(run.lateMs[run.lateMs.length - 1] ?? NaN),
    [`${prefix}cooling_100k_unreleased`]: run.unreleased,
    [`${prefix}cooling_100k_due_before_ready`]: run.dueBeforeReady,
    [`${prefix}cooling_100k_n`]: COOLING_N,
    [`${prefix}cooling_100k_window_s`]: WINDOW_MS / 1000,
    // What the window asks of the scheduler (which drains full batches of 100 within a tick, src/gateway/scheduler.ts).
    [`${prefix}cooling_100k_required_release_per_s`]: Math.round(COOLING_N / (WINDOW_MS / 1000)),
    [`${prefix}restart_recovery_s`]: Number((run.recoveryMs / 1000).toFixed(2)),
  };
}

/** `cluster --replicas 2` behind HAProxy on a fresh database and Redis prefix; LOW throughput through the balancer. */
async function clusterRps(upstreamUrl: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'af-bench-cluster-'));
  const db = await freshDatabase();
  const prefix = uniquePrefix('bench-cluster');
  let cluster: ChildProcess | undefined;
  try {
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, benchPolicy(upstreamUrl));
    const port = await freePort();
    const lbUrl = `http://127.0.0.1:${port}`;
    const env = {
      ...process.env,
      PORT: String(port),
      CLUSTER_REPLICA_PORTS: [await freePort(), await freePort()].join(','),
      CLUSTER_HSM_PORT: String(await freePort()),
      DATA_DIR: join(dir, 'cluster'),
      POLICY_FILE: policyFile,
      DATABASE_URL: db.url,
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      RATE_AGENT_PER_SEC: '1000000',
      RATE_ACTUATOR_PER_SEC: '1000000',
      RATE_LOW_PER_MIN: '100000000',
    };
    // A brand-new prefix would refuse assertions issued in its first second (REPLAY_CACHE_RESTARTED).
    await seedEpoch(SHARED_REDIS_URL, prefix, Date.now() - 60_000);
    const c = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'cluster', '--replicas', '2'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    cluster = c;
    let output = '';
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`cluster not up after 120 s:\n${output}`)), 120_000);
      c.once('exit', () => (clearTimeout(timer), fail(new Error(`cluster exited during start-up:\n${output}`))));
      for (const s of [c.stdout!, c.stderr!])
        createInterface({ input: s }).on('line', (l) => {
          output += l + '\n';
          if (l.includes('Analog Firewall cluster:')) (clearTimeout(timer), ok());
        });
    });
    const key = await registerAgent({ ...env, DATA_DIR: join(dir, 'cli') }, dir);
    const signer = await agentClient(lbUrl, key).openSession();
    return await lowTierRps(lbUrl, signer);
  } finally {
    if (cluster !== undefined && cluster.exitCode === null && cluster.signalCode === null) {
      const gone = new Promise<void>((r) => cluster!.once('exit', () => r()));
      cluster.kill('SIGTERM');
      await gone;
    }
    await db.drop();
    await deleteKeys(SHARED_REDIS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchScale(): Promise<Record<string, number | string>> {
  const figures: Record<string, number | string> = {};
  const sqlite = await startBenchSetup();
  try {
    const sqliteRps = await lowTierRps(sqlite.gwUrl, sqlite.sessionHeaders);
    await sqlite.stopGateway(); // two cores: nothing else running while PostgreSQL is measured
    const db = await freshDatabase();
    try {
      const pg = await startBenchSetup({ env: { DATABASE_URL: db.url } });
      try {
        const pgRps = await lowTierRps(pg.gwUrl, pg.sessionHeaders);
        Object.assign(figures, {
          low_tier_rps_sqlite_same_run: Math.round(sqliteRps),
          pg_low_tier_rps: Math.round(pgRps),
          pg_low_tier_ratio_to_sqlite: Number((pgRps / sqliteRps).toFixed(3)),
        });
        if (process.env['BENCH_PG_COOLING'] !== '0') Object.assign(figures, await coolingFigures(pg, db.url, 'pg_'));
      } finally {
        await pg.close();
      }
    } finally {
      await db.drop();
    }
    figures['cluster2_low_tier_rps'] = Math.round(await clusterRps(sqlite.upstreamUrl));

    await sqlite.startGateway();
    Object.assign(figures, await coolingFigures(sqlite, undefined, ''));
    const burst = await coolingRun(sqlite, undefined, 'burst', BURST_N, (_i, t0) => t0 + leadMs(BURST_N));
    figures['cooling_burst_n'] = BURST_N;
    figures['cooling_burst_release_per_s'] = Math.round((BURST_N - burst.unreleased) / ((burst.lastReleased - burst.firstDue) / 1000));
    figures['cooling_burst_p99_late_ms'] = Math.round(percentile(burst.lateMs, 99));
  } finally {
    await sqlite.close();
  }
  return figures;
}
