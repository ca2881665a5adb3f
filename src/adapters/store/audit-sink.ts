import type { DatabaseSync } from 'node:sqlite';

/**
 * Where the store writes audit entries, inside its own transaction. The transparency log
 * (adapters/log) implements this; so does the minimal hash chain below, used until a log is wired.
 */
export interface AuditSink {
  appendInTransaction(entries: Record<string, unknown>[]): { firstIndex: number };
}

/** `durable` resolves once everything the store has committed so far is on disk. */
export type AuditSinkFactory = (db: DatabaseSync, store: { durable: () => Promise<void> }) => AuditSink;
