/**
 * End to end with the real signing seam: checkpoints signed by an hsm-sim child process, the export
 * verified against the device's attestation root.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.ts';
import { decodeBase64Strict } from '../../src/core/checkpoint/base64.ts';
import { openCheckpoint } from '../../src/core/checkpoint/checkpoint.ts';
import { buildExportBundle } from '../../src/adapters/log/export-bundle.ts';
import { startHsmSim, type HsmSimProcess } from '../../src/adapters/signer/hsm-sim-process.ts';
import { createHsmSimSigner, type HsmSimSigner } from '../../src/adapters/signer/hsm-sim-signer.ts';
import { verifyBundle } from '../../clients/regulator/verify-bundle.ts';
import { entries, openLogStore } from './helpers/fixtures.ts';

let dir: string;
let hsm: HsmSimProcess;
let signer: HsmSimSigner;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlog-hsm-'));
  const secret = (n: number): string => randomBytes(n).toString('base64url');
  hsm = await startHsmSim({ dataDir: join(dir, 'hsm'), masterSecret: secret(32), soPin: secret(12), userPin: secret(12), onLog: () => {} });
  signer = createHsmSimSigner({ endpoint: hsm.endpoint, userPin: hsm.userPin });
  await signer.ensureKeys();
});

afterAll(async () => {
  await signer?.close();
  await hsm?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('transparency log with hsm-sim', () => {
  it('signs checkpoints in the HSM and the export verifies against the device root', async () => {
    const { store, log } = await openLogStore(join(dir, 'gateway.db'), signer, systemClock, { origin: 'hsm.test/log' });
    const append = (es: object[]) => store.tx(async (tx) => tx.audit(es as Record<string, unknown>[]));
    await append(entries(500));
    const cp1 = await log.checkpoint();
    await append(entries(500, 500));
    const cp2 = await log.checkpoint();
    expect(cp2.hsmCounter).toBeGreaterThan(cp1.hsmCounter as number);
    const key = await log.verifierKey();
    expect(openCheckpoint(cp2.note, key.vkey).checkpoint.size).toBe(1000);

    const root = new X509Certificate(Buffer.from(key.x5c[key.x5c.length - 1] as string, 'base64'));
    const bundle = await buildExportBundle(log, { fromIndex: 250, freshCheckpoint: false });
    const report = await verifyBundle(JSON.stringify(bundle), { rootPem: root.toString() });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.checks.find((c) => c.id === 'key.attestation')?.note).toMatch(/purpose=checkpoint/);
    await log.close();
    await store.close();
  });

  it('decodes multi-megabyte base64 without regex backtracking', () => {
    const big = Buffer.alloc(8 << 20, 7);
    expect(decodeBase64Strict(big.toString('base64'), 'big').equals(big)).toBe(true);
    expect(() => decodeBase64Strict(`${big.toString('base64')}A`, 'big')).toThrow();
  });
});
