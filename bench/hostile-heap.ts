/**
 * Memory under hostile load (issue 13 item 11): a real gateway process on loopback, a warm-up pass,
 * then two passes of 10,500 hostile requests (bench/hostile-load.ts). After each, the gateway
 * writes a heap snapshot (--heapsnapshot-signal, which collects garbage first) and the live heap
 * is the sum of its objects' sizes: what the gateway retains, not what V8 has not collected yet.
 *
 * `hostile_heap_growth_mb`: live heap after the first pass minus after the warm-up (the issue's
 * figure, 43 → 95 MB of heap used before the fix); `hostile_heap_growth_second_pass_mb`: the same
 * for the second pass (bounded state stops growing); RSS for reference (malloc and V8 keep pages).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startExampleActuator } from '../examples/actuators.ts';
import { examplePolicyText } from '../test/helpers/harness.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { runCli } from '../test/helpers/gateway-process.ts';
import { hostileLoad } from './hostile-load.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PASS = Number(process.env['BENCH_HOSTILE_REQUESTS'] ?? 10_500);

/** Live heap (bytes) in a V8 heap snapshot, and the constructors that hold most of it. */
export function liveHeap(file: string): { bytes: number; byName: Map<string, number> } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const f = snap.snapshot.meta.node_fields;
  const width = f.length;
  const [iType, iName, iSize] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const types = snap.snapshot.meta.node_types[0];
  const byName = new Map<string, number>();
  let bytes = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const size = snap.nodes[i + iSize]!;
    const type = types[snap.nodes[i + iType]!]!;
    const name = type === 'object' || type === 'closure' ? `${type}:${snap.strings[snap.nodes[i + iName]!]}` : type;
    byName.set(name, (byName.get(name) ?? 0) + size);
    bytes += size;
  }
  return { bytes, byName };
}

async function snapshot(gw: ChildProcess, dir: string): Promise<ReturnType<typeof liveHeap>> {
  const before = new Set(readdirSync(dir));
  gw.kill('SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const file = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot') && !before.has(n));
    if (file === undefined) continue;
    // Written in one go; wait until its size stops changing.
    let last = -1;
    for (;;) {
      const size = readFileSync(join(dir, file)).length;
      if (size === last && size > 0) break;
      last = size;
      await new Promise((r) => setTimeout(r, 500));
    }
    const out = liveHeap(join(dir, file));
    rmSync(join(dir, file));
    return out;
  }
  throw new Error('no heap snapshot');
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const mb = (b: number) => Number((b / 1024 / 1024).toFixed(1));

export async function benchHostileHeap(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'af-bench-hostile-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const payments = await startExampleActuator({ name: 'payments', gatewayUrl: url, issuer: url });
  const infra = await startExampleActuator({ name: 'infra', gatewayUrl: url, issuer: url });
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, examplePolicyText({ payments: payments.url, infra: infra.url }));
  const env = { ...process.env, PORT: String(port), DATA_DIR: join(dir, 'data'), POLICY_FILE: policyFile, LOG_LEVEL: 'warn', RATE_AGENT_PER_SEC: '100000', RATE_LOW_PER_MIN: '10000000' };
  // As `npm start` runs it, plus the snapshot signal; snapshots land in the working directory.
  const gw = spawn(process.execPath, ['--max-semi-space-size=12', '--heapsnapshot-signal=SIGUSR2', join(ROOT, 'src/cli/main.ts'), 'start'], { cwd: dir, env, stdio: 'ignore' });
  try {
    for (let i = 0; ; i++) {
      if (gw.exitCode !== null || i > 300) throw new Error('gateway did not start');
      if ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const agent = generateKeyPairSync('ed25519');
    const pub = join(dir, 'agent.jwk');
    writeFileSync(pub, JSON.stringify(agent.publicKey.export({ format: 'jwk' })));
    const reg = await runCli(['principal', 'register', '--id', 'hostile', '--roles', 'agent', '--owner', 'bench-owner', '--public-key', pub], env as Record<string, string>);
    if (reg.code !== 0) throw new Error(`register failed: ${reg.out}`);
    const target = { url, agent: { id: 'hostile', key: agent.privateKey }, addresses: 20_000 };
    await hostileLoad(target, 1000);
    const warm = await snapshot(gw, dir);
    const rss0 = rssMb(gw.pid!);
    await hostileLoad(target, PASS);
    const first = await snapshot(gw, dir);
    await hostileLoad(target, PASS);
    const second = await snapshot(gw, dir);
    const rss2 = rssMb(gw.pid!);
    if (process.env['BENCH_DEBUG']) {
      const grown = [...first.byName].map(([k, v]) => [k, v - (warm.byName.get(k) ?? 0)] as const).sort((a, b) => b[1] - a[1]).slice(0, 15);
      process.stderr.write(grown.map(([k, v]) => `${k}\t${v}`).join('\n') + '\n');
    }
    return {
      hostile_heap_live_mb: mb(warm.bytes),
      hostile_heap_growth_mb: mb(first.bytes - warm.bytes),
      hostile_heap_growth_second_pass_mb: mb(second.bytes - first.bytes),
      hostile_rss_growth_mb: Number((rss2 - rss0).toFixed(1)),
    };
  } finally {
    gw.kill('SIGKILL');
    await payments.close();
    await infra.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) process.stdout.write(JSON.stringify(await benchHostileHeap()) + '\n');
