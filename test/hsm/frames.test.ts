/**
 * The wire, attacked: oversized and malformed frames get their own error codes, the connection
 * keeps working (or is closed cleanly), and the device process never falls over.
 */
import { existsSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHsmSim } from '../../src/adapters/signer/hsm-sim-process.ts';
import { Cleanup, MASTER_SECRET, RawClient, SO_PIN, USER_PIN, connect, frameOf, startDevice, tempDir, waitFor, type Device } from './helpers.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const MAX = 2048;

async function device(): Promise<Device> {
  return startDevice(cleanup, await tempDir(cleanup), { env: { HSM_SIM_MAX_FRAME_BYTES: String(MAX) } });
}

async function expectAlive(dev: Device): Promise<void> {
  expect(dev.process.exitCode).toBeNull();
  const s = await connect(cleanup, dev.endpoint).request<{ state: string }>('status');
  expect(s.state).toBe('active');
}

function errorOf(f: Record<string, unknown>): { code: string; message: string } {
  expect(f.ok).toBe(false);
  return f.error as { code: string; message: string };
}

describe('framing and request parsing', () => {
  it('an oversized frame gets FRAME_TOO_LARGE, its body is skipped, and the connection carries on', async () => {
    const dev = await device();
    const c = await RawClient.open(cleanup, dev.endpoint);
    const big = Buffer.from(JSON.stringify({ id: 1, op: 'random', length: 8, pad: 'x'.repeat(MAX * 3) }));
    // Sent in pieces so the device must skip across chunk boundaries.
    const framed = frameOf(big);
    for (let i = 0; i < framed.length; i += 1000) c.write(framed.subarray(i, i + 1000));
    const e = errorOf(await c.next());
    expect(e.code).toBe('FRAME_TOO_LARGE');
    c.send({ id: 2, op: 'random', length: 8 });
    const ok = await c.next();
    expect(ok).toMatchObject({ id: 2, ok: true });
    await expectAlive(dev);
  });

  it('a declared length of 4 GiB is refused at once without buffering', async () => {
    const dev = await device();
    const c = await RawClient.open(cleanup, dev.endpoint);
    c.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7b]));
    expect(errorOf(await c.next()).code).toBe('FRAME_TOO_LARGE');
    c.socket.destroy();
    await expectAlive(dev);
  });

  it('malformed frames get FRAME_MALFORMED and the same connection still works', async () => {
    const dev = await device();
    const c = await RawClient.open(cleanup, dev.endpoint);
    const bodies = [
      Buffer.from('{"id":1,"op":'), // truncated JSON
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), // invalid UTF-8
      Buffer.from('[1,2,3]'), // not an object
      Buffer.from('null'),
      Buffer.from('"status"'),
      Buffer.alloc(0), // empty frame
      Buffer.from('['.repeat(MAX - 10)), // deep nesting, within the size limit
    ];
    for (const body of bodies) {
      c.write(frameOf(body));
      const e = errorOf(await c.next());
      expect(e.code, body.subarray(0, 20).toString()).toBe('FRAME_MALFORMED');
    }
    c.send({ id: 'after', op: 'status' });
    expect(await c.next()).toMatchObject({ id: 'after', ok: true });
    await expectAlive(dev);
  });

  it('bad envelopes and fields get REQUEST_INVALID / UNKNOWN_OPERATION, never a crash', async () => {
    const dev = await device();
    const c = await RawClient.open(cleanup, dev.endpoint);
    const cases: [unknown, string][] = [
      [{ op: 'status' }, 'REQUEST_INVALID'], // no id
      [{ id: -1, op: 'status' }, 'REQUEST_INVALID'],
      [{ id: 'x'.repeat(200), op: 'status' }, 'REQUEST_INVALID'],
      [{ id: 1 }, 'REQUEST_INVALID'], // no op
      [{ id: 1, op: 42 }, 'REQUEST_INVALID'],
      [{ id: 1, op: 'formatDisk' }, 'UNKNOWN_OPERATION'],
      [{ id: 1, op: '__proto__' }, 'UNKNOWN_OPERATION'],
      [{ id: 1, op: 'toString' }, 'UNKNOWN_OPERATION'],
      [{ id: 1, op: 'status', extra: true }, 'REQUEST_INVALID'],
      [{ id: 1, op: 'random', length: 'ten' }, 'REQUEST_INVALID'],
      [{ id: 1, op: 'random', length: 1e9 }, 'REQUEST_INVALID'],
      [{ id: 1, op: 'random', length: 1.5 }, 'REQUEST_INVALID'],
      [{ id: 1, op: 'login', role: 'root', pin: USER_PIN }, 'REQUEST_INVALID'],
      [{ id: 1, op: 'login', role: 'user', pin: ['a'] }, 'REQUEST_INVALID'],
      [{ id: 1, op: 'getPublicKey', key: 'label' }, 'REQUEST_INVALID'],
      [{ id: 1, op: 'getPublicKey', key: {} }, 'REQUEST_INVALID'],
      [{ id: 1, op: 'getPublicKey', key: { label: '../etc' } }, 'REQUEST_INVALID'],
      [{ id: 1, op: 'getPublicKey', key: { label: 'a', extractable: true } }, 'REQUEST_INVALID'],
      [{ id: 1, op: 'getPublicKey', key: { label: 'nope' } }, 'KEY_NOT_FOUND'],
      [{ id: 1, op: 'verify', key: { label: 'nope' }, mechanism: 'EdDSA', data: 'not base64!', signature: '' }, 'REQUEST_INVALID'],
    ];
    for (const [req, code] of cases) {
      c.send(req);
      const f = await c.next();
      expect(errorOf(f).code, JSON.stringify(req).slice(0, 80)).toBe(code);
    }
    await expectAlive(dev);
  });

  it('key requests check mechanism and purpose, each with its own code', async () => {
    const dev = await device();
    const c = await RawClient.open(cleanup, dev.endpoint);
    c.send({ id: 1, op: 'login', role: 'user', pin: USER_PIN });
    expect(await c.next()).toMatchObject({ ok: true });
    c.send({ id: 2, op: 'generateKey', label: 'r', algorithm: 'Ed25519', purposes: ['receipt'] });
    expect(await c.next()).toMatchObject({ ok: true });
    const data = Buffer.from('m').toString('base64');
    const cases: [Record<string, unknown>, string][] = [
      [{ op: 'sign', key: { label: 'r' }, purpose: 'receipt', mechanism: 'ECDSA-SHA256', data }, 'MECHANISM_NOT_ALLOWED'],
      [{ op: 'sign', key: { label: 'r' }, purpose: 'token', mechanism: 'EdDSA', data }, 'PURPOSE_NOT_ALLOWED'],
      [{ op: 'sign', key: { label: 'r' }, purpose: 'payroll', mechanism: 'EdDSA', data }, 'REQUEST_INVALID'],
      [{ op: 'sign', key: { label: 'missing' }, purpose: 'receipt', mechanism: 'EdDSA', data }, 'KEY_NOT_FOUND'],
      [{ op: 'sign', key: { label: 'r', id: '0'.repeat(32) }, purpose: 'receipt', mechanism: 'EdDSA', data }, 'KEY_NOT_FOUND'],
      [{ op: 'generateKey', label: 'r', algorithm: 'Ed25519', purposes: ['receipt'] }, 'KEY_EXISTS'],
      [{ op: 'generateKey', label: 'p', algorithm: 'P-256', purposes: ['token'], mechanisms: ['EdDSA'] }, 'MECHANISM_NOT_ALLOWED'],
      [{ op: 'generateKey', label: 'q', algorithm: 'RSA', purposes: ['token'] }, 'REQUEST_INVALID'],
      [{ op: 'generateKey', label: 'q', algorithm: 'Ed25519', purposes: ['receipt', 'receipt'] }, 'REQUEST_INVALID'],
      [{ op: 'exportPrivateKey', key: { label: 'r' }, format: 'pkcs8' }, 'KEY_NOT_EXTRACTABLE'],
      [{ op: 'signBatch', key: { label: 'r' }, purpose: 'receipt', mechanism: 'EdDSA', data: [] }, 'REQUEST_INVALID'],
    ];
    let id = 10;
    for (const [req, code] of cases) {
      c.send({ id: id++, ...req });
      expect(errorOf(await c.next()).code, JSON.stringify(req)).toBe(code);
    }
  });

  it('answers frames split into single bytes and many frames in one write, in order', async () => {
    const dev = await device();
    const c = await RawClient.open(cleanup, dev.endpoint);
    const one = frameOf(Buffer.from(JSON.stringify({ id: 'slow', op: 'random', length: 4 })));
    for (const b of one) {
      c.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    expect(await c.next()).toMatchObject({ id: 'slow', ok: true });
    c.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => frameOf(Buffer.from(JSON.stringify({ id: i, op: 'random', length: 4 }))))));
    for (let i = 0; i < 50; i++) expect(await c.next()).toMatchObject({ id: i, ok: true });
  });

  it('survives peers vanishing mid-frame', async () => {
    const dev = await device();
    for (let i = 0; i < 20; i++) {
      const c = await RawClient.open(cleanup, dev.endpoint);
      c.write(Buffer.concat([Buffer.from([0, 0, 1, 0]), Buffer.from('{"id":1,"op":"sta')]));
      c.socket.destroy();
    }
    await expectAlive(dev);
  });

  it('all error codes seen above are distinct from one another', async () => {
    // A guard on the protocol table itself: one code, one meaning.
    const { DEVICE_ERROR_CODES } = await import('../../hsm-sim/protocol/error-codes.ts');
    expect(new Set(DEVICE_ERROR_CODES).size).toBe(DEVICE_ERROR_CODES.length);
    for (const c of ['FRAME_TOO_LARGE', 'FRAME_MALFORMED', 'KEY_NOT_FOUND', 'MECHANISM_NOT_ALLOWED', 'PURPOSE_NOT_ALLOWED', 'PIN_INCORRECT', 'PIN_LOCKED', 'NOT_LOGGED_IN', 'SESSION_CLOSED', 'DEVICE_ZEROIZED']) {
      expect(DEVICE_ERROR_CODES).toContain(c);
    }
  });
});

describe('transport', () => {
  it('the Unix socket is created 0600 and the data directory 0700', async () => {
    const dev = await device();
    expect(statSync(dev.socketPath).mode & 0o777).toBe(0o600);
    expect(statSync(dev.dataDir).mode & 0o777).toBe(0o700);
    for (const f of ['store.json', 'anchor.json', 'audit.jsonl']) expect(statSync(join(dev.dataDir, f)).mode & 0o777).toBe(0o600);
  });

  it('serves TCP on loopback and refuses any other address without TLS', async () => {
    const dir = await tempDir(cleanup);
    const dev = await startDevice(cleanup, dir, { tcp: { host: '127.0.0.1', port: 0 } });
    expect(dev.endpoint).toMatchObject({ host: '127.0.0.1' });
    expect((dev.endpoint as { port: number }).port).toBeGreaterThan(0);
    const c = connect(cleanup, dev.endpoint);
    await c.request('login', { role: 'user', pin: USER_PIN });
    expect((await c.request<{ bytes: string }>('random', { length: 16 })).bytes).toHaveLength(24);
    await dev.stop();

    const logs: string[] = [];
    await expect(
      startHsmSim({ dataDir: await tempDir(cleanup), masterSecret: MASTER_SECRET, soPin: SO_PIN, userPin: USER_PIN, tcp: { host: '0.0.0.0', port: 0 }, onLog: (l) => logs.push(l) }),
    ).rejects.toMatchObject({ code: 'SIGNER_UNAVAILABLE' });
    expect(logs.join('\n')).toMatch(/HSM_SIM_TCP: 0\.0\.0\.0 is not a loopback address; plain TCP is refused there/);
  });

  it('on SIGTERM, answers SESSION_CLOSED to requests on open sessions, then closes them and exits 0', async () => {
    const dev = await device();
    const c = await RawClient.open(cleanup, dev.endpoint);
    c.send({ id: 1, op: 'status' });
    expect(await c.next()).toMatchObject({ id: 1, ok: true });
    dev.process.kill('SIGTERM');
    await waitFor(() => dev.logs.some((l) => l.includes('"event":"shutdown"')), 5000, 'shutdown log line');
    c.send({ id: 2, op: 'status' });
    expect(errorOf(await c.next()).code).toBe('SESSION_CLOSED');
    await c.closed;
    if (dev.process.exitCode === null) await once(dev.process, 'exit');
    expect(dev.process.exitCode).toBe(0);
    expect(existsSync(dev.socketPath)).toBe(false);
    expect(existsSync(join(dev.dataDir, 'lock'))).toBe(false);
  });
});
