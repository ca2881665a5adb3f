import { readFile } from 'node:fs/promises';
import { startExampleActuator } from '../../examples/actuators.ts';
import { startExampleMcpServer } from '../../examples/mcp-payments.ts';
import { startExampleWebhookReceiver, type Notification } from '../../examples/webhook-receiver.ts';
import { parsePolicy } from '../core/policy/parse.ts';
import type { Policy } from '../core/policy/types.ts';
import { loadPolicyFile } from '../adapters/policy-file.ts';
import { listenError } from './listen-error.ts';

/**
 * The example actuators of embedded defaults (two HTTP APIs and an MCP server) and the receiver of
 * the example policy's webhook (`npm start` and `npm run cluster` without POLICY_FILE), on ports the
 * environment may change so that two gateways can run on one machine. The example policy names
 * them at 127.0.0.1:9090, :9091, :9092 and :9999; other ports are written into it before it is parsed.
 * Fixed ports rather than free ones picked at each start: the upstreams are part of the active
 * policy, which survives restarts, and moving them would be a policy change (docs/governance.md).
 */
export const EXAMPLE_ACTUATORS = [
  { name: 'payments', variable: 'EXAMPLE_PAYMENTS_PORT', defaultPort: 9090 },
  { name: 'infra', variable: 'EXAMPLE_INFRA_PORT', defaultPort: 9091 },
  // The example payments MCP server behind /mcp (policy mcp_servers.payments-mcp; README "MCP").
  { name: 'payments-mcp', variable: 'EXAMPLE_MCP_PORT', defaultPort: 9092 },
  // The policy's notify.webhooks: without a receiver every notification would end 'webhook not delivered'.
  { name: 'webhook', variable: 'EXAMPLE_WEBHOOK_PORT', defaultPort: 9999 },
] as const;

export type ExamplePorts = Record<(typeof EXAMPLE_ACTUATORS)[number]['name'], number>;

/** The example policy's text with its upstreams at the configured ports (undefined: none moved, the file as it is). */
export async function movedExamplePolicyText(file: string, ports: ExamplePorts): Promise<string | undefined> {
  const moved = EXAMPLE_ACTUATORS.filter((a) => ports[a.name] !== a.defaultPort);
  if (moved.length === 0) return undefined;
  await loadPolicyFile(file); // the file's own errors first, named as usual
  let text = await readFile(file, 'utf8');
  for (const a of moved) text = text.replaceAll(`http://127.0.0.1:${a.defaultPort}/`, `http://127.0.0.1:${ports[a.name]}/`).replaceAll(`upstream: http://127.0.0.1:${a.defaultPort}\n`, `upstream: http://127.0.0.1:${ports[a.name]}\n`);
  return text;
}

/** The example policy with its upstreams at the configured ports. */
export async function loadExamplePolicy(file: string, ports: ExamplePorts): Promise<Policy> {
  const text = await movedExamplePolicyText(file, ports);
  return text === undefined ? loadPolicyFile(file) : parsePolicy(text, file);
}

/**
 * Starts all four, in EXAMPLE_ACTUATORS' order; a port already taken stops start-up with PORT_IN_USE
 * naming the variable. `onNotification` hears each webhook the receiver took (signature checked, once per id).
 */
export async function startExampleActuators(o: { ports: ExamplePorts; gatewayUrl: string; issuer: string; onNotification: (n: Notification) => void }): Promise<{ url: string; close(): Promise<void> }[]> {
  const started: { url: string; close(): Promise<void> }[] = [];
  try {
    for (const a of EXAMPLE_ACTUATORS) {
      const port = o.ports[a.name];
      const start =
        a.name === 'payments-mcp'
          ? startExampleMcpServer({ port, gatewayUrl: o.gatewayUrl, issuer: o.issuer })
          : a.name === 'webhook'
            ? startExampleWebhookReceiver({ port, gatewayUrl: o.gatewayUrl, onNotification: o.onNotification })
            : startExampleActuator({ name: a.name, port, gatewayUrl: o.gatewayUrl, issuer: o.issuer });
      started.push(await start.catch((e: unknown) => Promise.reject(listenError(e, port, a.variable))));
    }
    return started;
  } catch (e) {
    for (const s of started) await s.close();
    throw e;
  }
}
