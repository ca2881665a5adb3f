/**
 * Tables of the transparency log (prefix tlog_). Plain SQL: INTEGER/TEXT/BLOB columns, no
 * SQLite-only table options, so the same layout maps onto PostgreSQL (BLOB -> bytea).
 *
 * tlog_nodes holds every complete subtree hash of level >= 1, keyed by nodeId(level, index) =
 * level * 2^47 + index (contiguous per level, so a tile is one range read). Level-0 hashes are the
 * leaf hashes in tlog_entries. The tlog-tiles tiles are the rows at levels 0, 8, 16, ...
 */
import type { DatabaseSync } from 'node:sqlite';
import { FirewallError } from '../../core/errors.ts';
import { entryTerms, TERMS_VERSION } from '../../core/log/entry-terms.ts';
import { MAX_LOG_SIZE } from '../../core/merkle/tree-size.ts';

export const SCHEMA_VERSION = '1';

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS tlog_meta (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tlog_entries (
  idx       INTEGER PRIMARY KEY,
  leaf_hash BLOB    NOT NULL,
  body      TEXT    NOT NULL,
  type      TEXT    NOT NULL,
  ts        INTEGER,
  action_id TEXT
);
CREATE INDEX IF NOT EXISTS tlog_entries_action_id ON tlog_entries (action_id) WHERE action_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS tlog_entries_type_ts ON tlog_entries (type, ts);
CREATE INDEX IF NOT EXISTS tlog_entries_ts ON tlog_entries (ts);
CREATE TABLE IF NOT EXISTS tlog_nodes (
  id   INTEGER PRIMARY KEY,
  hash BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS tlog_checkpoints (
  tree_size   INTEGER PRIMARY KEY,
  root_hash   BLOB    NOT NULL,
  note        TEXT    NOT NULL,
  signed_at   INTEGER NOT NULL,
  hsm_counter INTEGER
);
CREATE TABLE IF NOT EXISTS tlog_integrator (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  holder     TEXT    NOT NULL,
  expires_at INTEGER NOT NULL
);
`;

/** Row id of the complete subtree (level, index), level >= 1. */
export function nodeId(level: number, index: number): number {
  return level * MAX_LOG_SIZE + index;
}

export const TERMS_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS tlog_terms (
  term TEXT    NOT NULL,
  idx  INTEGER NOT NULL,
  PRIMARY KEY (term, idx)
) WITHOUT ROWID;
`;

/**
 * Make sure every entry has its terms: on a database written before terms existed (or with
 * another extraction version), index every entry once, in one transaction.
 */
function ensureTermsIndexed(db: DatabaseSync): void {
  db.exec(TERMS_SCHEMA_SQL);
  const row = db.prepare("SELECT value FROM tlog_meta WHERE name = 'terms'").get() as { value: string } | undefined;
  if (row?.value === TERMS_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('DELETE FROM tlog_terms');
    const insert = db.prepare('INSERT OR IGNORE INTO tlog_terms (term, idx) VALUES (?, ?)');
    for (const r of db.prepare('SELECT idx, body FROM tlog_entries ORDER BY idx').iterate() as Iterable<{ idx: number; body: string }>) {
      for (const t of entryTerms(JSON.parse(r.body) as Record<string, unknown>)) insert.run(t, r.idx);
    }
    db.prepare("INSERT INTO tlog_meta (name, value) VALUES ('terms', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run(TERMS_VERSION);
    db.exec('COMMIT');
  } catch (e) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

/**
 * Creates the tlog_ tables, refuses a database of another layout version (LOG_SCHEMA_UNSUPPORTED),
 * and indexes search terms of entries written before them (or with another extraction version).
 */
export function openLogTables(db: DatabaseSync): void {
  db.exec(SCHEMA_SQL);
  const schema = db.prepare("SELECT value FROM tlog_meta WHERE name = 'schema'").get() as { value: string } | undefined;
  if (schema !== undefined && schema.value !== SCHEMA_VERSION) {
    throw new FirewallError('LOG_SCHEMA_UNSUPPORTED', `log schema version ${schema.value} is not ${SCHEMA_VERSION}`, { status: 500 });
  }
  ensureTermsIndexed(db);
}
