import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import { systemClock } from '../core/clock.ts';
import { validateBranchCard } from '../core/branch-card/validate.ts';
import { loadPolicyFile } from '../adapters/policy-file.ts';
import { buildGateway } from '../gateway/build.ts';
import { loadConfig } from '../gateway/config.ts';
import { policyPort } from '../gateway/policy-port.ts';
import { openStore } from '../gateway/open-store.ts';
import { logAccessRouter } from '../adapters/http/routes/log-access.ts';
import { regulatorRouter } from '../adapters/http/routes/regulator.ts';
import { copyHsmAuditHead, recordPolicyActivated } from '../gateway/record-events.ts';
import { startExampleActuator } from '../../examples/actuators.ts';
import { openSigner } from './open-signer.ts';
import { BatchingSigner } from '../adapters/signer/batching-signer.ts';
import { ensureDemoPrincipals } from './principals.ts';
import { signatureCapability } from '../gateway/signatures/capability.ts';
import { openPolicyGovernance } from '../gateway/policy-governance.ts';
import { policyGovernanceMount } from '../adapters/http/routes/policy-governance.ts';
import { recordApproval } from '../gateway/approvals.ts';
import { PROJECT_ROOT } from './project-root.ts';
import type { Policy } from '../core/policy/index.ts';

/** The meaning of a policy (what its hash covers), without load-time metadata. */
function policyDocument(p: Policy): Record<string, unknown> {
  const { hash: _h, file: _f, warnings: _w, ...doc } = p;
  return doc;
}

/** `start`: the gateway, and on embedded defaults also hsm-sim and the two example actuators. */
export async function runStart(): Promise<number> {
  const config = loadConfig(process.env, process.cwd(), PROJECT_ROOT);
  const log = pino({ level: config.logLevel, redact: ['req.headers.authorization', '*.pin', '*.secret'] });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // Policy first: a broken policy file must stop start-up before anything else happens.
  const policyDoc = await loadPolicyFile(config.policyFile);
  const policy = policyPort(policyDoc);
  log.info({ policy: policy.name, hash: policy.hash, file: config.policyFile }, 'policy loaded');

  const opened = await openSigner(config, process.env, (line) => process.stderr.write(line + '\n'));
  const signer = new BatchingSigner(opened.signer);
  const { store, log: tlog } = openStore({
    dataDir: config.dataDir,
    signer,
    clock: systemClock,
    origin: config.logOrigin,
    onError: (e) => log.error({ err: (e as Error).message }, 'transparency log checkpoint failed'),
  });
  // The active policy survives restarts; the file applies only if it does not relax it (docs/governance.md).
  const governance = await openPolicyGovernance({ store, clock: systemClock, initial: policyDoc, log });
  const active = governance.holder.policy();
  if (active.hash !== policy.hash) log.warn({ active: active.hash, file: policy.hash }, 'the policy file differs from the active policy, which stays in force');
  const examples: { close(): Promise<void> }[] = [];
  if (config.embeddedDefaults) {
    for (const [name, port] of [['payments', 9090], ['infra', 9091]] as const) {
      examples.push(await startExampleActuator({ name, port, gatewayUrl: config.publicUrl, issuer: config.gatewayId }));
    }
  }
  // Biological signatures (HIGH) and the biological part of quorums (CRITICAL): docs/protocol.md.
  const signatures = signatureCapability({ env: process.env, recordApproval });
  const gw = buildGateway({
    config,
    store,
    signer,
    policy: governance.policy,
    internalActuators: governance.internalActuators,
    parseBranchCard: validateBranchCard,
    clock: systemClock,
    log,
    env: process.env,
    mounts: (ctx) => [policyGovernanceMount(ctx, governance), { path: '/', router: logAccessRouter(ctx, tlog) }, { path: '/', router: regulatorRouter(ctx, tlog) }, ...signatures.mounts(ctx)],
    attach: [signatures.attach],
    closers: [async () => hsmHead?.stop(), () => tlog.close(), async () => governance.close()],
  });
  await recordPolicyActivated(store, systemClock, { hash: active.hash, name: active.name, document: policyDocument(active) });
  const hsmHead =
    opened.auditHead === undefined
      ? undefined
      : copyHsmAuditHead({ store, clock: systemClock, auditHead: opened.auditHead, everyMs: 60_000, log });
  await hsmHead?.copyNow();
  if (config.embeddedDefaults) {
    const keys = await ensureDemoPrincipals(store, config.dataDir, systemClock.now());
    log.info({ demoAgentKey: keys.agentKeyFile, demoHumanKey: keys.humanKeyFile }, 'embedded defaults: demo agent and human registered (see README tour)');
  }
  const addr = await gw.listen();
  log.info({ url: config.publicUrl, address: `${addr.address}:${addr.port}`, signer: config.signer.backend }, 'analog firewall listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await gw.close();
    for (const e of examples) await e.close();
    await opened.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return -1; // keep running
}
