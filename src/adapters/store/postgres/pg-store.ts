import pg from 'pg';
import { FirewallError, isFirewallError } from '../../../core/errors.ts';
import type { ActionStatus } from '../../../core/action/status.ts';
import type { VelocityScope } from '../../../core/policy/types.ts';
import type { ActionRecord } from '../../../gateway/action-record.ts';
import type { ApproverReads } from '../../../gateway/ports/approver.ts';
import type { AuditAppender } from '../../../gateway/ports/audit-log.ts';
import type { LogReads } from '../../../gateway/ports/log-storage.ts';
import type { PolicyVersionReads } from '../../../gateway/ports/policy-versions.ts';
import type { PrincipalReads } from '../../../gateway/ports/principals.ts';
import type { RegulatorConsoleReads } from '../../../gateway/ports/regulator-console.ts';
import type { SignatureReads } from '../../../gateway/ports/signatures.ts';
import type { Store, StoreTx } from '../../../gateway/ports/store.ts';
import { PgActionReads } from './pg-actions.ts';
import { PgApproverReads } from './pg-approver.ts';
import { classified, PG_TYPES, prepared, storeError, type Sql } from './pg-client.ts';
import { checkLogTables, PgLogReads } from './pg-log.ts';
import { migrate } from './pg-migrate.ts';
import { PgPolicyVersionReads } from './pg-policy-versions.ts';
import { PgPrincipalReads } from './pg-principals.ts';
import { PgRegulatorConsoleReads } from './pg-regulator-console.ts';
import { PgSignatureReads } from './pg-signatures.ts';
import { PgStoreTx } from './pg-store-tx.ts';

/**
 * The advisory lock every write transaction of every gateway process takes first (any constant
 * bigint): one writer at a time on the database, as SQLite's BEGIN IMMEDIATE gives the SQLite
 * store. It is what makes the log's sequencing safe with several processes (the tail an append
 * reads cannot move before it commits) and the actions' read-then-write steps serial.
 */
const WRITER_LOCK = 0x4166_5772_6974; // "AfWrit"

interface Pending {
  fn: (tx: StoreTx) => Promise<unknown>;
  durable: boolean;
  onCommitted: ((v: unknown) => void) | undefined;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface PgStoreOptions {
  /** postgres://user:password@host:port/database (DATABASE_URL). */
  url: string;
  /** Appends `tx.audit` entries to the transparency log through the transaction's log storage. */
  audit: AuditAppender;
  /**
   * Most transactions folded into one commit (64: each writing callback's savepoint takes a
   * subtransaction id, and past 64 in one transaction PostgreSQL's per-backend cache overflows and
   * every other session's visibility checks slow down).
   */
  maxBatch?: number;
  /** Connections for committed reads (the writer has its own). */
  readers?: number;
  /** A query not answered in this time fails (STORE_UNAVAILABLE): a partitioned server does not hang requests. Default 30 s. */
  queryTimeoutMs?: number;
  /**
   * PostgreSQL ends a session idle inside a transaction for this long (default 10 s). A writer cut
   * off from the database mid-transaction holds the writer lock until then, and every other
   * process's writes wait for it: without this, until the server's TCP keepalive gives up (hours).
   */
  idleInTransactionTimeoutMs?: number;
}

/** host:port/database of a URL, never its user or password (for errors and logs). */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * PostgreSQL store (DATABASE_URL): the same aggregates and semantics as the SQLite store.
 *
 * Writes go through one writer connection in batches (group commit, as on SQLite): BEGIN, the
 * writer lock (WRITER_LOCK), each queued callback under a savepoint so one failure spares the
 * rest, COMMIT; a callback's result is released only after COMMIT returns, and PostgreSQL's commit
 * is durable (synchronous_commit = on), so every transaction is durable before anything depends on
 * it. Transactions that may skip the sync (`durable: false`) are batched apart and committed with
 * synchronous_commit off (#nextBatch). Reads use a pool and see committed
 * data only.
 *
 * Losing the database mid-run: the batch in flight is refused (STORE_UNAVAILABLE, 503; a lost
 * COMMIT's outcome is unknown, which the idempotency key resolves on retry), `ping` answers false
 * so /readyz goes 503 and nothing new is accepted, and the next batch opens a new connection: the
 * store recovers by itself when the database returns.
 */
export class PgStore implements Store {
  readonly #pool: pg.Pool;
  readonly #audit: AuditAppender;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  readonly #syncObservers: ((seconds: number, commits: number) => void)[] = [];
  #flushing = false;
  #closed = false;
  #writer: pg.PoolClient | null = null;
  /**
   * The first failed statement of the callback running now. A failed statement aborts a PostgreSQL
   * transaction (unlike SQLite's), so a callback that caught the error and went on cannot have
   * done what it thinks: it fails with that error, rolled back to its savepoint.
   */
  #statementFailed: { error: unknown } | null = null;
  readonly #txApi: PgStoreTx;
  readonly #actions: PgActionReads;

  /** Connects, applies pending migrations under their lock, and returns the store; a failure names DATABASE_URL. */
  static async open(o: PgStoreOptions): Promise<PgStore> {
    const where = describeDatabase(o.url);
    let migrator: pg.Client | undefined;
    try {
      // Migrations on a connection of their own, with no query timeout (a data migration may be long).
      migrator = new pg.Client({ connectionString: o.url, types: PG_TYPES, connectionTimeoutMillis: 10_000, application_name: 'analog-firewall migrate' });
      migrator.on('error', () => {});
      await migrator.connect();
      await migrate(migrator, checkLogTables);
    } catch (cause) {
      if (isFirewallError(cause)) throw cause;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new FirewallError('STORE_UNAVAILABLE', `DATABASE_URL: cannot open the PostgreSQL store at ${where}: ${reason}`, { status: 503, cause, detail: { variable: 'DATABASE_URL' } });
    } finally {
      await migrator?.end().catch(() => {});
    }
    return new PgStore(o);
  }

  private constructor(o: PgStoreOptions) {
    this.#pool = new pg.Pool({
      connectionString: o.url,
      types: PG_TYPES,
      max: (o.readers ?? 8) + 1,
      connectionTimeoutMillis: 5_000,
      // A partitioned server must not hang a request for ever: the query fails, the request gets 503.
      query_timeout: o.queryTimeoutMs ?? 30_000,
      // ...and a partitioned writer must not hold the writer lock for ever (see the option).
      idle_in_transaction_session_timeout: o.idleInTransactionTimeoutMs ?? 10_000,
      keepAlive: true,
      application_name: 'analog-firewall',
    });
    // An idle connection the server dropped: the pool forgets it and the next query opens another.
    this.#pool.on('error', () => {});
    this.#audit = o.audit;
    this.#maxBatch = o.maxBatch ?? 64;
    const pool = this.#pool;
    const reads = classified({ query: (text, params) => pool.query(prepared(text, params)) });
    this.#actions = new PgActionReads(reads);
    this.principals = new PgPrincipalReads(reads);
    this.signatures = new PgSignatureReads(reads);
    this.policyVersions = new PgPolicyVersionReads(reads);
    this.approver = new PgApproverReads(reads);
    this.regulatorConsole = new PgRegulatorConsoleReads(reads);
    this.log = new PgLogReads(reads);
    const writer: Sql = {
      query: async (text, params) => {
        if (this.#writer === null) throw new FirewallError('STORE_UNAVAILABLE', 'the store lost its connection', { status: 503 });
        try {
          return await this.#writer.query(prepared(text, params));
        } catch (e) {
          this.#statementFailed ??= { error: e };
          throw e;
        }
      },
    };
    this.#txApi = new PgStoreTx(classified(writer), this.#audit);
  }

  readonly principals: PrincipalReads;
  readonly signatures: SignatureReads;
  readonly policyVersions: PolicyVersionReads;
  readonly approver: ApproverReads;
  readonly regulatorConsole: RegulatorConsoleReads;
  readonly log: LogReads;

  tx<T>(fn: (tx: StoreTx) => Promise<T>, opts: { durable?: boolean; onCommitted?: (value: T) => void } = {}): Promise<T> {
    if (this.#closed) return Promise.reject(new FirewallError('STORE_UNAVAILABLE', 'the store is closed', { status: 503 }));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, durable: opts.durable !== false, onCommitted: opts.onCommitted as ((v: unknown) => void) | undefined, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#flushing) setImmediate(() => void this.#flush());
    });
  }

  observeSyncs(observer: (seconds: number, commits: number) => void): void {
    this.#syncObservers.push(observer);
  }

  async #connectWriter(): Promise<pg.PoolClient> {
    if (this.#writer !== null) return this.#writer;
    const client = await this.#pool.connect();
    // A checked-out connection that dies emits 'error'; unheard, it would end the process.
    client.on('error', () => this.#dropWriter(client));
    this.#writer = client;
    return client;
  }

  #dropWriter(client: pg.PoolClient): void {
    if (this.#writer !== client) return;
    this.#writer = null;
    client.release(true);
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) await this.#runBatch(this.#nextBatch());
    } finally {
      this.#flushing = false;
    }
  }

  /**
   * The next batch: up to maxBatch queued transactions of the same durability as the oldest, in
   * queue order. Transactions that may skip the sync (`durable: false`) commit together with
   * `synchronous_commit` off, so their COMMIT does not wait for the WAL flush; a later durable
   * commit flushes the WAL up to and including them, so nothing durable can depend on them unsynced.
   */
  #nextBatch(): Pending[] {
    const q = this.#queue;
    const durable = q[0]!.durable;
    const batch: Pending[] = [];
    const skipped: Pending[] = [];
    // Scans only as far as it takes to fill the batch (a backlog can be long).
    let i = 0;
    for (; i < q.length && batch.length < this.#maxBatch; i++) (q[i]!.durable === durable ? batch : skipped).push(q[i]!);
    this.#queue = i === q.length ? skipped : skipped.concat(q.slice(i));
    return batch;
  }

  /**
   * One transaction for the batch; each callback under a savepoint when there are several (the
   * previous one released in the same round trip). The log's appends are buffered and written
   * once, just before COMMIT (pg-log.ts).
   */
  async #runBatch(batch: Pending[]): Promise<void> {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    const nested = batch.length > 1;
    const log = this.#txApi.log;
    let client: pg.PoolClient | null = null;
    let seconds = 0;
    /** The lone callback's own failure (no savepoint: the whole transaction rolls back for it). */
    let ownFailure: { error: unknown } | null = null;
    try {
      client = await this.#connectWriter();
      const sync = batch[0]!.durable ? '' : 'SET LOCAL synchronous_commit TO off; ';
      await client.query(`BEGIN; ${sync}SELECT pg_advisory_xact_lock(${WRITER_LOCK})`);
      log.batchStarted();
      let savepoint = false;
      for (const item of batch) {
        if (nested) {
          await client.query(savepoint ? 'RELEASE SAVEPOINT op; SAVEPOINT op' : 'SAVEPOINT op');
          savepoint = true;
        }
        const mark = log.mark();
        this.#statementFailed = null;
        try {
          const value = await item.fn(this.#txApi);
          if (this.#statementFailed !== null) throw storeError((this.#statementFailed as { error: unknown }).error);
          outcomes.push({ ok: true, value });
        } catch (e) {
          if (!nested) {
            ownFailure = { error: e };
            throw e;
          }
          // The savepoint stays open after ROLLBACK TO; the next callback's round trip releases it.
          await client.query('ROLLBACK TO SAVEPOINT op');
          log.rolledBackTo(mark);
          outcomes.push({ ok: false, value: e });
        }
      }
      await log.flush();
      const t0 = performance.now();
      // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK, not an error.
      const committed = await client.query('COMMIT');
      if (committed.command !== 'COMMIT') throw new Error(`COMMIT answered ${committed.command}`);
      seconds = (performance.now() - t0) / 1000;
    } catch (cause) {
      log.rolledBack();
      let rolledBack = false;
      if (client !== null) {
        try {
          await client.query('ROLLBACK');
          rolledBack = true;
        } catch {
          this.#dropWriter(client);
        }
      }
      // A lone callback's own failure is its answer (as under a savepoint); anything else means
      // the store could not run or commit the batch.
      const own = ownFailure as { error: unknown } | null;
      const err = own !== null && rolledBack ? own.error : new FirewallError('STORE_UNAVAILABLE', 'the store could not commit; the outcome of this batch is unknown', { status: 503, cause });
      for (const item of batch) item.reject(err);
      return;
    }
    for (const o of this.#syncObservers) {
      try {
        o(seconds, batch.length);
      } catch {
        /* an observer (metrics) never changes what the store does */
      }
    }
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (!o.ok) return item.reject(o.value);
      try {
        item.onCommitted?.(o.value);
      } catch {
        /* preparation only: its failure must not change the outcome */
      }
      item.resolve(o.value);
    });
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

  /**
   * Keeps every velocity index (migration 1): replicas on one database may run different policies
   * for a while (a rolling restart), and building an index on PostgreSQL blocks every replica's
   * writes to the table, so no replica's policy decides the shared schema. The index upkeep runs
   * in the database server, not in the gateway's event loop.
   */
  async indexVelocityScopes(_scopes: readonly VelocityScope[]): Promise<void> {}

  /** True when a pooled connection answers within 2 s. */
  async ping(): Promise<boolean> {
    if (this.#closed) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 2_000)));
    try {
      return await Promise.race([this.#pool.query('SELECT 1 AS one').then((r) => Number(r.rows[0]?.['one']) === 1), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#flushing || this.#queue.length > 0) await new Promise((r) => setImmediate(r));
    if (this.#writer !== null) {
      this.#writer.release();
      this.#writer = null;
    }
    await this.#pool.end();
  }
}
