import type { VelocityScope } from '../../core/policy/types.ts';
import type { ActionReads, ActionsTx } from './actions.ts';
import type { AuditLogTx } from './audit-log.ts';
import type { LogReads, LogStorageTx } from './log-storage.ts';
import type { PrincipalReads, PrincipalsTx } from './principals.ts';
import type { ApproverReads, ApproverTx } from './approver.ts';
import type { PolicyVersionReads, PolicyVersionsTx } from './policy-versions.ts';
import type { RegulatorConsoleReads, RegulatorConsoleTx } from './regulator-console.ts';
import type { SignatureReads, SignaturesTx } from './signatures.ts';

/**
 * The gateway's store, as the application layer sees it: one interface per aggregate, every write
 * through the transaction object. Implementations live in src/adapters/store and are chosen by
 * the composition root (src/main); nothing in src/gateway knows which database it runs on.
 *
 * Everything inside one `tx` callback commits atomically, together with the audit entries it
 * appends. A callback may await only the methods of its `StoreTx` (never the network): the SQLite
 * store runs queued callbacks one after another inside a single durable transaction (group
 * commit), and a PostgreSQL store holds a connection for the callback's duration. A store call
 * that fails fails the callback: one that catches the error and goes on is failed all the same on
 * PostgreSQL (the failed statement aborted the transaction), so handle conflicts in the query
 * (ON CONFLICT, a conditional UPDATE), not by catching.
 */
export interface StoreTx extends ActionsTx, AuditLogTx {
  readonly principals: PrincipalsTx;
  readonly signatures: SignaturesTx;
  readonly policyVersions: PolicyVersionsTx;
  readonly approver: ApproverTx;
  readonly regulatorConsole: RegulatorConsoleTx;
  /** The transparency log's storage (the appender and checkpointer use it; everyone else appends with `audit`). */
  readonly log: LogStorageTx;
}

export interface Store extends ActionReads {
  /**
   * `durable: false` may skip the fsync for this transaction: only for records whose loss a
   * restart repairs (an `executed` outcome: the action is resent under the same idempotency key).
   * Everything that must hold before an effect is durable (the default).
   *
   * `onCommitted` runs once the transaction has committed, possibly before it is durable: for
   * preparation with no effect outside the process (signing a receipt that is only sent once the
   * returned promise resolves). It must not throw; a store that commits and syncs in one step
   * calls it just before resolving.
   */
  tx<T>(fn: (tx: StoreTx) => Promise<T>, opts?: { durable?: boolean; onCommitted?: (value: T) => void }): Promise<T>;
  readonly principals: PrincipalReads;
  readonly signatures: SignatureReads;
  readonly policyVersions: PolicyVersionReads;
  readonly approver: ApproverReads;
  readonly regulatorConsole: RegulatorConsoleReads;
  readonly log: LogReads;
  /**
   * The velocity scopes the active policy counts (core/policy/velocity.ts velocityScopesOf), told
   * at start-up and after each activation: the store may keep indexes for exactly these windows.
   * Every index is upkeep on each accepted action, LOW ones included; a window without its index
   * is still counted exactly, by a scan (docs/architecture.md §The LOW path's record).
   */
  indexVelocityScopes(scopes: readonly VelocityScope[]): Promise<void>;
  ping(): Promise<boolean>;
  /**
   * For metrics: `observer` hears of every durability barrier the store passes (how long it took,
   * in seconds, and how many commits it made durable together). Optional: a store whose commits
   * are durable in one step has no separate barrier to report.
   */
  observeSyncs?(observer: (seconds: number, commits: number) => void): void;
  close(): Promise<void>;
}
