/**
 * Signing throughput, all in one run on this machine:
 *   raw_sign_rps             node:crypto Ed25519 in this process (the ceiling)
 *   hsm_sim_sign_rps         hsm-sim, Ed25519, one signature per round trip, sequential
 *   hsm_sim_batch_sign_rps   hsm-sim, Ed25519, signBatch of 1000 per round trip (target >= 0.5 x raw)
 *   softhsm_sign_rps         PKCS#11 SoftHSMv2, Ed25519, one at a time, sequential
 *   softhsm_batch_sign_rps   PKCS#11 SoftHSMv2, Ed25519, signBatch spread over a 4-session pool
 * Starts and stops its own hsm-sim process and SoftHSM token in temp directories.
 * `npm run bench -- hsm` runs it alone.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Signer } from '../src/core/signer.ts';
import { createHsmSimSigner } from '../src/adapters/signer/hsm-sim-signer.ts';
import { startHsmSim } from '../src/adapters/signer/hsm-sim-process.ts';
import { createPkcs11Signer } from '../src/adapters/signer/pkcs11-signer.ts';

const MESSAGE_BYTES = 64;

function messages(n: number): Uint8Array[] {
  return Array.from({ length: n }, () => new Uint8Array(randomBytes(MESSAGE_BYTES)));
}

/** Runs `fn` for at least `minMs`, returns operations per second. */
async function rate(minMs: number, fn: () => Promise<number> | number): Promise<number> {
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) ops += await fn();
  return ops / ((performance.now() - start) / 1000);
}

function rawSignRps(): number {
  const { privateKey } = generateKeyPairSync('ed25519');
  const msgs = messages(1000);
  for (const m of msgs.slice(0, 200)) sign(null, m, privateKey); // warm-up
  const start = performance.now();
  let ops = 0;
  while (performance.now() - start < 1500) {
    for (const m of msgs) sign(null, m, privateKey);
    ops += msgs.length;
  }
  return ops / ((performance.now() - start) / 1000);
}

async function signerRates(signer: Signer, batchSize: number): Promise<{ single: number; batch: number }> {
  const one = messages(1)[0]!;
  for (let i = 0; i < 200; i++) await signer.sign('receipt', one); // warm-up
  const single = await rate(1500, async () => {
    await signer.sign('receipt', one);
    return 1;
  });
  const batchMsgs = messages(batchSize);
  await signer.signBatch('receipt', batchMsgs);
  const batch = await rate(2000, async () => (await signer.signBatch('receipt', batchMsgs)).length);
  return { single, batch };
}

async function benchHsmSim(dir: string): Promise<{ single: number; batch: number }> {
  const dev = await startHsmSim({ dataDir: join(dir, 'hsm-sim'), masterSecret: randomBytes(32).toString('hex'), soPin: 'bench-so-pin', userPin: 'bench-user-pin', logLevel: 'warn', onLog: () => {} });
  try {
    const signer = createHsmSimSigner({ socketPath: dev.socketPath, userPin: dev.userPin });
    try {
      await signer.ensureKeys();
      return await signerRates(signer, 1000);
    } finally {
      await signer.close();
    }
  } finally {
    await dev.stop();
  }
}

async function benchSoftHsm(dir: string): Promise<{ single: number; batch: number } | undefined> {
  const init = spawnSync('bash', [resolve(import.meta.dirname, '../scripts/softhsm-init.sh'), join(dir, 'softhsm'), 'bench', '12345678', '123456'], { encoding: 'utf8' });
  if (init.status !== 0) {
    process.stderr.write(`bench: SoftHSM unavailable, skipping (${init.stderr.trim()})\n`);
    return undefined;
  }
  const vars = Object.fromEntries([...init.stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, '$1')]));
  const previous = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = vars.SOFTHSM2_CONF;
  try {
    const signer = await createPkcs11Signer({ library: vars.PKCS11_LIBRARY!, pin: '123456', tokenLabel: 'bench', poolSize: 4 });
    try {
      await signer.ensureKeys();
      return await signerRates(signer, 1000);
    } finally {
      await signer.close();
    }
  } finally {
    if (previous === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = previous;
  }
}

export async function benchHsm(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-hsm-'));
  try {
    const raw = rawSignRps();
    const sim = await benchHsmSim(dir);
    const soft = await benchSoftHsm(dir);
    const out: Record<string, number> = {
      raw_sign_rps: Math.round(raw),
      hsm_sim_sign_rps: Math.round(sim.single),
      hsm_sim_batch_sign_rps: Math.round(sim.batch),
      hsm_sim_batch_to_raw_ratio: Math.round((sim.batch / raw) * 1000) / 1000,
    };
    if (soft !== undefined) {
      out.softhsm_sign_rps = Math.round(soft.single);
      out.softhsm_batch_sign_rps = Math.round(soft.batch);
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  process.stdout.write(JSON.stringify(await benchHsm(), null, 2) + '\n');
}
