import type pg from 'pg';
import { FirewallError } from '../../../core/errors.ts';
import { MIGRATIONS } from './migrations/index.ts';

/** The advisory lock key (any constant bigint) under which one process at a time migrates a database. */
const MIGRATION_LOCK = 0x4166_4d69_6772; // "AfMigr"

/**
 * Applies the migrations this database has not had yet, each in its own transaction with its row
 * in schema_migrations, all under a session-level advisory lock: processes starting together wait
 * for each other, and each migration runs once. A database recording a migration this code does
 * not know (written by a newer gateway) is refused rather than used with the wrong layout. `after`
 * runs under the same lock (data upgrades that must not run twice at once).
 */
export async function migrate(client: pg.ClientBase, after?: (client: pg.ClientBase) => Promise<void>): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
    const known = new Set(MIGRATIONS.map((m) => m.version));
    const unknown = [...done].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new FirewallError('STORE_SCHEMA_UNSUPPORTED', `the database has migration ${Math.max(...unknown)}, newer than this gateway knows (${Math.max(...known)}); upgrade the gateway`, { status: 500 });
    }
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      }
      applied.push(m.version);
    }
    await after?.(client);
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
  }
}
