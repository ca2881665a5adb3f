import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { canonicalJson, sha256Hex } from '../../core/canonical.ts';
import type { AuditSink } from './audit-sink.ts';

/**
 * A minimal append-only hash chain (entry i commits to entry i-1). The transparency log replaces
 * it in production wiring; it stays for stores opened without a signer (tools, some tests).
 */
export class HashChainAudit implements AuditSink {
  readonly #insert: StatementSync;
  readonly #last: StatementSync;

  constructor(db: DatabaseSync) {
    db.exec(`CREATE TABLE IF NOT EXISTS audit_chain (
      idx INTEGER PRIMARY KEY,
      entry TEXT NOT NULL,
      hash TEXT NOT NULL
    )`);
    this.#insert = db.prepare('INSERT INTO audit_chain (idx, entry, hash) VALUES (?, ?, ?)');
    this.#last = db.prepare('SELECT idx, hash FROM audit_chain ORDER BY idx DESC LIMIT 1');
  }

  appendInTransaction(entries: Record<string, unknown>[]): { firstIndex: number } {
    const last = this.#last.get() as { idx: number; hash: string } | undefined;
    let idx = last === undefined ? 0 : last.idx + 1;
    let prev = last?.hash ?? '0'.repeat(64);
    const firstIndex = idx;
    for (const e of entries) {
      const text = canonicalJson(e);
      prev = sha256Hex(prev + '\n' + text);
      this.#insert.run(idx, text, prev);
      idx++;
    }
    return { firstIndex };
  }
}
