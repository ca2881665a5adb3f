import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ManualClock } from '../../src/core/clock.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import { PgStore } from '../../src/adapters/store/postgres/pg-store.ts';
import { MIGRATIONS } from '../../src/adapters/store/postgres/migrations/index.ts';
import { DUE_ACTIONS_SQL } from '../../src/adapters/store/postgres/pg-actions.ts';
import { LogAppender } from '../../src/gateway/log/appender.ts';
import { openTransparencyLog } from '../../src/gateway/log/open-log.ts';
import { MemorySigner } from '../helpers/memory-signer.ts';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { actionRecord } from '../helpers/action-record.ts';

/** What only the PostgreSQL store has: migrations, several processes on one database, a server that goes away. */

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function database(): Promise<TestDatabase> {
  const db = await freshDatabase();
  cleanup.push(db.drop);
  return db;
}

async function open(url: string): Promise<{ store: PgStore; appender: LogAppender }> {
  const appender = new LogAppender();
  const store = await PgStore.open({ url, audit: appender });
  cleanup.push(() => store.close());
  return { store, appender };
}

async function inDatabase<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('PostgreSQL migrations', () => {
  it('several processes starting at once all open the store, and each migration is applied once', async () => {
    const db = await database();
    await Promise.all([open(db.url), open(db.url), open(db.url)]);
    const rows = await inDatabase(db.url, async (c) => (await c.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows);
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    // Opening again applies nothing and keeps the data.
    const { store } = await open(db.url);
    await store.tx(async (tx) => tx.insertAction(actionRecord('kept')));
    await open(db.url);
    expect((await store.getAction('kept'))?.id).toBe('kept');
  });

  it('refuses a database migrated by a newer gateway', async () => {
    const db = await database();
    await open(db.url);
    await inDatabase(db.url, (c) => c.query("INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')"));
    await expect(PgStore.open({ url: db.url, audit: new LogAppender() })).rejects.toSatisfy((e) => isFirewallError(e, 'STORE_SCHEMA_UNSUPPORTED'));
  });

  it('transactions that may skip the sync are batched apart from durable ones: a long mixed queue commits every one, each once', async () => {
    const db = await database();
    const { store } = await open(db.url);
    // 300 queued at once, alternating, so batches (at most 64) are taken past skipped ones again and again.
    const ids = Array.from({ length: 300 }, (_, i) => `mix-${i}`);
    const results = await Promise.all(ids.map((id, i) => store.tx(async (tx) => (await tx.insertAction(actionRecord(id)), tx.audit([{ v: 1, type: 'test.mix', ts: i }])), { durable: i % 2 === 0 })));
    expect(new Set(results).size).toBe(300);
    for (const id of ids) expect((await store.getAction(id))?.id).toBe(id);
    expect(await store.log.size()).toBe(300);
  });

  it('a transaction that may skip the sync commits with synchronous_commit off, a durable one never does', async () => {
    const db = await database();
    const { store } = await open(db.url);
    // What the store sends, in order: each batch opens with BEGIN (and its durability), then its inserts.
    const sent: { text: string; values: unknown[] }[] = [];
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const [first, second] = args as [unknown, unknown];
      // query(text, values) or query({ text, values, name }) (the store's prepared statements).
      if (typeof first === 'string') sent.push({ text: first, values: Array.isArray(second) ? second : [] });
      else if (first !== null && typeof first === 'object' && typeof (first as { text?: unknown }).text === 'string') {
        const c = first as { text: string; values?: unknown[] };
        sent.push({ text: c.text, values: c.values ?? (Array.isArray(second) ? second : []) });
      }
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => store.tx(async (tx) => tx.insertAction(actionRecord(`sync-${i}`)), { durable: i % 3 !== 0 })));
    } finally {
      pg.Client.prototype.query = query;
    }
    const skipped = new Map<string, boolean>();
    let off: boolean | undefined;
    for (const q of sent) {
      if (q.text.startsWith('BEGIN')) off = q.text.includes('SET LOCAL synchronous_commit TO off');
      else if (q.text.trimStart().startsWith('INSERT INTO actions')) skipped.set(String(q.values[0]), off!);
    }
    expect(skipped.size).toBe(40);
    for (let i = 0; i < 40; i++) expect(skipped.get(`sync-${i}`), `sync-${i}`).toBe(i % 3 === 0);
  });

  it('a batch of compare-and-sets on held copies is one statement (the scheduler releases 100 actions in one round trip)', async () => {
    const db = await database();
    const { store } = await open(db.url);
    const ids = ['h1', 'h2', 'h3', 'h4'];
    await store.tx(async (tx) => {
      for (const id of ids) await tx.insertAction(actionRecord(id, { status: 'cooling' }));
    });
    const held = await Promise.all(ids.map(async (id) => (await store.getAction(id))!));
    const patch = { status: 'executing' as const, updatedAt: 9 };
    // h1-h3 from held copies; h4 without one (read back, its own statement).
    const out = await store.tx(async (tx) => tx.updateActions(ids.map((id, i) => ({ id, from: ['cooling'], patch, ...(i < 3 ? { held: held[i] } : {}) }))));
    expect(out.map((r) => r?.status)).toEqual(['executing', 'executing', 'executing', 'executing']);
    // cmin: the command within its transaction that wrote each row version.
    const cmin = await inDatabase(db.url, async (c) => new Map((await c.query<{ id: string; cmin: string }>('SELECT id, cmin::text FROM actions')).rows.map((r) => [r.id, r.cmin])));
    expect(new Set(ids.slice(0, 3).map((id) => cmin.get(id))).size).toBe(1);
    expect(cmin.get('h4')).not.toBe(cmin.get('h1'));
  });

  it('reads due actions in index order even when the statistics say most rows are due (a backlog half released since the last ANALYZE)', async () => {
    const db = await database();
    const { store } = await open(db.url);
    await store.tx(async (tx) => {
      for (let i = 0; i < 3000; i++) await tx.insertAction(actionRecord(`due-${i}`, { status: 'cooling', dueAt: i }));
    });
    const plan = async (): Promise<string> => inDatabase(db.url, async (c) => {
      await c.query('ANALYZE actions');
      // Released since: their rows are no longer cooling, the statistics still say they are.
      await c.query(`UPDATE actions SET status = 'executing', due_at = due_at + 1000000 WHERE due_at < 2000`);
      await c.query('PREPARE due(text[], bigint, int) AS ' + DUE_ACTIONS_SQL);
      return JSON.stringify((await c.query(`EXPLAIN (FORMAT JSON) EXECUTE due('{cooling,outcome_unknown}', 2100, 100)`)).rows);
    });
    const p = await plan();
    expect(p).toContain('"Index Name":"actions_due"');
    expect(p).not.toContain('Seq Scan');
    expect((await store.dueActions(['cooling', 'outcome_unknown'], 2100, 100)).map((a) => a.dueAt)).toEqual(Array.from({ length: 100 }, (_, i) => 2000 + i));
  });

  it('a column added by a newer gateway while this one runs (a rolling upgrade): its reads and writes go on', async () => {
    const db = await database();
    const { store } = await open(db.url);
    const ceremony = (id: string) => ({ id, kind: 'cosign' as const, person: 'p1', challenge: 'c', deviceKind: null, deviceName: null, credentialId: 'cred', expiresAt: Date.now() + 60_000, usedAt: null, payload: null });
    const round = async (i: number) => {
      await store.tx(async (tx) => (await tx.signatures.putPerson('p1', [], `P${i}`, i), tx.signatures.insertCeremony(ceremony(`cer-${i}`))));
      expect((await store.signatures.getPerson('p1'))?.displayName).toBe(`P${i}`);
      expect((await store.tx((tx) => tx.signatures.useCeremony(`cer-${i}`, Date.now())))?.id).toBe(`cer-${i}`);
      await store.tx(async (tx) => tx.insertAction(actionRecord(`act-${i}`)));
      expect((await store.getAction(`act-${i}`))?.id).toBe(`act-${i}`);
    };
    // The same statements on the same connections, before and after the tables they read change.
    await round(1);
    await round(2);
    await inDatabase(db.url, (c) => c.query('ALTER TABLE sig_people ADD COLUMN later TEXT; ALTER TABLE sig_ceremonies ADD COLUMN later TEXT; ALTER TABLE actions ADD COLUMN later TEXT'));
    await round(3);
    await round(4);
  });

  it('an unreachable server stops the open with an error naming DATABASE_URL and never the password', async () => {
    const err = await PgStore.open({ url: 'postgres://af:s3cret-pw@127.0.0.1:1/nowhere', audit: new LogAppender() }).catch((e: unknown) => e);
    expect(isFirewallError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/^DATABASE_URL: cannot open the PostgreSQL store at 127\.0\.0\.1:1\/nowhere/);
    expect((err as Error).message).not.toContain('s3cret');
  });
});

describe('two gateway processes on one database', () => {
  it('compare-and-set holds across them: of concurrent transitions exactly one wins', async () => {
    const db = await database();
    const a = await open(db.url);
    const b = await open(db.url);
    await a.store.tx(async (tx) => tx.insertAction(actionRecord('shared', { status: 'cooling' })));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).store.tx(async (tx) => tx.updateAction('shared', ['cooling'], { status: 'executing', dispatchAttempts: i + 1 }))),
    );
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });

  it('both append to the log at once: every entry lands once, in one tree whose checkpoints extend each other', async () => {
    const db = await database();
    const a = await open(db.url);
    const b = await open(db.url);
    const signer = new MemorySigner();
    const clock = new ManualClock(1000);
    const logA = await openTransparencyLog({ store: a.store, appender: a.appender, signer, origin: 'two.test/log', clock, checkpointEvery: null });
    cleanup.push(() => logA.close());
    const before = await logA.checkpoint();
    const appends = Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).store.tx(async (tx) => tx.audit([{ v: 1, type: 'test.two', ts: i, actionId: `x${i}` }])));
    const indexes = await Promise.all(appends);
    expect(new Set(indexes).size).toBe(60);
    expect([...indexes].sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => before.size + i));
    // A log opened afresh on either store checks the stored tree against the last checkpoint, then signs its extension.
    const logB = await openTransparencyLog({ store: b.store, appender: b.appender, signer, origin: 'two.test/log', clock, checkpointEvery: null });
    cleanup.push(() => logB.close());
    const after = await logB.checkpoint();
    expect(after.size).toBe(before.size + 60);
    expect((await logA.consistencyProof(before.size, after.size)).toRoot).toEqual(after.rootHash);
    expect((await logA.root(after.size)).equals(after.rootHash)).toBe(true);
  });
});

describe('the database going away mid-run', () => {
  it('refuses transactions and answers not ready while it is gone, and recovers by itself when it returns', async () => {
    const db = await database();
    const { store } = await open(db.url);
    await store.tx(async (tx) => tx.insertAction(actionRecord('before')));
    expect(await store.ping()).toBe(true);
    // Cut every connection to this database and refuse new ones (the server itself is shared).
    await db.admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
    await db.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
    expect(await store.ping()).toBe(false);
    const refused = await store.tx(async (tx) => tx.insertAction(actionRecord('during'))).catch((e: unknown) => e);
    expect(isFirewallError(refused, 'STORE_UNAVAILABLE')).toBe(true);
    expect((refused as { status: number }).status).toBe(503);
    await expect(store.getAction('before')).rejects.toSatisfy((e) => isFirewallError(e, 'STORE_UNAVAILABLE'));
    await db.admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
    expect(await store.ping()).toBe(true);
    await store.tx(async (tx) => tx.insertAction(actionRecord('after')));
    expect((await store.getAction('after'))?.id).toBe('after');
    expect(await store.getAction('during')).toBeUndefined();
  });
});
