/**
 * Tamper evidence at rest: an edited store, an older store copied back (alone, or with its anchor),
 * a deleted store, an edited audit log: each is detected at power-on and answered by zeroization
 * with a signed tamper record. A wrong master secret is not tamper: the device refuses to start and
 * leaves every file untouched.
 */
import { X509Certificate } from 'node:crypto';
import { copyFile, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyStatement } from '../../hsm-sim/attestation/statements.ts';
import { createHsmSimSigner } from '../../src/adapters/signer/hsm-sim-signer.ts';
import { startHsmSim } from '../../src/adapters/signer/hsm-sim-process.ts';
import { Cleanup, SO_PIN, USER_PIN, connect, loggedIn, rejectsWith, startDevice, tempDir, type Device } from './helpers.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function deviceWithKeys(dir: string): Promise<{ dev: Device; root: string }> {
  const dev = await startDevice(cleanup, dir);
  const signer = createHsmSimSigner({ socketPath: dev.socketPath, userPin: dev.userPin });
  const keys = await signer.ensureKeys();
  await signer.close();
  return { dev, root: keys[0]!.x5c[1]! };
}

async function expectZeroized(dir: string, root: string, reason: string): Promise<void> {
  const dev = await startDevice(cleanup, dir);
  expect(dev.state).toBe('zeroized');
  const c = connect(cleanup, dev.endpoint);
  const status = await c.request<{ state: string; tamper: { record: { reason: string }; signature: string | null } }>('status');
  expect(status.state).toBe('zeroized');
  expect(status.tamper.record.reason).toBe(reason);
  expect(status.tamper.signature).not.toBeNull();
  expect(verifyStatement(root, status.tamper.record, status.tamper.signature!)).toBe(true);
  await rejectsWith(c.request('login', { role: 'user', pin: USER_PIN }), 'DEVICE_ZEROIZED');
  await rejectsWith(c.request('getPublicKey', { key: { label: 'analog-firewall-receipt' } }), 'DEVICE_ZEROIZED');
  expect(dev.logs.join('\n')).toContain(`"reason":"${reason}"`);
}

describe('store integrity at power-on', () => {
  it('a clean restart resumes: keys usable, counter continues above every value handed out', async () => {
    const dir = await tempDir(cleanup);
    const { dev } = await deviceWithKeys(dir);
    const s1 = createHsmSimSigner({ socketPath: dev.socketPath, userPin: dev.userPin });
    const before = await s1.sign('receipt', new Uint8Array([1]));
    await s1.close();
    await dev.stop();
    const again = await startDevice(cleanup, dir);
    expect(again.state).toBe('active');
    const s2 = createHsmSimSigner({ socketPath: again.socketPath, userPin: again.userPin });
    cleanup.add(() => s2.close());
    const after = await s2.sign('receipt', new Uint8Array([1]));
    expect(after.kid).toBe(before.kid);
    expect(after.counter).toBeGreaterThan(before.counter);
  });

  it('detects a hand-edited store (MAC) and zeroizes', async () => {
    const dir = await tempDir(cleanup);
    const { dev, root } = await deviceWithKeys(dir);
    await dev.stop();
    const path = join(dir, 'store.json');
    const store = JSON.parse(await readFile(path, 'utf8'));
    // The edit an attacker wants: clear the user PIN lockout counter / give a key a wider purpose.
    store.body.keys[0].purposes = ['receipt', 'token'];
    await writeFile(path, JSON.stringify(store, null, 2));
    await expectZeroized(dir, root, 'store-modified');
  });

  it('detects a single changed byte anywhere in the store', async () => {
    const dir = await tempDir(cleanup);
    const { dev, root } = await deviceWithKeys(dir);
    await dev.stop();
    const path = join(dir, 'store.json');
    const text = await readFile(path, 'utf8');
    const at = text.indexOf('"createdAt": "') + 16;
    await writeFile(path, text.slice(0, at) + (text[at] === '1' ? '2' : '1') + text.slice(at + 1));
    await expectZeroized(dir, root, 'store-modified');
  });

  it('detects a rolled-back store (older copy put back) via the anchor', async () => {
    const dir = await tempDir(cleanup);
    const { dev, root } = await deviceWithKeys(dir);
    await copyFile(join(dir, 'store.json'), join(dir, 'store.old'));
    // Advance the store: a wrong PIN is exactly what an attacker would like to roll back.
    await rejectsWith(connect(cleanup, dev.endpoint).request('login', { role: 'user', pin: 'wrong-pin-000' }), 'PIN_INCORRECT');
    await dev.stop();
    await copyFile(join(dir, 'store.old'), join(dir, 'store.json'));
    await expectZeroized(dir, root, 'store-rollback');
  });

  it('detects store and anchor rolled back together via the audit log', async () => {
    const dir = await tempDir(cleanup);
    const { dev, root } = await deviceWithKeys(dir);
    await copyFile(join(dir, 'store.json'), join(dir, 'store.old'));
    await copyFile(join(dir, 'anchor.json'), join(dir, 'anchor.old'));
    const user = await loggedIn(cleanup, dev.endpoint, 'user');
    await user.request('generateKey', { label: 'later', algorithm: 'Ed25519', purposes: ['receipt'] });
    await dev.stop();
    await copyFile(join(dir, 'store.old'), join(dir, 'store.json'));
    await copyFile(join(dir, 'anchor.old'), join(dir, 'anchor.json'));
    await expectZeroized(dir, root, 'store-rollback');
  });

  it('detects a deleted store', async () => {
    const dir = await tempDir(cleanup);
    const { dev } = await deviceWithKeys(dir);
    await dev.stop();
    await rm(join(dir, 'store.json'));
    const again = await startDevice(cleanup, dir);
    expect(again.state).toBe('zeroized');
    const status = await connect(cleanup, again.endpoint).request<{ tamper: { record: { reason: string }; signature: null } }>('status');
    expect(status.tamper.record.reason).toBe('store-missing');
    // With the store gone the device key is gone too: the record says so by being unsigned.
    expect(status.tamper.signature).toBeNull();
  });

  it('detects an edited audit log, keeps the broken log as evidence and starts a new chain', async () => {
    const dir = await tempDir(cleanup);
    const { dev, root } = await deviceWithKeys(dir);
    await dev.stop();
    const path = join(dir, 'audit.jsonl');
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    const i = lines.findIndex((l) => l.includes('"op":"generateKey"'));
    const entry = JSON.parse(lines[i]!);
    entry.outcome = 'KEY_EXISTS';
    lines[i] = JSON.stringify(entry);
    await writeFile(path, lines.join('\n') + '\n');
    await expectZeroized(dir, root, 'audit-log-broken');
    const files = await readdir(dir);
    expect(files.some((f) => f.startsWith('audit.jsonl.broken-'))).toBe(true);
    const fresh = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(fresh[0]).toMatchObject({ index: 0, op: 'audit.restart' });
  });

  it('a wrong master secret refuses to start and changes nothing', async () => {
    const dir = await tempDir(cleanup);
    const { dev } = await deviceWithKeys(dir);
    await dev.stop();
    const before = await Promise.all(['store.json', 'anchor.json', 'audit.jsonl'].map((f) => readFile(join(dir, f))));
    const logs: string[] = [];
    await expect(
      startHsmSim({ dataDir: dir, masterSecret: 'a-different-master-secret-of-sufficient-length', soPin: SO_PIN, userPin: USER_PIN, onLog: (l) => logs.push(l) }),
    ).rejects.toMatchObject({ code: 'SIGNER_UNAVAILABLE', message: expect.stringMatching(/code 78/) });
    expect(logs.join('\n')).toMatch(/master secret does not match/);
    const after = await Promise.all(['store.json', 'anchor.json', 'audit.jsonl'].map((f) => readFile(join(dir, f))));
    after.forEach((b, i) => expect(b.equals(before[i]!)).toBe(true));
    // And the right secret still opens it.
    const ok = await startDevice(cleanup, dir);
    expect(ok.state).toBe('active');
    expect(new X509Certificate(Buffer.from((await connect(cleanup, ok.endpoint).request<{ chain: string[] }>('attestation')).chain[0]!, 'base64')).subject).toContain(ok.deviceSerial);
  });
});
