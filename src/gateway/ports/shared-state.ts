import type { RateCounters } from './rate-counters.ts';
import type { ReplayCache } from './replay-cache.ts';
import type { SessionRegistry } from './session-registry.ts';
import type { StatusFeed } from './status-feed.ts';

/**
 * What several replicas must share beyond the store (docs/architecture.md §Several replicas): the
 * composition root builds it from REDIS_URL, or leaves it out and the gateway keeps all of it in
 * its own memory (one gateway).
 */
export interface SharedState {
  /** Client-assertion ids. */
  assertions: ReplayCache;
  /** Nonces of session-signed requests. */
  nonces: ReplayCache;
  sessions: SessionRegistry;
  counters: RateCounters;
  feed: StatusFeed;
  /** For /readyz: can this replica reach the shared state now. */
  health(): { ok: boolean; reason?: string };
  close(): Promise<void>;
}
