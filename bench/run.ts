/**
 * `npm run bench`: every performance figure the issues name, measured in one run on this machine,
 * printed as a table and written to bench/results.json. Benchmarks, not tests: nothing here fails
 * a build; the targets are listed beside the figures for a human to read.
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TARGETS: Record<string, string> = {
  low_tier_ratio: '>= 0.5',
  low_tier_added_p99_ms: '<= 5',
  low_tier_gateway_cpu_us_per_action: '<= 3 x bare_proxy_cpu_us_per_request',
  low_tier_actions_logged: '= low_tier_answered_2xx + low_tier_requests_cut_in_flight',
  low_tier_lean_ratio: '(reported: the required work alone, bench/low-tier-lean.ts)',
  low_tier_lean_gateway_store_ratio: '(reported: the same, recording through the gateway store)',
  low_tier_lean_worker_ratio: '(reported: the required work, its record on a worker thread)',
  low_tier_lean_gateway_store_worker_ratio: '(reported: the gateway store, on a worker thread)',
  classify_us_1000_rules: '<= 20',
  gateway_rss_mb: '<= 256',
  hsm_sim_batch_sign_rps: '>= 0.5 x raw_sign_rps',
  liveness_verify_ms_all_modalities: '<= 50',
  log_append_rps: '>= 10000',
  log_inclusion_proof_us_1m: '<= 1000',
  verifier_entries_per_s: '>= 100000',
  hostile_heap_growth_second_pass_mb: '~ 0 (bounded)',
  app_js_gzip_kb: '<= 200',
  app_inbox_ms: '<= 1000',
  pg_low_tier_ratio_to_sqlite: '(reported; issue #16)',
  cluster2_low_tier_rps: '(reported; 2 cores: <= one replica)',
  cooling_100k_p99_late_ms: '<= 1000',
  pg_cooling_100k_p99_late_ms: '<= 1000',
  restart_recovery_s: '<= 5',
};

type Bench = { name: string; file: string; fn: string };
const BENCHES: Bench[] = [
  { name: 'classification', file: './classify.ts', fn: 'benchClassify' },
  { name: 'hsm', file: './hsm.ts', fn: 'benchHsm' },
  { name: 'transparency log', file: './log.ts', fn: 'benchLog' },
  { name: 'liveness', file: './liveness.ts', fn: 'benchLiveness' },
  { name: 'gateway', file: './gateway.ts', fn: 'benchGateway' },
  { name: 'hostile heap', file: './hostile-heap.ts', fn: 'benchHostileHeap' },
  { name: 'app', file: './app.ts', fn: 'benchApp' },
  { name: 'scale', file: './scale.ts', fn: 'benchScale' },
];

type Figures = Record<string, number | string>;

async function runHere(b: Bench): Promise<Figures> {
  const mod = (await import(b.file)) as Record<string, () => Promise<Figures> | Figures>;
  return mod[b.fn]!();
}

// Each benchmark runs in a process of its own, so none inherits another's heap, JIT state or
// garbage, and each figure means the same whether it was run alone (`npm run bench -- transparency`) or in
// the full set.
function runInChild(b: Bench): Promise<Figures> {
  return new Promise<Figures>((resolve, reject) => {
    let got: Figures | undefined;
    const c = fork(import.meta.filename, ['--child', b.name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    c.on('message', (m) => (got = m as Figures));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 && got !== undefined ? resolve(got) : reject(new Error(`benchmark '${b.name}' exited with ${code}`))));
  });
}

if (process.argv[2] === '--child') {
  const b = BENCHES.find((x) => x.name === process.argv[3])!;
  const figures = await runHere(b);
  process.send!(figures, () => process.exit(0));
} else {
  const only = process.argv.slice(2);
  const file = join(import.meta.dirname, 'results.json');
  // A partial run (`npm run bench -- gateway`) updates its own figures and keeps the others, each
  // benchmark's `<name>_measured_at` saying when its figures were taken.
  const results: Record<string, number | string> = only.length > 0 && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, number | string>) : {};
  Object.assign(results, { measured_at: new Date().toISOString(), node: process.version });
  for (const b of BENCHES) {
    if (only.length > 0 && !only.includes(b.name.split(' ')[0]!)) continue;
    process.stderr.write(`bench: ${b.name} …\n`);
    Object.assign(results, await runInChild(b), { [`${b.name.split(' ')[0]}_measured_at`]: new Date().toISOString() });
  }
  const rows = Object.entries(results).map(([k, v]) => `${k.padEnd(36)} ${String(v).padStart(14)}   ${TARGETS[k] ?? ''}`);
  process.stdout.write(`${'figure'.padEnd(36)} ${'value'.padStart(14)}   target\n${rows.join('\n')}\n`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
}
