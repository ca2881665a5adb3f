import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import { systemClock } from '../core/clock.ts';
import { loadPolicyFile } from '../adapters/policy-file.ts';
import { loadConfig } from '../gateway/config.ts';
import { policyPort } from '../gateway/policy-port.ts';
import { copyHsmAuditHead } from '../gateway/record-events.ts';
import { assembleGateway } from '../main/assemble.ts';
import { openSigner } from './open-signer.ts';
import { BatchingSigner } from '../adapters/signer/batching-signer.ts';
import { ensureDemoPrincipals } from './principals.ts';
import { PROJECT_ROOT } from './project-root.ts';
import { loadExamplePolicy, startExampleActuators } from './example-actuators.ts';
import { listenError } from './listen-error.ts';
import { withSameEnv } from './same-env.ts';

/**
 * `start`: the gateway, and on embedded defaults also hsm-sim, the two example actuators and the
 * example MCP server. `exitWithParent`: stop as on SIGTERM when stdin closes. `npm run cluster` spawns its replicas so:
 * killed with SIGKILL, it cannot stop them, but the pipe it held closes and they stop themselves.
 */
export async function runStart(o: { exitWithParent?: boolean } = {}): Promise<number> {
  const config = loadConfig(process.env, process.cwd(), PROJECT_ROOT);
  const log = pino({ level: config.logLevel, redact: ['req.headers.authorization', '*.pin', '*.secret'] });
  let parentGone = false;
  let onParentGone = (): void => {
    parentGone = true;
  };
  if (o.exitWithParent) {
    process.stdin.on('data', () => {}); // nothing is read from it; only its end matters
    process.stdin.once('close', () => onParentGone());
    process.stdin.once('end', () => onParentGone());
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // Policy first: a broken policy file must stop start-up before anything else happens.
  const policyDoc = config.embeddedDefaults ? await loadExamplePolicy(config.policyFile, config.examplePorts) : await loadPolicyFile(config.policyFile);
  const policy = policyPort(policyDoc);
  log.info({ policy: policy.name, hash: policy.hash, file: config.policyFile }, 'policy loaded');

  // What has been opened so far, closed in reverse if start-up fails (a taken port, say), so the
  // process exits with its one-line error instead of staying up with an hsm-sim child and no gateway.
  const opened: (() => Promise<void>)[] = [];
  const closeOpened = async () => {
    for (const c of opened.splice(0).reverse()) await c().catch(() => {});
  };
  try {
    const device = await openSigner(config, process.env, log);
    opened.push(() => device.close());
    const signer = new BatchingSigner(device.signer);
    if (config.embeddedDefaults) {
      const examples = await startExampleActuators({
        ports: config.examplePorts,
        gatewayUrl: config.publicUrl,
        issuer: config.gatewayId,
        onNotification: (n) => log.info({ webhook: n.type, actionId: n.action, id: n.id }, 'example webhook receiver: notification received'),
      });
      for (const e of examples) opened.push(() => e.close());
      log.info({ payments: examples[0]!.url, infra: examples[1]!.url, paymentsMcp: examples[2]!.url, webhook: examples[3]!.url }, 'embedded defaults: example actuators and webhook receiver listening');
    }
    const { gw, store, closers, approver } = await assembleGateway({ config, signer, sealer: device.sealer, policyFile: policyDoc, clock: systemClock, env: process.env, log });
    opened.push(() => gw.close());
    const hsmHead =
      device.auditHead === undefined
        ? undefined
        : copyHsmAuditHead({ store, clock: systemClock, auditHead: device.auditHead, everyMs: 60_000, log });
    if (hsmHead !== undefined) closers.push(async () => hsmHead.stop());
    await hsmHead?.copyNow();
    if (config.embeddedDefaults) {
      const keys = await ensureDemoPrincipals(store, config.dataDir, systemClock.now());
      log.info({ demoAgentKey: keys.agentKeyFile, demoHumanKey: keys.humanKeyFile, demoRegulatorKey: keys.regulatorKeyFile }, 'embedded defaults: demo agent, human and regulator registered (see README tour)');
    }
    const addr = await gw.listen().catch((e: unknown) => Promise.reject(listenError(e, config.port, 'PORT')));
    log.info({ url: config.publicUrl, address: `${addr.address}:${addr.port}`, signer: config.signer.backend }, 'analog firewall listening');
    const appOrigin = approver.app?.config.appOrigin;
    if (appOrigin !== undefined) {
      log.info({ app: `${appOrigin}/app/` }, 'approver app');
      process.stderr.write(`Approver app: ${appOrigin}/app/  (invite a person: ${withSameEnv(process.env, 'npm run cli -- person invite alice')})\n`);
    }
  } catch (e) {
    await closeOpened();
    throw e;
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await closeOpened();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  onParentGone = () => void stop('parent gone');
  if (parentGone) onParentGone();
  return -1; // keep running
}
