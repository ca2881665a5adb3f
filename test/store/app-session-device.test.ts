import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { LogAppender } from '../../src/gateway/log/appender.ts';
import { SqliteStore } from '../../src/adapters/store/sqlite-store.ts';

/** The approver app's session row keeps the passkey that opened it (adapters/store/sqlite-approver.ts). */
const T0 = Date.UTC(2026, 0, 1);
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'af-app-session-'));
  dirs.push(dir);
  return join(dir, 'gateway.db');
}

const row = (token: string, device: string | null) => ({ tokenSha256: token, person: 'nia', origin: 'http://localhost:8080', device, createdAt: T0, lastSeenAt: T0, expiresAt: T0 + 3_600_000 });

describe('app sessions: the passkey of the device', () => {
  it('stores and reads the passkey that opened a session; a database made before the column gets it, its sessions reading null', async () => {
    const path = tempDb();
    let store = new SqliteStore({ path, audit: new LogAppender() });
    await store.tx(async (tx) => {
      await tx.approver.insertSession(row('a'.repeat(64), 'cred-phone-1'));
      await tx.approver.insertSession(row('b'.repeat(64), null));
    });
    expect(await store.approver.session('a'.repeat(64))).toMatchObject({ person: 'nia', device: 'cred-phone-1' });
    expect(await store.approver.session('b'.repeat(64))).toMatchObject({ device: null });
    await store.close();

    // The earlier schema: no column.
    const raw = new DatabaseSync(path);
    raw.exec('ALTER TABLE app_sessions DROP COLUMN device');
    raw.close();
    store = new SqliteStore({ path, audit: new LogAppender() });
    expect(await store.approver.session('a'.repeat(64))).toMatchObject({ person: 'nia', device: null });
    await store.tx(async (tx) => tx.approver.insertSession(row('c'.repeat(64), 'cred-phone-2')));
    expect(await store.approver.session('c'.repeat(64))).toMatchObject({ device: 'cred-phone-2' });
    await store.close();
  });
});
