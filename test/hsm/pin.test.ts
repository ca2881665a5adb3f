/**
 * Roles and PINs as in PKCS#11: SO initialises and administers but never uses keys; the user uses
 * keys. Wrong PINs count per role, lock the role at the limit, and the count survives restarts.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, MASTER_SECRET, SO_PIN, USER_PIN, connect, loggedIn, rejectsWith, startDevice, tempDir } from './helpers.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const WRONG = 'wrong-pin-5551';
const SHORT = 'p#1';
const data = Buffer.from('m').toString('base64');

describe('PINs and roles', () => {
  it('locks the user PIN after 5 wrong attempts, keeps it locked across a restart, SO initPin unlocks', async () => {
    const dir = await tempDir(cleanup);
    let dev = await startDevice(cleanup, dir);
    const c = connect(cleanup, dev.endpoint);
    for (let i = 1; i <= 4; i++) {
      const e = await rejectsWith(c.request('login', { role: 'user', pin: WRONG }), 'PIN_INCORRECT');
      expect(e.detail).toMatchObject({ role: 'user', remaining: 5 - i });
    }
    await rejectsWith(c.request('login', { role: 'user', pin: WRONG }), 'PIN_LOCKED');
    // Locked means locked: the right PIN is refused too.
    await rejectsWith(c.request('login', { role: 'user', pin: USER_PIN }), 'PIN_LOCKED');
    expect((await c.request<{ pins: { user: { locked: boolean; failures: number } } }>('status')).pins.user).toMatchObject({ locked: true, failures: 5 });

    await dev.stop();
    dev = await startDevice(cleanup, dir);
    const c2 = connect(cleanup, dev.endpoint);
    await rejectsWith(c2.request('login', { role: 'user', pin: USER_PIN }), 'PIN_LOCKED');

    const so = await loggedIn(cleanup, dev.endpoint, 'so');
    await so.request('initPin', { pin: 'new-user-pin-8080' });
    await c2.request('login', { role: 'user', pin: 'new-user-pin-8080' });
    expect((await c2.request<{ session: { role: string } }>('status')).session.role).toBe('user');
  });

  it('a correct PIN resets the failure count; counts are per role', async () => {
    const dev = await startDevice(cleanup, await tempDir(cleanup));
    const c = connect(cleanup, dev.endpoint);
    for (let i = 0; i < 4; i++) await rejectsWith(c.request('login', { role: 'user', pin: WRONG }), 'PIN_INCORRECT');
    await rejectsWith(c.request('login', { role: 'so', pin: WRONG }), 'PIN_INCORRECT');
    const s = await c.request<{ pins: { so: { failures: number }; user: { failures: number } } }>('status');
    expect(s.pins.user.failures).toBe(4);
    expect(s.pins.so.failures).toBe(1);
    await c.request('login', { role: 'user', pin: USER_PIN });
    const after = await c.request<{ pins: { so: { failures: number }; user: { failures: number } } }>('status');
    expect(after.pins.user.failures).toBe(0);
    expect(after.pins.so.failures).toBe(1);
  });

  it('locks the SO PIN after 5 wrong attempts without touching the user role', async () => {
    const dev = await startDevice(cleanup, await tempDir(cleanup));
    const c = connect(cleanup, dev.endpoint);
    for (let i = 0; i < 4; i++) await rejectsWith(c.request('login', { role: 'so', pin: WRONG }), 'PIN_INCORRECT');
    await rejectsWith(c.request('login', { role: 'so', pin: WRONG }), 'PIN_LOCKED');
    await rejectsWith(c.request('login', { role: 'so', pin: SO_PIN }), 'PIN_LOCKED');
    await c.request('login', { role: 'user', pin: USER_PIN });
  });

  it('enforces roles: SO never uses keys, the user never administers, nobody acts logged out', async () => {
    const dev = await startDevice(cleanup, await tempDir(cleanup));
    const user = await loggedIn(cleanup, dev.endpoint, 'user');
    await user.request('generateKey', { label: 'k1', algorithm: 'Ed25519', purposes: ['receipt'] });
    const sign = { key: { label: 'k1' }, purpose: 'receipt', mechanism: 'EdDSA', data };

    const so = await loggedIn(cleanup, dev.endpoint, 'so');
    await rejectsWith(so.request('sign', sign), 'OPERATION_NOT_PERMITTED');
    await rejectsWith(so.request('signBatch', { ...sign, data: [data] }), 'OPERATION_NOT_PERMITTED');
    await rejectsWith(so.request('generateKey', { label: 'k2', algorithm: 'Ed25519', purposes: ['receipt'] }), 'OPERATION_NOT_PERMITTED');
    await rejectsWith(user.request('destroyKey', { key: { label: 'k1' } }), 'OPERATION_NOT_PERMITTED');
    await rejectsWith(user.request('initPin', { pin: 'whatever-123' }), 'OPERATION_NOT_PERMITTED');
    await rejectsWith(user.request('tamper', {}), 'OPERATION_NOT_PERMITTED');
    await rejectsWith(user.request('login', { role: 'so', pin: SO_PIN }), 'ALREADY_LOGGED_IN');

    const anon = connect(cleanup, dev.endpoint);
    await rejectsWith(anon.request('sign', sign), 'NOT_LOGGED_IN');
    await rejectsWith(anon.request('auditExport', {}), 'NOT_LOGGED_IN');
    await rejectsWith(anon.request('logout', {}), 'NOT_LOGGED_IN');
    await user.request('logout');
    await rejectsWith(user.request('sign', sign), 'NOT_LOGGED_IN');

    // SO destroys; the key is gone for the user.
    const destroyed = await so.request<{ destroyed: { label: string } }>('destroyKey', { key: { label: 'k1' } });
    expect(destroyed.destroyed.label).toBe('k1');
    await user.request('login', { role: 'user', pin: USER_PIN });
    await rejectsWith(user.request('sign', sign), 'KEY_NOT_FOUND');
  });

  it('refuses malformed PINs with PIN_INVALID and a token initialised twice', async () => {
    const dev = await startDevice(cleanup, await tempDir(cleanup));
    const c = connect(cleanup, dev.endpoint);
    await rejectsWith(c.request('login', { role: 'user', pin: '123' }), 'PIN_INVALID');
    await rejectsWith(c.request('login', { role: 'user', pin: 'x'.repeat(129) }), 'PIN_INVALID');
    await rejectsWith(c.request('initToken', { soPin: 'another-so-pin', label: 'again' }), 'TOKEN_ALREADY_INITIALIZED');
    // Malformed PINs are not wrong PINs: nothing was counted.
    expect((await c.request<{ pins: { user: { failures: number } } }>('status')).pins.user.failures).toBe(0);
  });

  it('no PIN or master secret appears in any log line, error, audit entry or file', async () => {
    const dir = await tempDir(cleanup);
    const dev = await startDevice(cleanup, dir);
    const c = connect(cleanup, dev.endpoint);
    const messages: string[] = [];
    for (const pin of [WRONG, SHORT]) {
      try {
        await c.request('login', { role: 'user', pin });
      } catch (e) {
        messages.push((e as Error).message, JSON.stringify((e as { detail?: unknown }).detail));
      }
    }
    await c.request('login', { role: 'user', pin: USER_PIN });
    await c.request('generateKey', { label: 'k', algorithm: 'P-256', purposes: ['token'] });
    await dev.stop();
    const files = await Promise.all((await readdir(dir)).filter((f) => f !== 'embedded-secrets.json').map((f) => readFile(join(dir, f), 'utf8')));
    const haystack = [...dev.logs, ...messages, ...files].join('\n');
    expect(dev.logs.length).toBeGreaterThan(3);
    // Every secret contains '-' or '#', which base64 and hex blobs in the files cannot.
    for (const secret of [WRONG, SHORT, SO_PIN, USER_PIN, MASTER_SECRET]) expect(haystack).not.toContain(secret);
    expect(haystack).not.toMatch(/PRIVATE KEY/);
  });
});
