/**
 * The hsm-sim client under device failures: SIGNER_UNAVAILABLE while the device is down, recovery
 * when it is back, a rejected PIN not retried into a lockout, large batches split into frames.
 */
import { createPublicKey, verify } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createHsmSimSigner, hsmSimSignerOptionsFromEnv } from '../../src/adapters/signer/hsm-sim-signer.ts';
import { Cleanup, connect, rejectsWith, startDevice, tempDir } from '../hsm/helpers.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('hsm-sim signer: availability', () => {
  it('fails fast with SIGNER_UNAVAILABLE while the device is down and recovers when it returns', async () => {
    const dir = await tempDir(cleanup);
    const dev = await startDevice(cleanup, dir);
    const signer = createHsmSimSigner({ socketPath: dev.socketPath, userPin: dev.userPin, connectTimeoutMs: 1000 });
    cleanup.add(() => signer.close());
    const [receipt] = await signer.ensureKeys();
    const before = await signer.sign('receipt', new Uint8Array([1]));

    await dev.stop();
    const started = Date.now();
    const e = await rejectsWith(signer.sign('receipt', new Uint8Array([2])), 'SIGNER_UNAVAILABLE');
    expect((e as unknown as { status: number }).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(1500);
    await rejectsWith(signer.random(8), 'SIGNER_UNAVAILABLE');
    await rejectsWith(signer.signBatch('receipt', [new Uint8Array([3])]), 'SIGNER_UNAVAILABLE');
    expect(await signer.health()).toMatchObject({ ok: false, reason: expect.stringMatching(/^SIGNER_UNAVAILABLE/) });

    const back = await startDevice(cleanup, dir);
    expect(back.socketPath).toBe(dev.socketPath);
    const after = await signer.sign('receipt', new Uint8Array([2]));
    expect(after.kid).toBe(before.kid);
    expect(after.counter).toBeGreaterThan(before.counter);
    expect(verify(null, new Uint8Array([2]), createPublicKey({ key: receipt!.jwk as import('node:crypto').JsonWebKey, format: 'jwk' }), after.signature)).toBe(true);
    expect(await signer.health()).toEqual({ ok: true });
  });

  it('a request in flight when the device dies fails with SIGNER_UNAVAILABLE, not a hang', async () => {
    const dir = await tempDir(cleanup);
    const dev = await startDevice(cleanup, dir);
    const signer = createHsmSimSigner({ socketPath: dev.socketPath, userPin: dev.userPin });
    cleanup.add(() => signer.close());
    await signer.ensureKeys();
    const big = Array.from({ length: 20_000 }, (_, i) => new TextEncoder().encode(`m${i}`));
    const pending = signer.signBatch('receipt', big);
    // 20 000 signatures take the device most of a second: kill it while it is working on them.
    await new Promise((r) => setTimeout(r, 100));
    dev.process.kill('SIGKILL');
    await rejectsWith(pending, 'SIGNER_UNAVAILABLE');
  });

  it('stops after a rejected PIN instead of walking the device into a lockout', async () => {
    const dev = await startDevice(cleanup, await tempDir(cleanup));
    const signer = createHsmSimSigner({ socketPath: dev.socketPath, userPin: 'not-the-pin-1' });
    cleanup.add(() => signer.close());
    await rejectsWith(signer.sign('receipt', new Uint8Array([1])), 'PIN_INCORRECT');
    for (let i = 0; i < 6; i++) await rejectsWith(signer.random(4), 'PIN_INCORRECT');
    const status = await connect(cleanup, dev.endpoint).request<{ pins: { user: { failures: number; locked: boolean } } }>('status');
    expect(status.pins.user).toMatchObject({ failures: 1, locked: false });
  });

  it('splits a batch larger than one frame allows and keeps the order', async () => {
    const dev = await startDevice(cleanup, await tempDir(cleanup));
    const signer = createHsmSimSigner({ socketPath: dev.socketPath, userPin: dev.userPin });
    cleanup.add(() => signer.close());
    const keys = await signer.ensureKeys();
    const key = createPublicKey({ key: keys[0]!.jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    // 9000 items (> 8192 per frame) plus items too big for a batch frame (> 64 KiB).
    const messages = Array.from({ length: 9000 }, (_, i) => (i % 3000 === 1 ? new Uint8Array(70 * 1024).fill(i % 251) : new TextEncoder().encode(`n${i}`)));
    const sigs = await signer.signBatch('receipt', messages);
    expect(sigs).toHaveLength(messages.length);
    for (const i of [0, 1, 2, 3001, 8191, 8192, 8193, 8999]) expect(verify(null, messages[i]!, key, sigs[i]!.signature)).toBe(true);
    expect(new Set(sigs.map((s) => s.counter)).size).toBe(messages.length);
  });

  it('reads its configuration from the environment', () => {
    expect(hsmSimSignerOptionsFromEnv({ HSM_SIM_USER_PIN: 'p1n-1234', HSM_SIM_SOCKET: '/run/hsm.sock' })).toEqual({ userPin: 'p1n-1234', socketPath: '/run/hsm.sock' });
    expect(hsmSimSignerOptionsFromEnv({ HSM_SIM_USER_PIN: 'p1n-1234', HSM_SIM_TCP: '127.0.0.1:7400', SIGNER_LABEL_PREFIX: 'af' })).toEqual({
      userPin: 'p1n-1234',
      host: '127.0.0.1',
      port: 7400,
      labelPrefix: 'af',
    });
    expect(() => hsmSimSignerOptionsFromEnv({})).toThrow(expect.objectContaining({ code: 'SIGNER_CONFIG_INVALID' }));
    expect(() => hsmSimSignerOptionsFromEnv({ HSM_SIM_USER_PIN: 'x', HSM_SIM_TCP: 'nope' })).toThrow(expect.objectContaining({ code: 'SIGNER_CONFIG_INVALID' }));
  });

  it('waits for nothing when the socket path does not exist', async () => {
    const dir = await tempDir(cleanup);
    const signer = createHsmSimSigner({ socketPath: `${dir}/absent.sock`, userPin: 'whatever-1' });
    cleanup.add(() => signer.close());
    await rejectsWith(signer.publicKey('receipt'), 'SIGNER_UNAVAILABLE');
  });
});
