import type { DatabaseSync } from 'node:sqlite';
import type { AuditAppender } from '../../gateway/ports/audit-log.ts';
import type { StoreTx } from '../../gateway/ports/store.ts';
import { SqliteActionsTx } from './sqlite-actions.ts';
import { SqliteApproverTx } from './sqlite-approver.ts';
import { SqliteLogTx } from './sqlite-log.ts';
import { SqlitePolicyVersionsTx } from './sqlite-policy-versions.ts';
import { SqlitePrincipalsTx } from './sqlite-principals.ts';
import { SqliteSignaturesTx } from './sqlite-signatures.ts';

/**
 * What every callback of the SQLite store's group commit is given: each aggregate's writes on the
 * writer connection (so they join the callback's savepoint), and `audit` through the log's
 * appender. Built once per store: its statements are prepared once.
 */
export class SqliteStoreTx extends SqliteActionsTx implements StoreTx {
  readonly principals: SqlitePrincipalsTx;
  readonly signatures: SqliteSignaturesTx;
  readonly policyVersions: SqlitePolicyVersionsTx;
  readonly approver: SqliteApproverTx;
  readonly log: SqliteLogTx;
  readonly #audit: AuditAppender;

  constructor(db: DatabaseSync, audit: AuditAppender) {
    super(db);
    this.principals = new SqlitePrincipalsTx(db);
    this.signatures = new SqliteSignaturesTx(db);
    this.policyVersions = new SqlitePolicyVersionsTx(db);
    this.approver = new SqliteApproverTx(db);
    this.log = new SqliteLogTx(db);
    this.#audit = audit;
  }

  audit(entries: Record<string, unknown>[]): Promise<number> {
    return this.#audit.append(this.log, entries);
  }
}
