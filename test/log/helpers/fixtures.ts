import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ManualClock } from '../../../src/core/clock.ts';
import { TransparencyLog, type TransparencyLogOptions } from '../../../src/adapters/log/transparency-log.ts';
import { createTestPki, type TestPki } from './pki.ts';
import { TestEd25519Signer } from './test-signer.ts';

export const ORIGIN = 'firewall.test/log';

export interface LogFixture {
  dir: string;
  file: string;
  db: DatabaseSync;
  log: TransparencyLog;
  signer: TestEd25519Signer;
  clock: ManualClock;
  pki: TestPki;
  reopen(): void;
  dispose(): Promise<void>;
}

export function openDb(file: string): DatabaseSync {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
  return db;
}

/** A log on a temporary file database with a test signer whose key is attested by a test PKI. */
export function makeLog(options: Partial<TransparencyLogOptions> = {}, shared?: { pki?: TestPki; signer?: TestEd25519Signer }): LogFixture {
  const dir = mkdtempSync(join(tmpdir(), 'tlog-'));
  const file = join(dir, 'log.db');
  const pki = shared?.pki ?? createTestPki();
  const signer = shared?.signer ?? new TestEd25519Signer(pki);
  const clock = new ManualClock(Date.now());
  const fx: LogFixture = {
    dir,
    file,
    db: openDb(file),
    log: undefined as unknown as TransparencyLog,
    signer,
    clock,
    pki,
    reopen() {
      void fx.log.close();
      fx.db.close();
      fx.db = openDb(file);
      fx.log = new TransparencyLog({ db: fx.db, signer, origin: ORIGIN, clock, checkpointEvery: null, ...options });
    },
    async dispose() {
      await fx.log.close();
      if (fx.db.isOpen) fx.db.close();
      if (!shared?.pki) pki.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  fx.log = new TransparencyLog({ db: fx.db, signer, origin: ORIGIN, clock, checkpointEvery: null, ...options });
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
