/** The audit log inside a transaction: its entries commit with the state change they record. */
export interface AuditLogTx {
  /** Appends audit entries; returns the log index of the first. */
  audit(entries: Record<string, unknown>[]): Promise<number>;
}
