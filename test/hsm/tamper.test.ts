/**
 * Tamper response: the case opened (SIGUSR2) or an SO `tamper` command leads to a tamper record
 * signed by the device key, then zeroization; from then on every operation but `status` is refused
 * with DEVICE_ZEROIZED, across restarts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyStatement } from '../../hsm-sim/attestation/statements.ts';
import type { HsmSimConnection } from '../../hsm-sim/client/connection.ts';
import { OPERATIONS } from '../../hsm-sim/protocol/operations.ts';
import { createHsmSimSigner } from '../../src/adapters/signer/hsm-sim-signer.ts';
import { Cleanup, SO_PIN, USER_PIN, connect, loggedIn, rejectsWith, startDevice, tempDir, waitFor, type Device } from './helpers.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const msg = Buffer.from('x').toString('base64');
const sig = Buffer.alloc(64).toString('base64');
const key = { label: 'analog-firewall-receipt' };

/** One well-formed request for every operation except status. */
const EVERY_OPERATION: Record<string, Record<string, unknown>> = {
  initToken: { soPin: SO_PIN, label: 'again' },
  login: { role: 'user', pin: USER_PIN },
  logout: {},
  initPin: { pin: USER_PIN },
  generateKey: { label: 'after-tamper', algorithm: 'Ed25519', purposes: ['receipt'] },
  listKeys: {},
  getPublicKey: { key },
  attestation: {},
  sign: { key, purpose: 'receipt', mechanism: 'EdDSA', data: msg },
  signBatch: { key, purpose: 'receipt', mechanism: 'EdDSA', data: [msg, msg] },
  verify: { key, mechanism: 'EdDSA', data: msg, signature: sig },
  random: { length: 16 },
  encrypt: { key: { label: 'analog-firewall-seal' }, purpose: 'seal', mechanism: 'AES-GCM', data: msg, aad: '' },
  decrypt: { key: { label: 'analog-firewall-seal' }, purpose: 'seal', mechanism: 'AES-GCM', iv: 'AAAAAAAAAAAAAAAA', data: 'AAAAAAAAAAAAAAAAAAAAAA==', aad: '' },
  exportPrivateKey: { key },
  destroyKey: { key },
  auditHead: {},
  auditExport: {},
  tamper: {},
};

async function expectAllRefused(c: HsmSimConnection): Promise<void> {
  for (const [op, fields] of Object.entries(EVERY_OPERATION)) {
    const e = await rejectsWith(c.request(op, fields), 'DEVICE_ZEROIZED');
    expect(e.message).toMatch(/zeroized/);
  }
  expect((await c.request<{ state: string }>('status')).state).toBe('zeroized');
}

async function armedDevice(dir: string): Promise<{ dev: Device; root: string; signer: ReturnType<typeof createHsmSimSigner> }> {
  const dev = await startDevice(cleanup, dir);
  const signer = createHsmSimSigner({ socketPath: dev.socketPath, userPin: dev.userPin });
  cleanup.add(() => signer.close());
  const keys = await signer.ensureKeys();
  await signer.sign('receipt', new Uint8Array([1, 2, 3]));
  return { dev, root: keys[0]!.x5c[1]!, signer };
}

describe('tamper response', () => {
  it('covers every operation in the table', () => {
    expect(Object.keys(EVERY_OPERATION).sort()).toEqual(Object.keys(OPERATIONS).filter((o) => o !== 'status').sort());
  });

  it('SIGUSR2 (case opened): signed tamper record, zeroized keys, every operation refused, also after restart', async () => {
    const dir = await tempDir(cleanup);
    const { dev, root, signer } = await armedDevice(dir);
    const user = await loggedIn(cleanup, dev.endpoint, 'user');
    const anon = connect(cleanup, dev.endpoint);

    dev.process.kill('SIGUSR2');
    await waitFor(() => dev.logs.some((l) => l.includes('"event":"tamper"')), 10_000, 'tamper log line');

    await expectAllRefused(user);
    await expectAllRefused(anon);
    const e = await rejectsWith(signer.sign('receipt', new Uint8Array([1])), 'DEVICE_ZEROIZED');
    expect((e as unknown as { status: number }).status).toBe(503);
    expect(await signer.health()).toMatchObject({ ok: false, reason: expect.stringMatching(/^DEVICE_ZEROIZED/) });

    // The record was signed by the device key before it was destroyed.
    const signed = JSON.parse(await readFile(join(dir, 'tamper.json'), 'utf8'));
    expect(signed.record).toMatchObject({ reason: 'case-opened', deviceSerial: dev.deviceSerial, type: 'analog-firewall/hsm-sim-tamper/1' });
    expect(signed.record.keysZeroized.map((k: { label: string }) => k.label).sort()).toEqual(
      ['challenge', 'checkpoint', 'receipt', 'session', 'token', 'webhook'].map((p) => `analog-firewall-${p}`),
    );
    expect(verifyStatement(root, signed.record, signed.signature)).toBe(true);
    expect(verifyStatement(root, { ...signed.record, reason: 'nothing happened' }, signed.signature)).toBe(false);
    expect((await anon.request<{ tamper: unknown }>('status')).tamper).toEqual(signed);

    // Nothing sealed is left in the store.
    const store = JSON.parse(await readFile(join(dir, 'store.json'), 'utf8'));
    expect(store.body.state).toBe('zeroized');
    expect(store.body.keys).toEqual([]);
    expect(store.body.device.sealedKey).toBeUndefined();
    expect(JSON.stringify(store)).not.toMatch(/"ciphertext"/);

    const audit = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.map((a) => a.op)).toEqual(expect.arrayContaining(['device.tamper', 'device.zeroize']));

    // Still zeroized after a restart: the state is persisted, not just in memory.
    await dev.stop();
    const again = await startDevice(cleanup, dir);
    expect(again.state).toBe('zeroized');
    await expectAllRefused(connect(cleanup, again.endpoint));
  });

  it('SO tamper command zeroizes with its own reason; the SO session is refused afterwards', async () => {
    const dir = await tempDir(cleanup);
    const { dev, root } = await armedDevice(dir);
    const so = await loggedIn(cleanup, dev.endpoint, 'so');
    const r = await so.request<{ tamper: { record: { reason: string; message: string }; signature: string } }>('tamper', { reason: 'annual tamper drill' });
    expect(r.tamper.record).toMatchObject({ reason: 'so-command', message: 'annual tamper drill' });
    expect(verifyStatement(root, r.tamper.record, r.tamper.signature)).toBe(true);
    await expectAllRefused(so);
    expect(dev.process.exitCode).toBeNull();
  });
});
