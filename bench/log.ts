/**
 * Transparency-log figures (issue 6):
 *   log_append_rps             durable appends/s, one store transaction each (group commit, WAL synced before release)
 *   log_inclusion_proof_us_1m  mean inclusion proof time at 1,000,000 entries (random leaves)
 *   verifier_entries_per_s     offline verifier throughput over a 1,000,000-entry export bundle (JSON text in)
 * plus supporting figures (p99 proof time, consistency proof and root at 1M, build rate).
 *
 * Checkpoints are signed by a real hsm-sim child process; the verifier pins the device root.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/core/clock.ts';
import type { Signer } from '../src/core/signer.ts';
import { SqliteStore } from '../src/adapters/store/sqlite-store.ts';
import { LogAppender } from '../src/gateway/log/appender.ts';
import { openTransparencyLog } from '../src/gateway/log/open-log.ts';
import type { TransparencyLog } from '../src/gateway/log/transparency-log.ts';
import { buildExportBundle } from '../src/adapters/log/export-bundle.ts';
import { startHsmSim } from '../src/adapters/signer/hsm-sim-process.ts';
import { createHsmSimSigner } from '../src/adapters/signer/hsm-sim-signer.ts';
import { verifyBundle } from '../clients/regulator/verify-bundle.ts';

const ORIGIN = 'bench.analog-firewall.dev/log';
const APPENDS = Number(process.env['BENCH_LOG_APPENDS'] ?? 100_000);
const CLIENTS = 2_000;
const BIG = 1_000_000;

function envelope(i: number, ts: number): object {
  return {
    v: 1,
    // Synthetic entries of action size, but not action.* types: a million made-up actions would (rightly)
    // fail the verifier's action rules, which test/regulator exercises on real gateway runs.
    type: i % 4 === 0 ? 'bench.received' : i % 4 === 1 ? 'bench.classified' : i % 4 === 2 ? 'bench.approved' : 'bench.executed',
    ts,
    actionId: `act_${(i >> 2).toString(36).padStart(8, '0')}`,
    tier: 'MEDIUM',
    digest: 'a3f1c9e07b5d2486e1f09c3b7a6d5e4f20718293a4b5c6d7e8f9012345678901',
  };
}

/** A store with the log in it, as the gateway opens it; `append` is one transaction of `tx.audit`. */
async function openLog(file: string, signer: Signer, checkpointEvery?: null): Promise<{ store: SqliteStore; log: TransparencyLog; append: (es: object[]) => Promise<number> }> {
  const appender = new LogAppender();
  const store = new SqliteStore({ path: file, audit: appender });
  const log = await openTransparencyLog({ store, appender, signer, origin: ORIGIN, clock: systemClock, ...(checkpointEvery === null ? { checkpointEvery } : {}) });
  return { store, log, append: (es) => store.tx(async (tx) => tx.audit(es as Record<string, unknown>[])) };
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

export async function benchLog(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-log-'));
  const secret = (n: number): string => randomBytes(n).toString('base64url');
  const hsm = await startHsmSim({ dataDir: join(dir, 'hsm'), masterSecret: secret(32), soPin: secret(12), userPin: secret(12), onLog: () => {} });
  const signer = createHsmSimSigner({ endpoint: hsm.endpoint, userPin: hsm.userPin });
  const out: Record<string, number> = {};
  try {
    await signer.ensureKeys();
    const info = await signer.publicKey('checkpoint');
    const rootPem = new X509Certificate(Buffer.from(info.x5c[info.x5c.length - 1] as string, 'base64')).toString();

    // 1. Durable group-commit appends: CLIENTS concurrent callers, each awaiting its own append.
    {
      const { store, log, append } = await openLog(join(dir, 'append.db'), signer);
      let next = 0;
      const t0 = performance.now();
      const client = async (): Promise<void> => {
        while (next < APPENDS) {
          const i = next++;
          await append([envelope(i, Date.now())]);
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, client));
      const secs = (performance.now() - t0) / 1000;
      out['log_append_rps'] = Math.round(APPENDS / secs);
      await log.close();
      await store.close();
    }

    // 2. Proofs at 1,000,000 entries (built with batch appends).
    const { store, log, append } = await openLog(join(dir, 'big.db'), signer, null);
    {
      const t0 = performance.now();
      const start = Date.now();
      for (let i = 0; i < BIG; i += 10_000) {
        const batch = [];
        for (let j = i; j < i + 10_000; j++) batch.push(envelope(j, start + j));
        await append(batch);
      }
      out['log_build_entries_per_s'] = Math.round(BIG / ((performance.now() - t0) / 1000));
      const rand = lcg(7);
      const samples: number[] = [];
      for (let k = 0; k < 3000; k++) {
        const idx = Math.floor(rand() * BIG);
        const t = performance.now();
        await log.inclusionProof(idx, BIG);
        samples.push((performance.now() - t) * 1000);
      }
      samples.sort((a, b) => a - b);
      out['log_inclusion_proof_us_1m'] = Math.round(samples.reduce((a, b) => a + b, 0) / samples.length);
      out['log_inclusion_proof_us_1m_p99'] = Math.round(samples[Math.floor(samples.length * 0.99)] as number);
      const cons: number[] = [];
      for (let k = 0; k < 1000; k++) {
        const m = 1 + Math.floor(rand() * (BIG - 1));
        const t = performance.now();
        await log.consistencyProof(m, BIG);
        cons.push((performance.now() - t) * 1000);
      }
      out['log_consistency_proof_us_1m'] = Math.round(cons.reduce((a, b) => a + b, 0) / cons.length);
      const t = performance.now();
      for (let k = 0; k < 1000; k++) await log.root(BIG - k);
      out['log_root_us_1m'] = Math.round(((performance.now() - t) * 1000) / 1000);
    }

    // 3. The offline verifier over a 1,000,000-entry bundle, from JSON text to report.
    {
      await log.checkpoint();
      const text = JSON.stringify(await buildExportBundle(log, { freshCheckpoint: false }));
      const t0 = performance.now();
      const report = await verifyBundle(text, { rootPem });
      const secs = (performance.now() - t0) / 1000;
      if (!report.ok) throw new Error(`bench bundle failed verification: ${report.checks.filter((c) => c.status === 'fail').map((c) => c.id).join(', ')}`);
      out['verifier_entries_per_s'] = Math.round(BIG / secs);
    }
    await log.close();
    await store.close();
  } finally {
    await signer.close();
    await hsm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.main) {
  console.log(await benchLog());
}
