/**
 * What the record of a LOW action costs on its own, in this process, with no HTTP, HSM or upstream
 * around it: the part of the LOW path that issue 17's decomposition puts furthest above its
 * required work (docs/architecture.md §The LOW path's record). Two records, the same actions:
 * - `low_tier_record_*`: the gateway's, acceptAction (durable) then settleAttempt (executed), on
 *   the store and transparency log the gateway opens (main/open-store.ts), with no velocity index
 *   (the bench policy counts none);
 * - `low_tier_lean_record_*`: the narrow record of the stripped gateway (bench/records.ts), the
 *   floor;
 * - `low_tier_record_worker_*` and `low_tier_lean_record_worker_*`: the same two on a worker thread
 *   that owns the connection (bench/lean-record-worker.ts), this thread sending the requests.
 *
 *   npm run bench:record -- [ACTIONS] [IN_FLIGHT]      (RECORD_BENCH_KINDS=gateway,lean,... for fewer)
 *
 * For each: CPU time per action (every thread of this process: the WAL checkpoint worker and the
 * fdatasyncs too), bytes handed to write(2) per action (/proc/self/io: WAL frames and checkpoint
 * copies), and instructions per action, counted by callgrind in a child process doing the same
 * work; and of those, the instructions and CPU time of this process's main thread, the one an
 * event loop runs on (`*_main_thread_*`). Instructions and bytes do not move with the other load on a shared machine (the CPU time
 * does), so a change to the record can be judged while the machine is busy; the CPU time says
 * what they are worth. Not part of `npm run bench`.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { v7 as uuidV7 } from 'uuid';
import type { ActionDescriptor } from '../src/core/action/descriptor.ts';
import { actionDigest } from '../src/core/action/digest.ts';
import { parsePolicy } from '../src/core/policy/parse.ts';
import { policyPort } from '../src/gateway/policy-port.ts';
import { MemorySigner } from '../test/helpers/memory-signer.ts';
import { benchPolicy } from './gateway-setup.ts';
import { gatewayRecorder, leanRecorder, workerRecorder, type Recorder } from './records.ts';

const ACTIONS = Number(process.argv[2] ?? 5000);
const IN_FLIGHT = Number(process.argv[3] ?? 32);
const WARM = 2000;
const UNDER_VALGRIND = process.env['RECORD_BENCH_CALLGRIND_DIR'];
/** Which record this process measures (set in a child; the parent measures both). */
const KINDS = ['gateway', 'lean', 'gateway-worker', 'lean-worker'] as const;
type Kind = (typeof KINDS)[number];
const KIND: Kind = KINDS.find((k) => k === process.env['RECORD_BENCH_KIND']) ?? 'gateway';
const run = promisify(execFile);

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const UPSTREAM = 'http://127.0.0.1:9/';
const policy = policyPort(parsePolicy(benchPolicy(UPSTREAM), 'bench.yaml'));

/** Records `n` LOW actions as the gateway does for a session-signed GET, `inFlight` at a time. */
async function record(recorder: Recorder, from: number, n: number, inFlight: number): Promise<void> {
  const receipt = { jws: 'e'.repeat(400), jti: 'r'.repeat(22) };
  let next = from;
  const end = from + n;
  const one = async (i: number): Promise<void> => {
    const path = `/balances/acc-${i % 100}`;
    const mapped = policy.mapProxy('bench', { method: 'GET', path, query: {}, body: undefined });
    const descriptor: ActionDescriptor = { agent: 'bench', actuator: 'bench', ...mapped, request: { method: 'GET', path, bodySha256: EMPTY_SHA256 } };
    const c = policy.classify(descriptor, { velocity: [] });
    const id = `act_${uuidV7()}`;
    const digest = actionDigest(descriptor);
    let recorded = '';
    const accepted = await recorder.accept({ id, idempotencyKey: `key-${i}`, descriptor, digest, c, forward: { method: 'GET', path, contentType: null, bodyB64: '' } }, (r) => (recorded = r.id));
    if (recorded === '') throw new Error(`action ${i} was not recorded`);
    const body = Buffer.from(`{"account":"acc-${i % 100}","balance":1}`);
    await recorder.settle(accepted, { id: recorded, digest }, { status: 200, bodyB64: body.toString('base64'), responseSha256: createHash('sha256').update(body).digest('hex'), receipt });
  };
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < end) await one(next++);
  }));
}

/**
 * Instructions in the newest callgrind dump of this process (run with --separate-threads=yes: one
 * file per thread, `cg.<pid>.<dump>-<thread>`, thread 01 the main one): all threads, and the main.
 */
async function dumped(dir: string): Promise<{ all: number; main: number }> {
  await run('callgrind_control', ['-d', String(process.pid)]);
  const files = readdirSync(dir).filter((f) => f.startsWith(`cg.${process.pid}.`));
  const part = Math.max(...files.map((f) => Number(/^cg\.\d+\.(\d+)-/.exec(f)?.[1] ?? 0)));
  let all = 0;
  let main = 0;
  for (const f of files.filter((x) => x.startsWith(`cg.${process.pid}.${part}-`))) {
    const m = /^(?:summary|totals):\s+(\d+)/m.exec(readFileSync(join(dir, f), 'utf8'));
    if (m === null) throw new Error(`no totals in ${f}`);
    all += Number(m[1]);
    if (f.endsWith('-01')) main += Number(m[1]);
  }
  return { all, main };
}

/** Bytes this process has handed to write(2) and friends so far (/proc/self/io `wchar`): WAL frames and checkpoint copies. */
function writtenBytes(): number {
  const m = /^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return m === null ? NaN : Number(m[1]);
}

async function measureHere(kind: Kind = KIND): Promise<{ cpuUs: number; mainCpuUs: number; writtenBytes: number; instructions?: number; mainInstructions?: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'af-record-'));
  const recorder =
    kind === 'lean' ? leanRecorder(dataDir)
    : kind === 'gateway' ? await gatewayRecorder(dataDir, new MemorySigner(), policy)
    : await workerRecorder({ dataDir, record: kind === 'lean-worker' ? 'lean' : 'gateway', upstream: UPSTREAM });
  try {
    await record(recorder, 0, WARM, IN_FLIGHT);
    if (UNDER_VALGRIND !== undefined) {
      // Asynchronously: callgrind answers its control program only while this process runs.
      await run('callgrind_control', ['-i', 'on', String(process.pid)]);
      await run('callgrind_control', ['-z', String(process.pid)]);
    }
    const t0 = process.cpuUsage();
    const m0 = process.threadCpuUsage();
    const w0 = writtenBytes();
    await record(recorder, WARM, ACTIONS, IN_FLIGHT);
    const cpu = process.cpuUsage(t0);
    const mainCpu = process.threadCpuUsage(m0);
    const written = writtenBytes() - w0;
    const counts = UNDER_VALGRIND === undefined ? undefined : await dumped(UNDER_VALGRIND);
    return {
      cpuUs: (cpu.user + cpu.system) / ACTIONS,
      mainCpuUs: (mainCpu.user + mainCpu.system) / ACTIONS,
      writtenBytes: written / ACTIONS,
      ...(counts === undefined ? {} : { instructions: counts.all / ACTIONS, mainInstructions: counts.main / ACTIONS }),
    };
  } finally {
    await recorder.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The instructions per action of `kind`, counted by callgrind in a child process. */
async function counted(kind: Kind): Promise<{ instructions: number; mainInstructions: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'af-record-cg-'));
  const child = spawn('valgrind', ['--tool=callgrind', '-q', '--instr-atstart=no', '--smc-check=all-non-file', '--separate-threads=yes', `--callgrind-out-file=${join(dir, 'cg.%p')}`, process.execPath, ...process.execArgv, process.argv[1]!, String(ACTIONS), String(IN_FLIGHT)], {
    env: { ...process.env, RECORD_BENCH_CALLGRIND_DIR: dir, RECORD_BENCH_KIND: kind },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`the callgrind run of the ${kind} record exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as { instructions: number; mainInstructions: number };
}

if (process.env['RECORD_BENCH_KIND'] !== undefined) {
  // One record, in a child process (under callgrind when the parent counts), or by hand with --cpu-prof.
  process.stdout.write(JSON.stringify(await measureHere()) + '\n');
} else {
  const figures: Record<string, number> = { actions: ACTIONS, in_flight: IN_FLIGHT };
  const only = process.env['RECORD_BENCH_KINDS']?.split(',');
  for (const kind of KINDS.filter((k) => only === undefined || only.includes(k))) {
    const plain = await measureHere(kind);
    const key = { gateway: 'low_tier_record', lean: 'low_tier_lean_record', 'gateway-worker': 'low_tier_record_worker', 'lean-worker': 'low_tier_lean_record_worker' }[kind];
    figures[`${key}_cpu_us_per_action`] = Math.round(plain.cpuUs);
    figures[`${key}_main_thread_cpu_us_per_action`] = Math.round(plain.mainCpuUs);
    figures[`${key}_written_bytes_per_action`] = Math.round(plain.writtenBytes);
    const c = await counted(kind);
    figures[`${key}_instructions_per_action`] = Math.round(c.instructions);
    figures[`${key}_main_thread_instructions_per_action`] = Math.round(c.mainInstructions);
  }
  process.stdout.write(JSON.stringify(figures, null, 2) + '\n');
}
