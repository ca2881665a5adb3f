import type { ActionStatus } from '../../core/action/status.ts';
import type { ActionRecord } from '../../gateway/action-record.ts';

/** Velocity questions come from the policy engine; the store answers them (totals of earlier accepted actions). */
export type { VelocityQuery, VelocityTotal } from '../../core/policy/types.ts';
import type { VelocityQuery, VelocityTotal } from '../../core/policy/types.ts';

export interface PrincipalRecord {
  id: string;
  /** agent | authorizer | comparator | regulator | admin */
  roles: string[];
  /** Public JWK the principal signs its client assertions with. */
  publicJwk: JsonWebKey;
  /** For agents: the person who owns or operates it (separation of duties). */
  owner?: string;
  organisation?: string;
  createdAt: number;
  disabled: boolean;
}

/**
 * Everything inside one `tx` callback commits atomically, together with the audit entries it
 * appends. A callback may await only the methods of its `StoreTx` (never the network): the SQLite
 * store runs queued callbacks one after another inside a single durable transaction (group
 * commit), and a PostgreSQL store holds a connection for the callback's duration.
 */
export interface StoreTx {
  getAction(id: string): Promise<ActionRecord | undefined>;
  findByIdempotencyKey(agent: string, key: string): Promise<ActionRecord | undefined>;
  insertAction(a: ActionRecord): Promise<void>;
  /** Compare-and-set: updates only if the stored status is one of `from`. Returns the new record or undefined. */
  updateAction(id: string, from: readonly ActionStatus[], patch: Partial<ActionRecord>): Promise<ActionRecord | undefined>;
  velocityTotals(queries: VelocityQuery[]): Promise<VelocityTotal[]>;
  /** Appends audit entries; returns the log index of the first. */
  audit(entries: Record<string, unknown>[]): Promise<number>;
}

export interface Store {
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
  getAction(id: string): Promise<ActionRecord | undefined>;
  /** Actions that need the scheduler: due before `now`, in the given states. */
  dueActions(statuses: readonly ActionStatus[], now: number, limit: number): Promise<ActionRecord[]>;
  actionsInStatus(statuses: readonly ActionStatus[]): Promise<ActionRecord[]>;
  countByStatus(): Promise<Record<string, number>>;
  putPrincipal(p: PrincipalRecord): Promise<void>;
  getPrincipal(id: string): Promise<PrincipalRecord | undefined>;
  ping(): Promise<boolean>;
  /**
   * For metrics: `observer` hears of every durability barrier the store passes (how long it took,
   * in seconds, and how many commits it made durable together). Optional: a store whose commits
   * are durable in one step has no separate barrier to report.
   */
  observeSyncs?(observer: (seconds: number, commits: number) => void): void;
  close(): Promise<void>;
}
