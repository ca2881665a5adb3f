import type { ActionStatus } from '../../core/action/status.ts';
import type { Tier } from '../../core/tier.ts';

/** One replica's announcement that an action's status changed (committed before it is sent). */
export interface StatusChange {
  id: string;
  status: ActionStatus;
  /** Lets a replica ignore what it has no use for (LOW changes, for the approvers' inboxes). */
  tier: Tier;
}

/**
 * Status changes between replicas (adapters/redis: pub/sub). Messages carry only the action id, its
 * new status and tier; a replica that cares reads the action from the shared store. Delivery is at most
 * once, so the feed also says when messages may have been lost (its connection dropped, or another
 * replica could not publish): the gateway then re-reads what it follows instead of missing a change.
 */
export interface StatusFeed {
  /** Tells the other replicas; never throws (a lost message is reported to them as a gap). */
  publish(change: StatusChange): void;
  /** Starts delivering the other replicas' changes (never this replica's own). */
  start(handlers: { change(c: StatusChange): void; gap(): void }): Promise<void>;
  close(): Promise<void>;
}
