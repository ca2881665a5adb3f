import type { AuditAppender } from '../../../gateway/ports/audit-log.ts';
import type { StoreTx } from '../../../gateway/ports/store.ts';
import { PgActionsTx } from './pg-actions.ts';
import { PgApproverTx } from './pg-approver.ts';
import type { Sql } from './pg-client.ts';
import { PgLogTx } from './pg-log.ts';
import { PgPolicyVersionsTx } from './pg-policy-versions.ts';
import { PgPrincipalsTx } from './pg-principals.ts';
import { PgRegulatorConsoleTx } from './pg-regulator-console.ts';
import { PgSignaturesTx } from './pg-signatures.ts';

/**
 * What every callback of the PostgreSQL store's batch is given: each aggregate's statements on the
 * writer connection (so they join the callback's savepoint), and `audit` through the log's appender.
 */
export class PgStoreTx extends PgActionsTx implements StoreTx {
  readonly principals: PgPrincipalsTx;
  readonly signatures: PgSignaturesTx;
  readonly policyVersions: PgPolicyVersionsTx;
  readonly approver: PgApproverTx;
  readonly regulatorConsole: PgRegulatorConsoleTx;
  readonly log: PgLogTx;
  readonly #audit: AuditAppender;

  constructor(db: Sql, audit: AuditAppender) {
    super(db);
    this.principals = new PgPrincipalsTx(db);
    this.signatures = new PgSignaturesTx(db);
    this.policyVersions = new PgPolicyVersionsTx(db);
    this.approver = new PgApproverTx(db);
    this.regulatorConsole = new PgRegulatorConsoleTx(db);
    this.log = new PgLogTx(db);
    this.#audit = audit;
  }

  audit(entries: Record<string, unknown>[]): Promise<number> {
    return this.#audit.append(this.log, entries);
  }
}
