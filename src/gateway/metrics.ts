import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics. One registry per gateway instance so tests can run several in one process. */
export class Metrics {
  readonly registry = new Registry();
  readonly decisions: Counter<'tier' | 'decision'>;
  readonly transitions: Counter<'status'>;
  readonly coolingDepth: Gauge;
  readonly awaitingDepth: Gauge<'status'>;
  readonly acceptLatency: Histogram<'tier'>;
  readonly upstreamLatency: Histogram<'actuator'>;
  readonly refusals: Counter<'code'>;
  readonly storeSync: Histogram;
  readonly storeSyncCommits: Histogram;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'af_' });
    this.decisions = new Counter({ name: 'af_decisions_total', help: 'Actions classified, by tier and decision', labelNames: ['tier', 'decision'], registers: [this.registry] });
    this.transitions = new Counter({ name: 'af_transitions_total', help: 'Action state transitions, by new status', labelNames: ['status'], registers: [this.registry] });
    this.coolingDepth = new Gauge({ name: 'af_cooling_queue_depth', help: 'Actions waiting out a cooling period', registers: [this.registry] });
    this.awaitingDepth = new Gauge({ name: 'af_awaiting_humans', help: 'Actions waiting for human signatures', labelNames: ['status'], registers: [this.registry] });
    this.acceptLatency = new Histogram({
      name: 'af_request_duration_seconds',
      help: 'Time from request to response on the action entrances',
      labelNames: ['tier'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [this.registry],
    });
    this.upstreamLatency = new Histogram({ name: 'af_upstream_duration_seconds', help: 'Upstream call time', labelNames: ['actuator'], registers: [this.registry] });
    this.refusals = new Counter({ name: 'af_refusals_total', help: 'Requests refused, by problem code', labelNames: ['code'], registers: [this.registry] });
    // The disk's share of every durable step's latency (each accepted action waits for one).
    this.storeSync = new Histogram({
      name: 'af_store_sync_duration_seconds',
      help: 'Time of each durability barrier of the store (the WAL fdatasync on SQLite)',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1],
      registers: [this.registry],
    });
    this.storeSyncCommits = new Histogram({
      name: 'af_store_sync_commits',
      help: 'Commits made durable by one barrier (group commit: more under load)',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [this.registry],
    });
  }
}
