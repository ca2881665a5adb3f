import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach } from 'vitest';
import { PgStore } from '../../src/adapters/store/postgres/pg-store.ts';
import { SqliteStore } from '../../src/adapters/store/sqlite-store.ts';
import { LogAppender } from '../../src/gateway/log/appender.ts';
import type { Store } from '../../src/gateway/ports/store.ts';

/** The machine's PostgreSQL (scripts/test-prereqs.sh starts it); tests create and drop their own databases there. */
export const PG_ADMIN_URL = process.env['TEST_PG_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs SQL as the administrator on the server (not inside the database). */
  admin(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

/** A fresh, empty database with a unique name (af_t_<pid>_<random>), dropped (connections and all) by `drop`. */
export async function freshDatabase(): Promise<TestDatabase> {
  const name = `af_t_${process.pid}_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string, params?: unknown[]): Promise<pg.QueryResult> => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      return await c.query(sql, params);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return { name, url: u.toString(), admin, drop: async () => void (await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}

/** Either store, opened on a fresh database (a temporary SQLite file or a new PostgreSQL database), as the contract tests run them. */
export type StoreKind = 'sqlite' | 'postgres';

export async function openTestStore(kind: StoreKind, appender = new LogAppender()): Promise<{ store: SqliteStore | PgStore; appender: LogAppender; dispose(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'af-store-'));
    const store = new SqliteStore({ path: join(dir, 'gateway.db'), audit: appender });
    return { store, appender, dispose: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  const db = await freshDatabase();
  const store = await PgStore.open({ url: db.url, audit: appender });
  return { store, appender, dispose: async () => (await store.close(), await db.drop()) };
}

/** For a describe block: `open()` gives a store of `kind` on a fresh database, closed and dropped after each test. */
export function storesPerTest(kind: StoreKind): () => Promise<Store> {
  const disposers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const d of disposers.splice(0)) await d();
  });
  return async () => {
    const t = await openTestStore(kind);
    disposers.push(t.dispose);
    return t.store;
  };
}
