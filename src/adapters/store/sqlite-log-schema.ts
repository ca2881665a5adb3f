/**
 * Tables of the transparency log (prefix tlog_). Plain SQL: INTEGER/TEXT/BLOB columns, no
 * SQLite-only table options, so the same layout maps onto PostgreSQL (BLOB -> bytea).
 *
 * tlog_nodes holds every complete subtree hash of level >= 1, keyed by nodeId(level, index) =
 * level * 2^47 + index (contiguous per level, so a tile is one range read). Level-0 hashes are the
 * leaf hashes in tlog_entries. The tlog-tiles tiles are the rows at levels 0, 8, 16, ...
 * tlog_entries has no secondary index: its lookups are tables filled behind the writer
 * (sqlite-log-index.ts).
 */
import type { DatabaseSync } from 'node:sqlite';
import { FirewallError } from '../../core/errors.ts';
import { MAX_LOG_SIZE } from '../../core/merkle/tree-size.ts';
import { openLogIndex } from './sqlite-log-index.ts';

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

/**
 * Creates the tlog_ tables, refuses a database of another layout version (LOG_SCHEMA_UNSUPPORTED),
 * and brings the lookup tables up to date (sqlite-log-index.ts).
 */
export function openLogTables(db: DatabaseSync): void {
  db.exec(SCHEMA_SQL);
  const schema = db.prepare("SELECT value FROM tlog_meta WHERE name = 'schema'").get() as { value: string } | undefined;
  if (schema !== undefined && schema.value !== SCHEMA_VERSION) {
    throw new FirewallError('LOG_SCHEMA_UNSUPPORTED', `log schema version ${schema.value} is not ${SCHEMA_VERSION}`, { status: 500 });
  }
  openLogIndex(db);
}
