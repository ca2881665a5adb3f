import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { SqliteStore } from '../../src/adapters/store/sqlite-store.ts';
import { LogAppender } from '../../src/gateway/log/appender.ts';

/**
 * For a test file: `open()` gives a SqliteStore on a fresh database in a directory of its own;
 * every store opened is closed, and its directory removed, after each test.
 */
export function tempSqliteStores(prefix: string): () => SqliteStore {
  const dirs: string[] = [];
  const stores: SqliteStore[] = [];
  afterEach(async () => {
    while (stores.length) await stores.pop()!.close();
    while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    const store = new SqliteStore({ path: join(dir, 'gateway.db'), audit: new LogAppender() });
    stores.push(store);
    return store;
  };
}
