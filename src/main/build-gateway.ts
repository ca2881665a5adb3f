import proxyaddr from 'proxy-addr';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Express } from 'express';
import { pino, type Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { Sealer } from '../core/sealer.ts';
import type { Signer } from '../core/signer.ts';
import type { BranchCard } from '../core/branch-card/branch-card.ts';
import { createApp, type RouterMount } from '../adapters/http/app.ts';
import { answerParserErrors } from '../adapters/http/parser-errors.ts';
import { proxyEntrance } from '../adapters/http/proxy-entrance.ts';
import { EventHub } from '../adapters/notify/event-hub.ts';
import { WebhookSender } from '../adapters/notify/webhook-sender.ts';
import { forwardRequest } from '../adapters/upstream/forward-request.ts';
import type { Store } from '../gateway/ports/store.ts';
import { Authenticator } from '../gateway/authenticate.ts';
import { MemoryReplayCache } from '../gateway/jti-cache.ts';
import { MemoryNonceStore } from '../gateway/sessions/nonce-store.ts';
import { MemorySessionRegistry } from '../gateway/sessions/session-registry.ts';
import type { SharedState } from '../gateway/ports/shared-state.ts';
import { Sessions } from '../gateway/sessions/sessions.ts';
import type { GatewayConfig } from '../gateway/config.ts';
import type { GatewayContext, Readiness } from '../gateway/context.ts';
import { Dispatcher } from '../gateway/dispatcher.ts';
import { receiptIssuer } from '../gateway/issue-receipt.ts';
import { Metrics } from '../gateway/metrics.ts';
import type { PolicyPort } from '../gateway/ports/policy.ts';
import type { InternalExecutor } from '../gateway/internal-actuators.ts';
import { RateLimits } from '../gateway/rate-limits.ts';
import { Scheduler } from '../gateway/scheduler.ts';
import { StatusBus } from '../gateway/status-bus.ts';
import { WAITING_ON_PEOPLE, wireNotifications } from '../gateway/notifier.ts';
import { CoolingClock } from '../gateway/cooling-clock.ts';
import type { McpUpstream } from '../gateway/mcp/upstream-port.ts';

/** How often a running gateway marks the store alive (gateway/cooling-clock.ts): an outage is 5 silent beats. */
const COOLING_BEAT_MS = 1000;

export interface GatewayParts {
  config: GatewayConfig;
  store: Store;
  signer: Signer;
  sealer: Sealer;
  policy: () => PolicyPort;
  parseBranchCard: (card: unknown) => BranchCard;
  clock: Clock;
  log?: Logger;
  /** Routers of other capabilities (log, signatures, …), mounted before the 404 handler. */
  mounts?: (ctx: GatewayContext) => RouterMount[];
  /** Closed (in order) when the gateway stops, before the store. */
  closers?: (() => Promise<void>)[];
  /** Environment for secrets the policy names by variable (webhook secrets). */
  env?: Record<string, string | undefined>;
  /** Pseudo-actuators ('@…') the gateway executes itself, e.g. the policy governance's '@policy'. */
  internalActuators?: ReadonlyMap<string, InternalExecutor>;
  /** Upstream MCP servers' client (policy `mcp_servers:`). */
  mcp?: McpUpstream;
  /** Attached to the HTTP server as soon as it exists (WebSocket upgrades); closed before the server closes. */
  attach?: ((server: Server, ctx: GatewayContext) => { close(): Promise<void> | void })[];
  /**
   * What several replicas share (rate limits, replay caches, sessions, status changes); without
   * it all of that lives in this process (one gateway). Closed by `close()`, before the store.
   */
  shared?: SharedState;
  /** The store belongs to someone else (another replica in the same process): `close()` leaves it open. */
  keepStoreOpen?: boolean;
}

export interface Gateway {
  ctx: GatewayContext;
  app: Express;
  server: Server | undefined;
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** Wires a gateway from its parts. Nothing listens until `listen()`. */
export function buildGateway(parts: GatewayParts): Gateway {
  const { config, store, signer, clock } = parts;
  const log = parts.log ?? pino({ level: config.logLevel, redact: ['req.headers.authorization', '*.pin', '*.secret'] });
  const shared = parts.shared;
  const bus = new StatusBus({
    ...(shared === undefined ? {} : { feed: shared.feed }),
    read: (id) => store.getAction(id),
    onError: (e, id) => log.warn({ actionId: id, err: (e as Error).message }, "could not read another replica's status change"),
  });
  const metrics = new Metrics();
  bus.observe((a) => metrics.transitions.inc({ status: a.status }));
  store.observeSyncs?.((seconds, commits) => {
    metrics.storeSync.observe(seconds);
    metrics.storeSyncCommits.observe(commits);
  });
  const hub = new EventHub();
  const webhooks = new WebhookSender({
    signer,
    clock,
    onOutcome: (out) => {
      if (!out.delivered) log.warn({ url: out.url, failure: out.failure, attempts: out.attempts }, 'webhook not delivered');
    },
  });
  const { announce, announceWaiting } = wireNotifications({ bus, policy: parts.policy, hub, webhooks, env: parts.env ?? {} });
  let lastReady: Readiness = { ready: false, checks: {} };
  // Releasing cooled actions needs the store, the signer and the policy, not Redis: a Redis outage
  // stops new requests (they fail closed) but not what was already accepted.
  let executionReady = false;

  /**
   * The store check. A store that answers again after not answering is not ready until the cooling
   * clock has given back the outage (gateway/cooling-clock.ts): nobody could veto while it was
   * down, on this gateway or, if none marked the store meanwhile, on any. Until then nothing is
   * released and nothing new accepted.
   */
  const storeCheck = async (): Promise<{ ok: boolean; reason?: string }> => {
    if (!(await store.ping().catch(() => false))) {
      coolingClock.interrupted();
      return { ok: false, reason: 'store does not answer' };
    }
    // The clock's beat may have come first and resumed already; then this finds nothing to do.
    if (coolingClock.needsResume) {
      try {
        await coolingClock.resume();
      } catch (e) {
        return { ok: false, reason: `store answers again, but cooling periods could not be checked for the outage: ${(e as Error).message}` };
      }
    }
    return { ok: true };
  };

  const readiness = async (): Promise<Readiness> => {
    const checks: Readiness['checks'] = {};
    checks['store'] = await storeCheck();
    if (shared !== undefined) checks['redis'] = shared.health();
    checks['signer'] = await signer.health().catch((e: unknown) => ({ ok: false, reason: (e as Error).message }));
    try {
      const p = parts.policy();
      checks['policy'] = { ok: p.hash.length === 64 };
    } catch (e) {
      checks['policy'] = { ok: false, reason: (e as Error).message };
    }
    lastReady = { ready: Object.values(checks).every((c) => c.ok), checks };
    executionReady = Object.entries(checks).every(([name, c]) => name === 'redis' || c.ok);
    return lastReady;
  };

  const dispatcher = new Dispatcher({
    store,
    policy: parts.policy,
    clock,
    issueReceipt: receiptIssuer({ signer, clock, issuer: config.gatewayId, ttlSec: config.receiptTtlSec }),
    forward: forwardRequest,
    events: bus,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    dispatchLeaseMs: config.dispatchLeaseMs,
    maxAttempts: config.maxDispatchAttempts,
    maxUpstreamBodyBytes: 1024 * 1024,
    log,
    ...(parts.internalActuators === undefined ? {} : { internal: parts.internalActuators }),
    ...(parts.mcp === undefined ? {} : { mcp: parts.mcp }),
  });
  const scheduler = new Scheduler({
    store,
    clock,
    dispatcher,
    events: bus,
    dispatchLeaseMs: config.dispatchLeaseMs,
    tickMs: config.schedulerTickMs,
    ready: () => executionReady,
    log,
  });
  const coolingClock = new CoolingClock({ store, clock, beatMs: COOLING_BEAT_MS, log });
  // Client assertions (every entrance) and DPoP proofs: one id, one use, on every replica.
  const replay = shared?.assertions ?? new MemoryReplayCache({ since: clock.now() });
  const ctx: GatewayContext = {
    publicUrl: config.publicUrl,
    trustProxy: proxyaddr.compile(config.trustedProxies),
    bodyLimitBytes: config.bodyLimitBytes,
    dispatchLeaseMs: config.dispatchLeaseMs,
    store,
    policy: parts.policy,
    clock,
    signer,
    sealer: parts.sealer,
    auth: new Authenticator({ store, clock, audience: config.publicUrl, replay }),
    replay,
    sessions: new Sessions({
      signer,
      clock,
      store,
      registry: shared?.sessions ?? new MemorySessionRegistry(),
      nonces: shared?.nonces ?? new MemoryNonceStore(config.sessions.nonceStoreMax, clock.now()),
      ttlSec: config.sessions.ttlSec,
      maxPerAgent: config.sessions.maxPerAgent,
      windowSec: config.sessions.windowSec,
    }),
    limits: new RateLimits(config.rateLimits, shared === undefined ? {} : { counters: shared.counters }),
    dispatcher,
    scheduler,
    bus,
    hub,
    metrics,
    log,
    readiness,
    isReady: () => lastReady.ready,
    parseBranchCard: parts.parseBranchCard,
    announce,
  };
  const app = createApp(ctx, parts.mounts?.(ctx) ?? []);
  let readinessTimer: NodeJS.Timeout | undefined;
  const attached: { close(): Promise<void> | void }[] = [];

  const gw: Gateway = {
    ctx,
    app,
    server: undefined,
    async listen() {
      await bus.start();
      await readiness();
      readinessTimer = setInterval(() => void readiness(), 1000);
      readinessTimer.unref();
      // Before anything is released: cooling periods that ran out while no gateway ran move later.
      await coolingClock.resume();
      coolingClock.start();
      const recovered = await scheduler.recover();
      if (recovered > 0) log.info({ recovered }, 'resending actions that were in flight at the last stop');
      // Webhooks queued or retrying when the last process stopped went with it: what still waits on
      // people is announced again, under the same message ids (receivers de-duplicate).
      if (parts.policy().webhooks().length > 0) {
        const again = announceWaiting(await store.actionsInStatus(WAITING_ON_PEOPLE));
        if (again > 0) log.info({ actions: again }, 'announcing again the actions that wait on people');
      }
      scheduler.start();
      // The proxy entrance answers /proxy/… itself; everything else goes to the express app.
      const handler = proxyEntrance(ctx, app);
      const server: Server = (config.tls === undefined ? createHttpServer(handler) : createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, handler)).listen(config.port, config.host);
      gw.server = server;
      answerParserErrors(server);
      for (const a of parts.attach ?? []) attached.push(a(server, ctx));
      server.keepAliveTimeout = 65_000;
      await once(server, 'listening');
      return server.address() as AddressInfo;
    },
    async close() {
      scheduler.stop();
      coolingClock.stop();
      hub.close();
      await webhooks.close();
      if (readinessTimer !== undefined) clearInterval(readinessTimer);
      // Upgraded sockets (WebSockets) are not the HTTP server's to close: their owners end them first.
      for (const a of attached.splice(0)) await a.close();
      if (gw.server !== undefined) {
        gw.server.closeAllConnections();
        await new Promise<void>((r) => gw.server!.close(() => r()));
      }
      // Let in-flight dispatches settle so their outcome is committed before the store closes.
      for (let i = 0; i < 200 && dispatcher.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
      for (const c of parts.closers ?? []) await c();
      await shared?.close();
      if (parts.keepStoreOpen !== true) await store.close();
    },
  };
  return gw;
}
