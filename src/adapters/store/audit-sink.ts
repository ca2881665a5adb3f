import type { DatabaseSync } from 'node:sqlite';

/**
 * Where the store writes audit entries, inside its own transaction. The transparency log
 * (adapters/log) implements this; so does the minimal hash chain below, used until a log is wired.
 */
export interface AuditSink {
  appendInTransaction(entries: Record<string, unknown>[]): { firstIndex: number };
}

export type AuditSinkFactory = (db: DatabaseSync) => AuditSink;
