import { closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { FirewallError } from '../../core/errors.ts';
import type { ActionStatus } from '../../core/action/status.ts';
import type { VelocityScope } from '../../core/policy/types.ts';
import type { ActionRecord } from '../../gateway/action-record.ts';
import type { ApproverReads } from '../../gateway/ports/approver.ts';
import type { AuditAppender } from '../../gateway/ports/audit-log.ts';
import type { LogReads } from '../../gateway/ports/log-storage.ts';
import type { PolicyVersionReads } from '../../gateway/ports/policy-versions.ts';
import type { PrincipalReads } from '../../gateway/ports/principals.ts';
import type { RegulatorConsoleReads } from '../../gateway/ports/regulator-console.ts';
import type { SignatureReads } from '../../gateway/ports/signatures.ts';
import type { Store, StoreTx } from '../../gateway/ports/store.ts';
import { ACTIONS_SCHEMA, SqliteActionReads } from './sqlite-actions.ts';
import { openApproverTables, SqliteApproverReads } from './sqlite-approver.ts';
import { openLogTables } from './sqlite-log-schema.ts';
import { SqliteLogReads } from './sqlite-log.ts';
import { POLICY_VERSION_SCHEMA, SqlitePolicyVersionReads } from './sqlite-policy-versions.ts';
import { PRINCIPALS_SCHEMA, SqlitePrincipalReads } from './sqlite-principals.ts';
import { REGULATOR_CONSOLE_SCHEMA, SqliteRegulatorConsoleReads } from './sqlite-regulator-console.ts';
import { openSignatureTables } from './sqlite-signature-schema.ts';
import { SqliteSignatureReads } from './sqlite-signatures.ts';
import { SqliteStoreTx } from './sqlite-store-tx.ts';
import { migrateVelocityScopes, velocityIndexDdl } from './sqlite-velocity.ts';
import { fsyncDir, syncWalFile } from './sqlite-wal-sync.ts';
import { prepareAll } from './sqlite-statements.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

/** Transaction control, prepared once: the group commit runs these for every queued callback. */
const CONTROL_SQL = {
  begin: 'BEGIN IMMEDIATE',
  commit: 'COMMIT',
  savepoint: 'SAVEPOINT op',
  release: 'RELEASE op',
  rollbackTo: 'ROLLBACK TO op',
  syncNormal: 'PRAGMA synchronous = NORMAL',
  syncFull: 'PRAGMA synchronous = FULL',
};

interface Pending {
  fn: (tx: StoreTx) => Promise<unknown>;
  durable: boolean;
  onCommitted: ((v: unknown) => void) | undefined;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface SqliteStoreOptions {
  /** File path, or ':memory:' (tests of pure wiring only: a memory DB cannot have a reader connection). */
  path: string;
  /** Appends `tx.audit` entries to the transparency log through the transaction's log storage. */
  audit: AuditAppender;
  /** Most transactions folded into one commit. */
  maxBatch?: number;
  /** Checkpoint the WAL from a worker thread (default, for files) instead of inside commits. */
  backgroundCheckpoints?: boolean;
  /** Makes the WAL durable (default: fdatasync, then a check the file is still linked). Tests inject failures here. */
  syncWal?: (fd: number) => Promise<void>;
}

/**
 * SQLite store on node:sqlite: WAL, group commit, and a commit is durable before anything depends
 * on it. Writes go through one connection in batches; reads use a second connection, which in WAL
 * mode sees only committed data, so no reader ever observes a transition that might still roll back.
 *
 * Durability without blocking the event loop: node:sqlite is synchronous, so with
 * synchronous=FULL every batch's fsync of the WAL would stall every request in the process (about
 * a quarter of the LOW path's time). Batches therefore commit with synchronous=NORMAL (the WAL is
 * written but not synced; checkpoints still sync it and the database file, so a checkpoint never
 * loses a frame) and the store then fdatasyncs the WAL itself, on libuv's thread pool, before it
 * resolves the batch's durable transactions: the same bytes on disk, in the same order, as
 * synchronous=FULL, before any effect. One sync is in flight at a time; transactions that commit
 * meanwhile share the next one. Non-durable transactions resolve at commit. A failed sync leaves
 * the store failed: nothing further commits, nothing waiting is released, readiness goes false.
 * See docs/architecture.md §Durability.
 */
export class SqliteStore implements Store {
  readonly db: DatabaseSync;
  readonly #reader: DatabaseSync;
  readonly #audit: AuditAppender;
  readonly #maxBatch: number;
  readonly #queue: Pending[] = [];
  #flushing = false;
  #closed = false;
  /** The WAL file, kept open for fdatasync (memory databases have none). */
  #walFd: number | null = null;
  readonly #walPath: string | null;
  readonly #sync: (fd: number) => Promise<void>;
  readonly #syncObservers: ((seconds: number, commits: number) => void)[] = [];
  /** Committed, not yet synced: resolved by the next sync. */
  #unsynced: (() => void)[] = [];
  #unsyncedFail: ((e: unknown) => void)[] = [];
  #syncing: Promise<void> | null = null;
  #checkpointer: WalCheckpointer | null = null;
  /** Set by a failed sync: the store refuses everything after it. */
  #failed: FirewallError | null = null;
  readonly #w: Record<keyof typeof CONTROL_SQL, StatementSync>;
  readonly #ping: StatementSync;
  readonly #actions: SqliteActionReads;
  readonly #txApi: SqliteStoreTx;

  constructor(opts: SqliteStoreOptions) {
    try {
      this.db = new DatabaseSync(opts.path);
      // temp_store = MEMORY: every queued callback runs under a SAVEPOINT, and SQLite keeps the
      // savepoint's sub-journal (the pages it may have to restore) in a temp file otherwise: one
      // file created, written page by page and unlinked per transaction, about a third of the
      // store's CPU on the LOW path. The sub-journal only serves ROLLBACK TO inside a live
      // transaction; crash recovery uses the WAL, so durability is unchanged.
      // FULL for every other writer on this handle (the migrations run at open); the group
      // commit switches to NORMAL around its own COMMIT and syncs the WAL itself.
      this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;');
      this.db.exec(ACTIONS_SCHEMA + PRINCIPALS_SCHEMA);
      migrateVelocityScopes(this.db);
      openSignatureTables(this.db);
      this.db.exec(POLICY_VERSION_SCHEMA);
      openApproverTables(this.db);
      this.db.exec(REGULATOR_CONSOLE_SCHEMA);
      this.#walPath = opts.path === ':memory:' ? null : `${opts.path}-wal`;
      if (this.#walPath !== null) {
        this.#walFd = openSync(this.#walPath, 'r');
        // The WAL's directory entry must survive a crash too (SQLite syncs it only at checkpoints).
        const dirFd = openSync(dirname(opts.path), 'r');
        try {
          fsyncDir(dirFd);
        } finally {
          closeSync(dirFd);
        }
      }
      openLogTables(this.db);
      this.#reader = new DatabaseSync(opts.path, { readOnly: true });
      if (this.#walPath !== null && opts.backgroundCheckpoints !== false) {
        // SQLite's automatic checkpoint runs inside whichever COMMIT crosses 1000 WAL pages and
        // syncs twice there: the slowest commits on the event loop. A worker does it instead.
        this.db.exec('PRAGMA wal_autocheckpoint = 0');
        this.#checkpointer = new WalCheckpointer({
          path: opts.path,
          onLost: () => {
            if (!this.#closed) this.db.exec('PRAGMA wal_autocheckpoint = 1000');
          },
        });
      }
      this.#reader.exec('PRAGMA busy_timeout = 5000;');
    } catch (cause) {
      throw new FirewallError('STORE_UNAVAILABLE', `cannot open the SQLite store at ${opts.path}`, { status: 503, cause });
    }
    this.#audit = opts.audit;
    this.#maxBatch = opts.maxBatch ?? 256;
    this.#sync = opts.syncWal ?? syncWalFile;
    this.#w = prepareAll(this.db, CONTROL_SQL);
    this.#ping = this.#reader.prepare('SELECT 1 AS one');
    this.#actions = new SqliteActionReads(this.#reader);
    this.principals = new SqlitePrincipalReads(this.#reader);
    this.signatures = new SqliteSignatureReads(this.#reader);
    this.policyVersions = new SqlitePolicyVersionReads(this.#reader);
    this.approver = new SqliteApproverReads(this.#reader);
    this.regulatorConsole = new SqliteRegulatorConsoleReads(this.#reader);
    this.log = new SqliteLogReads(this.#reader);
    this.#txApi = new SqliteStoreTx(this.db, this.#audit);
  }

  tx<T>(fn: (tx: StoreTx) => Promise<T>, opts: { durable?: boolean; onCommitted?: (value: T) => void } = {}): Promise<T> {
    if (this.#failed !== null) return Promise.reject(this.#failed);
    if (this.#closed) return Promise.reject(new FirewallError('STORE_UNAVAILABLE', 'the store is closed', { status: 503 }));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, durable: opts.durable !== false, onCommitted: opts.onCommitted as ((v: unknown) => void) | undefined, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#flushing) setImmediate(() => void this.#flush());
    });
  }

  #afterSync(resolve: () => void, reject: (e: unknown) => void): void {
    if (this.#failed !== null) {
      reject(this.#failed);
      return;
    }
    if (this.#walFd === null) {
      resolve();
      return;
    }
    this.#unsynced.push(resolve);
    this.#unsyncedFail.push(reject);
    if (this.#syncing === null) this.#syncing = this.#syncLoop();
  }

  /** One fdatasync at a time; whatever committed while one ran goes with the next. */
  async #syncLoop(): Promise<void> {
    while (this.#unsynced.length > 0 && this.#failed === null) {
      const ok = this.#unsynced;
      const fail = this.#unsyncedFail;
      this.#unsynced = [];
      this.#unsyncedFail = [];
      const t0 = performance.now();
      try {
        await this.#sync(this.#walFd!);
      } catch (cause) {
        // After a failed fsync the kernel may have dropped the dirty pages: what is on disk is
        // unknown, so nothing waiting may proceed and nothing further may commit.
        this.#failed = new FirewallError('STORE_UNAVAILABLE', 'the store could not make a commit durable; it refuses all further writes until restarted', { status: 503, cause });
        for (const f of [...fail, ...this.#unsyncedFail]) f(this.#failed);
        this.#unsynced = [];
        this.#unsyncedFail = [];
        break;
      }
      const seconds = (performance.now() - t0) / 1000;
      for (const o of this.#syncObservers) {
        try {
          o(seconds, ok.length);
        } catch {
          /* an observer (metrics) never changes what the store does */
        }
      }
      for (const r of ok) r();
    }
    this.#syncing = null;
  }

  observeSyncs(observer: (seconds: number, commits: number) => void): void {
    this.#syncObservers.push(observer);
  }

  /** Runs queued callbacks in one transaction, each under a savepoint so one failure spares the rest. */
  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        if (this.#failed !== null) {
          for (const item of batch) item.reject(this.#failed);
          continue;
        }
        const outcomes: { ok: boolean; value: unknown }[] = [];
        try {
          const w = this.#w;
          // Written to the WAL, not synced by SQLite: #afterSync syncs it off the event loop.
          w.syncNormal!.run();
          w.begin!.run();
          this.#txApi.log.batchStarted();
          for (const item of batch) {
            w.savepoint!.run();
            try {
              const value = await item.fn(this.#txApi);
              w.release!.run();
              outcomes.push({ ok: true, value });
            } catch (e) {
              w.rollbackTo!.run();
              w.release!.run();
              this.#txApi.log.rolledBack();
              outcomes.push({ ok: false, value: e });
            }
          }
          w.commit!.run();
          w.syncFull!.run();
        } catch (cause) {
          try {
            this.#txApi.log.rolledBack();
            if (this.db.isTransaction) this.db.exec('ROLLBACK');
            this.#w.syncFull.run();
          } catch {
            /* the original cause is what matters */
          }
          const err = new FirewallError('STORE_UNAVAILABLE', 'the store could not commit; nothing in this batch took effect', { status: 503, cause });
          for (const item of batch) item.reject(err);
          continue;
        }
        // Failures resolve at once (nothing of theirs committed), and so do non-durable outcomes;
        // a durable outcome waits for the WAL sync that covers this commit.
        let durable: { item: Pending; value: unknown }[] | null = null;
        batch.forEach((item, i) => {
          const o = outcomes[i]!;
          if (!o.ok) return item.reject(o.value);
          try {
            item.onCommitted?.(o.value);
          } catch {
            /* preparation only: its failure must not change the outcome */
          }
          if (!item.durable) item.resolve(o.value);
          else (durable ??= []).push({ item, value: o.value });
        });
        if (durable !== null) {
          const waiting = durable as { item: Pending; value: unknown }[];
          this.#afterSync(
            () => {
              for (const d of waiting) d.item.resolve(d.value);
            },
            (e) => {
              for (const d of waiting) d.item.reject(e);
            },
          );
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  getAction(id: string): Promise<ActionRecord | undefined> {
    return this.#actions.getAction(id);
  }

  dueActions(statuses: readonly ActionStatus[], now: number, limit: number): Promise<ActionRecord[]> {
    return this.#actions.dueActions(statuses, now, limit);
  }

  actionsInStatus(statuses: readonly ActionStatus[]): Promise<ActionRecord[]> {
    return this.#actions.actionsInStatus(statuses);
  }

  countByStatus(): Promise<Record<string, number>> {
    return this.#actions.countByStatus();
  }

  lastAlive(): Promise<number | undefined> {
    return this.#actions.lastAlive();
  }

  readonly principals: PrincipalReads;
  readonly signatures: SignatureReads;
  readonly policyVersions: PolicyVersionReads;
  readonly approver: ApproverReads;
  readonly regulatorConsole: RegulatorConsoleReads;
  readonly log: LogReads;

  indexVelocityScopes(scopes: readonly VelocityScope[]): Promise<void> {
    const ddl = velocityIndexDdl(scopes);
    // A write like any other, in the group commit's transaction: no batch sees half the change.
    return this.tx(async () => {
      this.db.exec(ddl);
    });
  }

  async ping(): Promise<boolean> {
    if (this.#failed !== null) return false;
    try {
      return (this.#ping.get() as { one: number }).one === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#flushing || this.#queue.length > 0) await new Promise((r) => setImmediate(r));
    while (this.#syncing !== null) await this.#syncing;
    await this.#checkpointer?.stop();
    this.#reader.close();
    this.db.close();
    if (this.#walFd !== null) closeSync(this.#walFd);
    this.#walFd = null;
  }
}
