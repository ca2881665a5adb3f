import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ManualClock, type Clock } from '../../../src/core/clock.ts';
import type { Signer } from '../../../src/core/signer.ts';
import { SqliteStore } from '../../../src/adapters/store/sqlite-store.ts';
import { LogAppender } from '../../../src/gateway/log/appender.ts';
import type { CheckpointerOptions } from '../../../src/gateway/log/checkpointer.ts';
import { openTransparencyLog } from '../../../src/gateway/log/open-log.ts';
import type { TransparencyLog } from '../../../src/gateway/log/transparency-log.ts';
import { createTestPki, type TestPki } from './pki.ts';
import { TestEd25519Signer } from './test-signer.ts';

export const ORIGIN = 'firewall.test/log';

export interface LogOptions {
  origin?: string;
  checkpointEvery?: CheckpointerOptions['checkpointEvery'];
  onError?: (e: unknown) => void;
  integrator?: CheckpointerOptions['integrator'];
}

export interface LogFixture {
  dir: string;
  file: string;
  /** The SQLite store the log lives in (its writer connection is `store.db`). */
  store: SqliteStore;
  log: TransparencyLog;
  signer: TestEd25519Signer;
  clock: ManualClock;
  pki: TestPki;
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

/** Opens a store on `file` with the log in it, as the composition root does. */
export async function openLogStore(file: string, signer: Signer, clock: Clock, options: LogOptions = {}): Promise<{ store: SqliteStore; log: TransparencyLog }> {
  const appender = new LogAppender();
  const store = new SqliteStore({ path: file, audit: appender });
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
  const file = join(dir, 'gateway.db');
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
