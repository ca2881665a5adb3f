import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import pg from 'pg';
import { ManualClock, type Clock } from '../../../src/core/clock.ts';
import type { Signer } from '../../../src/core/signer.ts';
import { PgStore } from '../../../src/adapters/store/postgres/pg-store.ts';
import { SqliteStore } from '../../../src/adapters/store/sqlite-store.ts';
import type { Store } from '../../../src/gateway/ports/store.ts';
import { freshDatabase, type StoreKind } from '../../helpers/postgres.ts';
import { LogAppender } from '../../../src/gateway/log/appender.ts';
import type { CheckpointerOptions } from '../../../src/gateway/log/checkpointer.ts';
import { openTransparencyLog } from '../../../src/gateway/log/open-log.ts';
import type { TransparencyLog } from '../../../src/gateway/log/transparency-log.ts';
import { createTestPki, type TestPki } from './pki.ts';
import { TestEd25519Signer } from './test-signer.ts';

export const ORIGIN = 'firewall.test/log';

export interface LogOptions {
  /** Which store holds the log: a temporary SQLite file (default) or a fresh PostgreSQL database. */
  store?: StoreKind;
  origin?: string;
  checkpointEvery?: CheckpointerOptions['checkpointEvery'];
  onError?: (e: unknown) => void;
  integrator?: CheckpointerOptions['integrator'];
}

export interface LogFixture {
  dir: string;
  /** The SQLite file, or the PostgreSQL database's URL: what openLogStore opens again. */
  file: string;
  /** The store the log lives in. */
  store: Store;
  log: TransparencyLog;
  signer: TestEd25519Signer;
  clock: ManualClock;
  pki: TestPki;
  /**
   * Runs SQL on the fixture's database through a connection of its own (tampering, old layouts);
   * the rows of a SELECT. `params` fill `?` placeholders (one statement then).
   */
  raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Appends entries in one store transaction, as `tx.audit` does; resolves with the first index once durable. */
  append(entries: readonly object[]): Promise<number>;
  /** Closes the log and the store, and opens both again on the same file. */
  reopen(): Promise<void>;
  dispose(): Promise<void>;
}

/** A raw connection to the fixture's database file (tampering, schema changes). */
export function openDb(file: string): DatabaseSync {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
  return db;
}

/** Opens a store on `file` (a SQLite path or a postgres:// URL) with the log in it, as the composition root does. */
export async function openLogStore(file: string, signer: Signer, clock: Clock, options: LogOptions = {}): Promise<{ store: Store; log: TransparencyLog }> {
  const appender = new LogAppender();
  const store = file.startsWith('postgres://') ? await PgStore.open({ url: file, audit: appender }) : new SqliteStore({ path: file, audit: appender });
  try {
    const log = await openTransparencyLog({ store, appender, signer, origin: options.origin ?? ORIGIN, clock, checkpointEvery: options.checkpointEvery ?? null, ...(options.onError ? { onError: options.onError } : {}), ...(options.integrator ? { integrator: options.integrator } : {}) });
    return { store, log };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** A log in a store on a temporary file with a test signer whose key is attested by a test PKI. */
export async function makeLog(options: LogOptions = {}, shared?: { pki?: TestPki; signer?: TestEd25519Signer }): Promise<LogFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'tlog-'));
  const database = options.store === 'postgres' ? await freshDatabase() : undefined;
  const file = database?.url ?? join(dir, 'gateway.db');
  const pki = shared?.pki ?? createTestPki();
  const signer = shared?.signer ?? new TestEd25519Signer(pki);
  const clock = new ManualClock(Date.now());
  const opened = await openLogStore(file, signer, clock, options);
  const fx: LogFixture = {
    dir,
    file,
    store: opened.store,
    log: opened.log,
    signer,
    clock,
    pki,
    async raw(sql, params) {
      if (database !== undefined) {
        const c = new pg.Client({ connectionString: database.url });
        await c.connect();
        try {
          let n = 0;
          const res = params === undefined ? await c.query(sql) : await c.query(sql.replace(/\?/g, () => `$${++n}`), params);
          return (Array.isArray(res) ? res[res.length - 1]! : res).rows as Record<string, unknown>[];
        } finally {
          await c.end();
        }
      }
      const db = openDb(file);
      try {
        const args = (params ?? []) as SQLInputValue[];
        if (/^\s*SELECT/i.test(sql)) return db.prepare(sql).all(...args) as Record<string, unknown>[];
        if (params === undefined) db.exec(sql);
        else db.prepare(sql).run(...args);
        return [];
      } finally {
        db.close();
      }
    },
    append: (entries) => fx.store.tx(async (tx) => tx.audit(entries as Record<string, unknown>[])),
    async reopen() {
      await fx.log.close();
      await fx.store.close();
      const again = await openLogStore(file, signer, clock, options);
      fx.store = again.store;
      fx.log = again.log;
    },
    async dispose() {
      await fx.log.close();
      await fx.store.close();
      if (!shared?.pki) pki.dispose();
      rmSync(dir, { recursive: true, force: true });
      await database?.drop();
    },
  };
  return fx;
}

/**
 * Fixed per test run, so the same (n, from) always yields the same entries. A minute ahead: the
 * verifier checks certificates at the last entry's time, and the test certificates are issued
 * (notBefore = issuance, in whole seconds) after this module loads, later still on a loaded machine.
 */
export const BASE_TS = Date.now() + 60_000;

/** Envelope-shaped test entries; entry i is the same whichever call produces it. */
export function entries(n: number, from = 0, ts = BASE_TS): object[] {
  return Array.from({ length: n }, (_, i) => ({
    v: 1,
    type: (from + i) % 3 === 0 ? 'test.received' : 'test.classified',
    ts: ts + from + i,
    actionId: `act_${Math.floor((from + i) / 2)}`,
    seq: from + i,
  }));
}
