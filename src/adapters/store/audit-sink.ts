import type { DatabaseSync } from 'node:sqlite';

/**
 * Where the store writes audit entries, inside its own transaction. The transparency log
 * (adapters/log) implements this; so does the minimal hash chain below, used until a log is wired.
 */
export interface AuditSink {
  appendInTransaction(entries: Record<string, unknown>[]): { firstIndex: number };
}

/**
 * `transact` runs `fn` inside one of the store's own transactions (group-committed, and resolved
 * only once durable, covering every commit before it): for a sink's writes outside the store's
 * callers, such as checkpoint rows.
 */
export type AuditSinkFactory = (db: DatabaseSync, store: { transact: (fn: () => void) => Promise<void> }) => AuditSink;
