/**
 * The device audit log: every operation, hash-chained, exportable under the device signature, with
 * a signed head the gateway can copy into its transparency log.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyStatement } from '../../hsm-sim/attestation/statements.ts';
import { verifyChain, type AuditEntry } from '../../hsm-sim/audit/entry.ts';
import { createHsmSimSigner } from '../../src/adapters/signer/hsm-sim-signer.ts';
import { Cleanup, connect, loggedIn, rejectsWith, startDevice, tempDir } from './helpers.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface Export {
  entries: AuditEntry[];
  statement: { from: number; count: number; prevHash: string; lastHash: string; head: { index: number; hash: string } };
  signature: string;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();

describe('device audit log', () => {
  it('records every operation with role, key, mechanism, input digest and counter; the export verifies', async () => {
    const dev = await startDevice(cleanup, await tempDir(cleanup));
    const signer = createHsmSimSigner({ socketPath: dev.socketPath, userPin: dev.userPin });
    cleanup.add(() => signer.close());
    const keys = await signer.ensureKeys();
    const root = keys[0]!.x5c[1]!;
    const message = new TextEncoder().encode('audited message');
    const one = await signer.sign('receipt', message);
    const batchMessages = [new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])];
    const batch = await signer.signBatch('token', batchMessages);
    await signer.assertNonExtractable('webhook');
    await rejectsWith(connect(cleanup, dev.endpoint).request('exportPrivateKey', { key: { label: 'nope' } }), 'KEY_NOT_FOUND');

    const ex = (await signer.auditExport(0, 5000)) as unknown as Export;
    expect(verifyChain(ex.entries)).toEqual({ ok: true });
    expect(verifyStatement(root, ex.statement, ex.signature)).toBe(true);
    expect(ex.statement.lastHash).toBe(ex.entries.at(-1)!.hash);
    expect(ex.statement.count).toBe(ex.entries.length);

    const sign = ex.entries.find((e) => e.op === 'sign' && e.counter === one.counter)!;
    expect(sign).toMatchObject({ role: 'user', outcome: 'ok', mechanism: 'EdDSA', purpose: 'receipt', key: { label: 'analog-firewall-receipt' }, count: 1 });
    expect(sign.inputDigest).toBe(sha(message).toString('hex'));

    const b = ex.entries.find((e) => e.op === 'signBatch')!;
    expect(b).toMatchObject({ counter: batch[0]!.counter, count: 3, mechanism: 'ECDSA-SHA256', purpose: 'token' });
    expect(b.inputDigest).toBe(sha(Buffer.concat(batchMessages.map(sha))).toString('hex'));

    expect(ex.entries.filter((e) => e.op === 'generateKey' && e.outcome === 'ok')).toHaveLength(6);
    expect(ex.entries.some((e) => e.op === 'exportPrivateKey' && e.outcome === 'KEY_NOT_EXTRACTABLE' && e.key?.label === 'analog-firewall-webhook')).toBe(true);
    expect(ex.entries.some((e) => e.op === 'exportPrivateKey' && e.outcome === 'KEY_NOT_FOUND' && e.role === 'public')).toBe(true);
    expect(ex.entries.some((e) => e.op === 'login' && e.role === 'public' && e.detail?.role === 'user')).toBe(true);

    // Counter values are handed out without gaps: each entry's range starts where the last ended.
    let next: number | undefined;
    for (const e of ex.entries) {
      if (e.counter === undefined) continue;
      if (next !== undefined) expect(e.counter).toBe(next);
      next = e.counter + e.count;
    }
  });

  it('pages: a later segment chains onto the earlier one; a tampered entry breaks the chain', async () => {
    const dev = await startDevice(cleanup, await tempDir(cleanup));
    const user = await loggedIn(cleanup, dev.endpoint, 'user');
    for (let i = 0; i < 10; i++) await user.request('random', { length: 1 });
    const first = await user.request<Export>('auditExport', { from: 0, limit: 5 });
    const second = await user.request<Export>('auditExport', { from: 5, limit: 5 });
    expect(second.statement.prevHash).toBe(first.entries[4]!.hash);
    expect(verifyChain(second.entries, 5, second.statement.prevHash)).toEqual({ ok: true });
    const forged = structuredClone(second.entries);
    forged[2]!.outcome = 'PIN_INCORRECT';
    expect(verifyChain(forged, 5, second.statement.prevHash)).toMatchObject({ ok: false, index: 7 });
    await rejectsWith(connect(cleanup, dev.endpoint).request('auditExport', {}), 'NOT_LOGGED_IN');
  });

  it('auditHead is signed, and an earlier head stays consistent with the later log', async () => {
    const dev = await startDevice(cleanup, await tempDir(cleanup));
    const c = connect(cleanup, dev.endpoint);
    const root = (await c.request<{ chain: string[] }>('attestation')).chain[0]!;
    const h1 = await c.request<{ statement: { index: number; hash: string; deviceSerial: string }; signature: string }>('auditHead');
    expect(h1.statement.deviceSerial).toBe(dev.deviceSerial);
    expect(verifyStatement(root, h1.statement, h1.signature)).toBe(true);
    await c.request('random', { length: 4 });
    const h2 = await c.request<{ statement: { index: number; hash: string }; signature: string }>('auditHead');
    expect(h2.statement.index).toBeGreaterThan(h1.statement.index);
    const user = await loggedIn(cleanup, dev.endpoint, 'user');
    const ex = await user.request<Export>('auditExport', { from: 0, limit: 5000 });
    expect(ex.entries[h1.statement.index]!.hash).toBe(h1.statement.hash);
    expect(ex.entries[h2.statement.index]!.hash).toBe(h2.statement.hash);
  });
});
