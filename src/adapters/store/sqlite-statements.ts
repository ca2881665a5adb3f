import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** Prepares every statement once, by name (the names are the record's keys, so uses are type-checked). */
export function prepareAll<K extends string>(db: DatabaseSync, sql: Record<K, string>): Record<K, StatementSync> {
  const out = {} as Record<K, StatementSync>;
  for (const k of Object.keys(sql) as K[]) out[k] = db.prepare(sql[k]);
  return out;
}
