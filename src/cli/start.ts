import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import { systemClock } from '../core/clock.ts';
import { loadPolicyFile } from '../adapters/policy-file.ts';
import { loadConfig } from '../gateway/config.ts';
import { policyPort } from '../gateway/policy-port.ts';
import { copyHsmAuditHead } from '../gateway/record-events.ts';
import { assembleGateway } from '../gateway/assemble.ts';
import { startExampleActuator } from '../../examples/actuators.ts';
import { startExampleMcpServer } from '../../examples/mcp-payments.ts';
import { openSigner } from './open-signer.ts';
import { BatchingSigner } from '../adapters/signer/batching-signer.ts';
import { ensureDemoPrincipals } from './principals.ts';
import { PROJECT_ROOT } from './project-root.ts';

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
  const examples: { close(): Promise<void> }[] = [];
  if (config.embeddedDefaults) {
    for (const [name, port] of [['payments', 9090], ['infra', 9091]] as const) {
      examples.push(await startExampleActuator({ name, port, gatewayUrl: config.publicUrl, issuer: config.gatewayId }));
    }
    // The example payments MCP server behind /mcp (policy mcp_servers.payments-mcp; README "MCP").
    examples.push(await startExampleMcpServer({ gatewayUrl: config.publicUrl, issuer: config.gatewayId, port: 9092 }));
  }
  const { gw, store, closers } = await assembleGateway({ config, signer, policyFile: policyDoc, clock: systemClock, env: process.env, log });
  const hsmHead =
    opened.auditHead === undefined
      ? undefined
      : copyHsmAuditHead({ store, clock: systemClock, auditHead: opened.auditHead, everyMs: 60_000, log });
  if (hsmHead !== undefined) closers.push(async () => hsmHead.stop());
  await hsmHead?.copyNow();
  if (config.embeddedDefaults) {
    const keys = await ensureDemoPrincipals(store, config.dataDir, systemClock.now());
    log.info({ demoAgentKey: keys.agentKeyFile, demoHumanKey: keys.humanKeyFile, demoRegulatorKey: keys.regulatorKeyFile }, 'embedded defaults: demo agent, human and regulator registered (see README tour)');
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
