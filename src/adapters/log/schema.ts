/**
 * Tables of the transparency log (prefix tlog_). Plain SQL: INTEGER/TEXT/BLOB columns, no
 * SQLite-only table options, so the same layout maps onto PostgreSQL (BLOB -> bytea).
 *
 * tlog_nodes holds every complete subtree hash of level >= 1, keyed by nodeId(level, index) =
 * level * 2^47 + index (contiguous per level, so a tile is one range read). Level-0 hashes are the
 * leaf hashes in tlog_entries. The tlog-tiles tiles are the rows at levels 0, 8, 16, ...
 */
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
`;

/** Row id of the complete subtree (level, index), level >= 1. */
export function nodeId(level: number, index: number): number {
  return level * MAX_LOG_SIZE + index;
}
