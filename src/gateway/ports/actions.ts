import type { ActionStatus } from '../../core/action/status.ts';
import type { VelocityQuery, VelocityTotal } from '../../core/policy/types.ts';
import type { ActionRecord } from '../action-record.ts';

/** Velocity questions come from the policy engine; the store answers them (totals of earlier accepted actions). */
export type { VelocityQuery, VelocityTotal };

/** One compare-and-set of `updateActions`: the arguments of one `updateAction`. */
export interface ActionUpdate {
  id: string;
  from: readonly ActionStatus[];
  patch: Partial<ActionRecord>;
  held?: ActionRecord;
  /**
   * Only if the stored record is due by then (its `dueAt` not null and not later): a release at the
   * end of a cooling period must not follow a copy read before the period was moved later
   * (gateway/cooling-clock.ts), whatever else the store finds unchanged.
   */
  dueBy?: number;
}

/** The action aggregate inside a transaction (see StoreTx). */
export interface ActionsTx {
  getAction(id: string): Promise<ActionRecord | undefined>;
  findByIdempotencyKey(agent: string, key: string): Promise<ActionRecord | undefined>;
  insertAction(a: ActionRecord): Promise<void>;
  /**
   * Compare-and-set: updates only if the stored status is one of `from`. Returns the new record or
   * undefined. `held`, the record as the caller got it from this store (unmodified), lets a store
   * skip reading the record back when `held` is still what is stored; the result is the same.
   */
  updateAction(id: string, from: readonly ActionStatus[], patch: Partial<ActionRecord>, held?: ActionRecord): Promise<ActionRecord | undefined>;
  /**
   * Several compare-and-sets, each with exactly the outcome `updateAction` would give it, results
   * in the same order. A store may apply at once those whose `held` copy is still what is stored
   * (PostgreSQL: one statement for a whole scheduler batch instead of one round trip per action).
   */
  updateActions(updates: readonly ActionUpdate[]): Promise<(ActionRecord | undefined)[]>;
  velocityTotals(queries: VelocityQuery[]): Promise<VelocityTotal[]>;
  /**
   * A gateway on this store runs at `at` (the cooling clock, gateway/cooling-clock.ts): kept if later
   * than the stored mark. Returns the mark it found, which stays locked until the transaction ends,
   * so of gateways starting together after an outage exactly one finds the old mark.
   */
  markAlive(at: number): Promise<number | undefined>;
}

/** Committed reads of actions (outside any transaction: they may lag a commit by its sync). */
export interface ActionReads {
  getAction(id: string): Promise<ActionRecord | undefined>;
  /** Actions that need the scheduler: due before `now`, in the given states. */
  dueActions(statuses: readonly ActionStatus[], now: number, limit: number): Promise<ActionRecord[]>;
  actionsInStatus(statuses: readonly ActionStatus[]): Promise<ActionRecord[]>;
  countByStatus(): Promise<Record<string, number>>;
  /** The latest `markAlive` of any gateway on this store; undefined before the first. */
  lastAlive(): Promise<number | undefined>;
}
