import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { Sealer } from '../core/sealer.ts';
import type { Signer } from '../core/signer.ts';
import type { Policy } from '../core/policy/index.ts';
import { validateBranchCard } from '../core/branch-card/validate.ts';
import type { TransparencyLog } from '../gateway/log/transparency-log.ts';
import { logAccessRouter } from '../adapters/http/routes/log-access.ts';
import { regulatorRouter } from '../adapters/http/routes/regulator.ts';
import { comparatorRouter } from '../adapters/http/routes/comparator.ts';
import { policyGovernanceMount } from '../adapters/http/routes/policy-governance.ts';
import { SdkMcpUpstream } from '../adapters/mcp/sdk-upstream.ts';
import { openRedisSharedState } from '../adapters/redis/open-shared-state.ts';
import { mcpRouter } from '../adapters/http/routes/mcp.ts';
import { oauthRouter } from '../adapters/http/routes/oauth.ts';
import { recordApproval } from '../gateway/approvals.ts';
import { AgentTokens } from '../gateway/mcp/agent-tokens.ts';
import { DpopVerifier } from '../gateway/mcp/dpop.ts';
import { RevokedTokens } from '../gateway/mcp/revoked-tokens.ts';
import { McpClientCapabilities } from '../gateway/mcp/client-capabilities.ts';
import { McpReads } from '../gateway/mcp/mcp-reads.ts';
import { ToolCalls } from '../gateway/mcp/tool-calls.ts';
import { ToolCatalog } from '../gateway/mcp/tool-catalog.ts';
import { buildGateway, type Gateway } from './build-gateway.ts';
import type { GatewayContext } from '../gateway/context.ts';
import type { RouterMount } from '../adapters/http/app.ts';
import { ComparatorVerification } from '../gateway/comparator.ts';
import type { GatewayConfig } from '../gateway/config.ts';
import type { Store } from '../gateway/ports/store.ts';
import { openStore } from './open-store.ts';
import { openPolicyGovernance, type PolicyGovernance } from '../gateway/policy-governance.ts';
import { recordPolicyActivated } from '../gateway/record-events.ts';
import { signatureCapability, type SignatureCapability } from './signature-capability.ts';
import { approverCapability } from './approver-capability.ts';
import { regulatorConsoleCapability } from './regulator-console-capability.ts';
import { PROJECT_ROOT } from '../cli/project-root.ts';

export interface AssembledGateway {
  gw: Gateway;
  store: Store;
  tlog: TransparencyLog;
  governance: PolicyGovernance;
  signatures: SignatureCapability;
  approver: ReturnType<typeof approverCapability>;
  /** Closed when the gateway stops, before the log and the store; callers may add to it. */
  closers: (() => Promise<void>)[];
}

function mcpMounts(ctx: GatewayContext, upstream: SdkMcpUpstream, config: GatewayConfig, closers: (() => Promise<void>)[]): RouterMount[] {
  // Revocations made through any replica, read back from the log each second.
  const revoked = new RevokedTokens({ log: ctx.store.log, clock: ctx.clock });
  revoked.watch(REPLICA_REFRESH_MS, (e) => ctx.log.warn({ err: (e as Error).message }, 'could not read the revoked agent tokens; will retry'));
  closers.push(async () => revoked.close());
  const tokens = new AgentTokens({ store: ctx.store, signer: ctx.signer, clock: ctx.clock, origin: ctx.publicUrl, ttlSec: config.agentTokenTtlSec, replay: ctx.replay, revoked });
  const catalog = new ToolCatalog({ upstream, policy: ctx.policy, clock: ctx.clock, log: ctx.log });
  const calls = new ToolCalls({ ctx, catalog, holdMs: config.mcpHoldMs });
  const reads = new McpReads({
    upstream,
    policy: ctx.policy,
    timeoutMs: config.upstreamTimeoutMs,
    record: async (entry) => {
      await ctx.store.tx((tx) => tx.audit([entry]));
    },
    now: () => ctx.clock.now(),
  });
  const dpop = new DpopVerifier({ clock: ctx.clock, replay: ctx.replay });
  return [
    { path: '/', router: oauthRouter(ctx, tokens, dpop) },
    { path: '/mcp', router: mcpRouter(ctx, { tokens, dpop, calls, catalog, reads, capabilities: new McpClientCapabilities() }) },
  ];
}

/** The meaning of a policy (what its hash covers), without load-time metadata. */
export function policyDocument(p: Policy): Record<string, unknown> {
  const { hash: _h, file: _f, warnings: _w, ...doc } = p;
  return doc;
}

/**
 * The whole gateway from its configuration, a signer and the policy file: store and transparency
 * log, policy governance (the active policy survives restarts), biological signatures, quorum
 * approvals, the regulator and log APIs. `start` and the test harness both use exactly this, so
 * what the tests run is what operators run.
 */
/** How long the log integrator's lease lasts unrenewed: another replica takes over within this after it dies. */
const INTEGRATOR_LEASE_MS = 5000;
/** How often each gateway reads what other replicas changed through the store: the active policy, revoked agent tokens. */
const REPLICA_REFRESH_MS = 1000;

export async function assembleGateway(o: {
  config: GatewayConfig;
  signer: Signer;
  /** The HSM's sealing key (challenge nonces stored sealed: any replica finishes a session). */
  sealer: Sealer;
  policyFile: Policy;
  clock: Clock;
  env: Record<string, string | undefined>;
  log?: Logger;
  /**
   * A store and log already open, which this gateway then neither opens nor closes: a second
   * replica on the same database within one process (the replica tests).
   */
  storage?: { store: Store; tlog: TransparencyLog };
}): Promise<AssembledGateway> {
  const log = o.log ?? pino({ level: o.config.logLevel, redact: ['req.headers.authorization', '*.pin', '*.secret'] });
  const { store, log: tlog } = o.storage !== undefined ? { store: o.storage.store, log: o.storage.tlog } : await openStore({
    dataDir: o.config.dataDir,
    database: o.config.database,
    signer: o.signer,
    clock: o.clock,
    origin: o.config.logOrigin,
    onError: (e) => log.error({ err: (e as Error).message }, 'transparency log checkpoint failed'),
    // Replicas on one database: one of them signs the automatic checkpoints (docs/operations.md §Failure modes).
    integrator: {
      holder: `${hostname()}/${process.pid}/${randomBytes(6).toString('base64url')}`,
      ttlMs: INTEGRATOR_LEASE_MS,
      onChange: (holding) => log.info({ integrator: holding }, holding ? 'this gateway is now the log integrator: it signs the checkpoints' : 'another gateway is the log integrator'),
    },
  });
  // The active policy survives restarts; the file applies only if it does not relax it (docs/governance.md).
  const governance = await openPolicyGovernance({ store, clock: o.clock, initial: o.policyFile, log });
  // Replicas on one database: another gateway's activation applies here within a second, as
  // disabling an agent does (docs/governance.md §Replicas).
  governance.watch(REPLICA_REFRESH_MS);
  const active = governance.holder.policy();
  if (active.hash !== o.policyFile.hash) log.warn({ active: active.hash, file: o.policyFile.hash }, 'the policy file differs from the active policy, which stays in force');
  // Biological signatures (HIGH) and the biological part of quorums (CRITICAL): docs/protocol.md.
  const signatures = signatureCapability({ env: o.env, recordApproval });
  // The approver app (docs/approver-app.md): people's phones, on the signature capability's people and devices.
  const approver = approverCapability({ env: o.env, signatures, projectRoot: PROJECT_ROOT, dataDir: o.config.dataDir, log: tlog });
  // The regulator console (docs/regulator.md §7): passkey sign-in, the log read and checked in the browser.
  const regulatorConsole = regulatorConsoleCapability({ env: o.env, signatures, log: tlog });
  const closers: (() => Promise<void>)[] = [];
  // The MCP entrance (docs/mcp.md): agents' OAuth tokens, upstream MCP servers' tools through the same pipeline.
  const mcp = new SdkMcpUpstream({ env: o.env });
  // Several replicas (REDIS_URL): rate limits, replay caches, sessions and status changes in Redis.
  const redis = o.config.redis;
  const shared = redis === undefined ? undefined : openRedisSharedState({ url: redis.url, keyPrefix: redis.keyPrefix, log, now: () => o.clock.now() });
  try {
    const gw = buildGateway({
      ...(shared === undefined ? {} : { shared }),
      mcp,
      config: o.config,
      store,
      signer: o.signer,
      sealer: o.sealer,
      policy: governance.policy,
      internalActuators: governance.internalActuators,
      parseBranchCard: validateBranchCard,
      clock: o.clock,
      log,
      env: o.env,
      mounts: (ctx) => {
        // The comparator of a CRITICAL action: evidence package and passkey co-signature (issue 5), for the API and the app.
        const comparator = new ComparatorVerification({ ctx, log: tlog, signatures: () => signatures.service });
        return [
        policyGovernanceMount(ctx, governance),
        { path: '/', router: logAccessRouter(ctx, tlog) },
        { path: '/', router: regulatorRouter(ctx, tlog) },
        ...signatures.mounts(ctx),
        { path: '/', router: comparatorRouter(ctx, comparator) },
        ...regulatorConsole.mounts(ctx),
        ...approver.mounts(ctx, comparator),
        ...mcpMounts(ctx, mcp, o.config, closers),
        ];
      },
      attach: [signatures.attach],
      closers: [async () => {
        for (const c of closers) await c();
      }, async () => approver.close(), async () => regulatorConsole.close(), () => mcp.close(), async () => (o.storage === undefined ? tlog.close() : undefined), async () => governance.close()],
      ...(o.storage === undefined ? {} : { keepStoreOpen: true }),
    });
    // A signed checkpoint exists from the first moment (the empty tree's on a fresh log), so
    // /log/checkpoint is never 404 and a witness can start from it (issue 13 item 9).
    // Gateways starting together on one database race for it; the loser gets the winner's (checkpointer.ts).
    if ((await tlog.latestCheckpoint()) === null) await tlog.checkpoint();
    // The active policy is in the log before any action, so every bundle is verifiable on its own.
    await recordPolicyActivated(store, o.clock, { hash: active.hash, name: active.name, document: policyDocument(active) });
    return { gw, store, tlog, governance, signatures, approver, closers };
  } catch (e) {
    // Its connections would keep a failed start-up's process alive, reconnecting.
    await shared?.close();
    throw e;
  }
}
