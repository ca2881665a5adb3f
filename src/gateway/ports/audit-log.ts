import type { LogStorageTx } from './log-storage.ts';

/** The audit log inside a transaction: its entries commit with the state change they record. */
export interface AuditLogTx {
  /** Appends audit entries; returns the log index of the first. */
  audit(entries: Record<string, unknown>[]): Promise<number>;
}

/**
 * How `tx.audit` appends: the transparency log's appender (gateway/log/appender.ts) over the
 * transaction's log storage. A store is given one by the composition root and calls it for every
 * `tx.audit`, so the entries are in the same transaction as the change they record.
 */
export interface AuditAppender {
  /** Checks and appends `entries` through `log`; returns the index of the first. */
  append(log: LogStorageTx, entries: readonly object[]): Promise<number>;
}
