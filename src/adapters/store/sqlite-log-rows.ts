import type { LogEntry } from '../../core/log/types.ts';

/** A row of tlog_entries as the log's SQLite reads select it. */
export interface EntryRow {
  idx: number;
  leaf_hash: Uint8Array;
  body: string;
  type: string;
  ts: number | null;
  action_id: string | null;
}

export const ENTRY_COLUMNS = 'idx, leaf_hash, body, type, ts, action_id';

export function buf(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.length);
}

export function toEntry(row: EntryRow): LogEntry {
  return { index: row.idx, leafHash: buf(row.leaf_hash), body: row.body, entry: JSON.parse(row.body) as Record<string, unknown>, type: row.type, ts: row.ts, actionId: row.action_id };
}
