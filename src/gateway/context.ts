import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { Sealer } from '../core/sealer.ts';
import type { Signer } from '../core/signer.ts';
import type { BranchCard } from '../core/branch-card/branch-card.ts';
import type { Store } from './ports/store.ts';
import type { EventHub } from './ports/event-hub.ts';
import type { Authenticator } from './authenticate.ts';
import type { ReplayCache } from './ports/replay-cache.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { Metrics } from './metrics.ts';
import type { PolicyPort } from './ports/policy.ts';
import type { RateLimits } from './rate-limits.ts';
import type { Scheduler } from './scheduler.ts';
import type { Sessions } from './sessions/sessions.ts';
import type { StatusBus } from './status-bus.ts';

export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; reason?: string }>;
}

/** Everything a request handler may touch. Built once by the composition root (src/main/build-gateway.ts). */
export interface GatewayContext {
  publicUrl: string;
  /** Whether the peer at `addr` (hop `i` from the socket) is a trusted load balancer (TRUSTED_PROXIES). */
  trustProxy: (addr: string, i: number) => boolean;
  bodyLimitBytes: number;
  dispatchLeaseMs: number;
  store: Store;
  policy: () => PolicyPort;
  clock: Clock;
  signer: Signer;
  /** Seals what the gateway stores but must not hold in clear (challenge nonces), with an HSM key. */
  sealer: Sealer;
  auth: Authenticator;
  /** Single-use ids of client assertions and DPoP proofs: shared by the replicas (Redis), or this gateway's own. */
  replay: ReplayCache;
  sessions: Sessions;
  limits: RateLimits;
  dispatcher: Dispatcher;
  scheduler: Scheduler;
  bus: StatusBus;
  hub: EventHub;
  metrics: Metrics;
  log: Logger;
  readiness: () => Promise<Readiness>;
  /** Latest readiness, refreshed in the background: the hot path reads it without a round trip. */
  isReady: () => boolean;
  parseBranchCard: (card: unknown) => BranchCard;
  /** Standard Webhook to the policy's endpoints for events that are not action statuses (signature challenges, locks). */
  announce?: (message: { id: string; type: string; data: unknown }) => void;
}
