/**
 * What the record of a LOW action costs on its own, in this process, with no HTTP, HSM or upstream
 * around it: the part of the LOW path that issue 17's decomposition puts furthest above its
 * required work (docs/architecture.md §The LOW path's record). Two records, the same actions:
 * - `low_tier_record_*`: the gateway's, acceptAction (durable) then settleAttempt (executed), on
 *   the store and transparency log the gateway opens (main/open-store.ts), with no velocity index
 *   (the bench policy counts none);
 * - `low_tier_lean_record_*`: the narrow record of the stripped gateway (bench/records.ts), the
 *   floor.
 *
 *   npm run bench:record -- [ACTIONS] [IN_FLIGHT]
 *
 * For each: CPU time per action (every thread of this process: the WAL checkpoint worker and the
 * fdatasyncs too), bytes handed to write(2) per action (/proc/self/io: WAL frames and checkpoint
 * copies), and instructions per action, counted by callgrind in a child process doing the same
 * work. Instructions and bytes do not move with the other load on a shared machine (the CPU time
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
import { gatewayRecorder, leanRecorder, type Recorder } from './records.ts';

const ACTIONS = Number(process.argv[2] ?? 5000);
const IN_FLIGHT = Number(process.argv[3] ?? 32);
const WARM = 2000;
const UNDER_VALGRIND = process.env['RECORD_BENCH_CALLGRIND_DIR'];
/** Which record this process measures (set in a child; the parent measures both). */
const KIND = process.env['RECORD_BENCH_KIND'] === 'lean' ? 'lean' : 'gateway';
const run = promisify(execFile);

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const policy = policyPort(parsePolicy(benchPolicy('http://127.0.0.1:9/'), 'bench.yaml'));

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

/** Instructions in the newest callgrind dump of this process. */
async function dumped(dir: string): Promise<number> {
  await run('callgrind_control', ['-d', String(process.pid)]);
  const mine = readdirSync(dir).filter((f) => f.startsWith(`cg.${process.pid}`)).sort((a, b) => Number(b.split('.')[2] ?? 0) - Number(a.split('.')[2] ?? 0));
  const m = /^(?:summary|totals):\s+(\d+)/m.exec(readFileSync(join(dir, mine[0]!), 'utf8'));
  if (m === null) throw new Error(`no totals in ${mine[0]}`);
  return Number(m[1]);
}

/** Bytes this process has handed to write(2) and friends so far (/proc/self/io `wchar`): WAL frames and checkpoint copies. */
function writtenBytes(): number {
  const m = /^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return m === null ? NaN : Number(m[1]);
}

async function measureHere(kind: 'gateway' | 'lean' = KIND): Promise<{ cpuUs: number; writtenBytes: number; instructions?: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'af-record-'));
  const recorder = kind === 'lean' ? leanRecorder(dataDir) : await gatewayRecorder(dataDir, new MemorySigner(), policy);
  try {
    await record(recorder, 0, WARM, IN_FLIGHT);
    if (UNDER_VALGRIND !== undefined) {
      // Asynchronously: callgrind answers its control program only while this process runs.
      await run('callgrind_control', ['-i', 'on', String(process.pid)]);
      await run('callgrind_control', ['-z', String(process.pid)]);
    }
    const t0 = process.cpuUsage();
    const w0 = writtenBytes();
    await record(recorder, WARM, ACTIONS, IN_FLIGHT);
    const cpu = process.cpuUsage(t0);
    const written = writtenBytes() - w0;
    const instructions = UNDER_VALGRIND === undefined ? undefined : await dumped(UNDER_VALGRIND);
    return { cpuUs: (cpu.user + cpu.system) / ACTIONS, writtenBytes: written / ACTIONS, ...(instructions === undefined ? {} : { instructions: instructions / ACTIONS }) };
  } finally {
    await recorder.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The instructions per action of `kind`, counted by callgrind in a child process. */
async function counted(kind: 'gateway' | 'lean'): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'af-record-cg-'));
  const child = spawn('valgrind', ['--tool=callgrind', '-q', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${join(dir, 'cg.%p')}`, process.execPath, ...process.execArgv, process.argv[1]!, String(ACTIONS), String(IN_FLIGHT)], {
    env: { ...process.env, RECORD_BENCH_CALLGRIND_DIR: dir, RECORD_BENCH_KIND: kind },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`the callgrind run of the ${kind} record exited with ${code}`);
  return (JSON.parse(out.trim().split('\n').at(-1)!) as { instructions: number }).instructions;
}

if (process.env['RECORD_BENCH_KIND'] !== undefined) {
  // One record, in a child process (under callgrind when the parent counts), or by hand with --cpu-prof.
  process.stdout.write(JSON.stringify(await measureHere()) + '\n');
} else {
  const figures: Record<string, number> = { actions: ACTIONS, in_flight: IN_FLIGHT };
  for (const kind of ['gateway', 'lean'] as const) {
    const plain = await measureHere(kind);
    const key = kind === 'gateway' ? 'low_tier_record' : 'low_tier_lean_record';
    figures[`${key}_cpu_us_per_action`] = Math.round(plain.cpuUs);
    figures[`${key}_written_bytes_per_action`] = Math.round(plain.writtenBytes);
    figures[`${key}_instructions_per_action`] = Math.round(await counted(kind));
  }
  process.stdout.write(JSON.stringify(figures, null, 2) + '\n');
}
