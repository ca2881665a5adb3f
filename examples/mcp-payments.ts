import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ErrorCode, GetPromptRequestSchema, ListPromptsRequestSchema, ListResourcesRequestSchema, ListToolsRequestSchema, McpError, ReadResourceRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import { mcpReceiptGuard } from '../clients/actuator/index.ts';
import { isFirewallError } from '../src/core/errors.ts';

/**
 * An example payments MCP server behind the gateway (README "MCP"): `get_balance` (read-only) and
 * `transfer`. Every call must carry the gateway's receipt for exactly that tool and those
 * arguments (clients/actuator mcpReceiptGuard); each action runs once, a resend gets the first answer.
 */
export interface ExampleMcpServer {
  url: string;
  server: HttpServer;
  executions: { tool: string; args: Record<string, unknown>; action: string; tier: string }[];
  refusals: string[];
  close(): Promise<void>;
}

const TOOLS = [
  {
    name: 'get_balance',
    description: 'Balance of an account.',
    inputSchema: { type: 'object', properties: { account: { type: 'string' } }, required: ['account'], additionalProperties: false },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'transfer',
    description: 'Transfer money to a payee.',
    inputSchema: {
      type: 'object',
      properties: { payee: { type: 'string' }, amount: { type: 'number', minimum: 0 }, currency: { type: 'string' } },
      required: ['payee', 'amount', 'currency'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  },
  {
    name: 'close_account',
    description: 'Close an account for good.',
    inputSchema: { type: 'object', properties: { account: { type: 'string' } }, required: ['account'], additionalProperties: false },
    annotations: { destructiveHint: true },
  },
];

export async function startExampleMcpServer(o: { gatewayUrl: string; issuer: string; name?: string; port?: number; host?: string }): Promise<ExampleMcpServer> {
  const guard = mcpReceiptGuard({ jwks: new URL('/.well-known/jwks.json', o.gatewayUrl), issuer: o.issuer, audience: o.name ?? 'payments-mcp' });
  const executions: ExampleMcpServer['executions'] = [];
  const refusals: string[] = [];
  const answered = new Map<string, unknown>();
  const balances = new Map<string, number>([['acc-1', 12_500], ['acc-2', 310]]);

  const mcpServer = (): Server => {
    const s = new Server({ name: 'example-payments', version: '1.0.0' }, { capabilities: { tools: {}, resources: {}, prompts: {} } });
    s.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));
    s.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [{ uri: 'payments://accounts', name: 'accounts', mimeType: 'application/json' }] }));
    s.setRequestHandler(ReadResourceRequestSchema, (req) => {
      if (req.params.uri !== 'payments://accounts') throw new McpError(ErrorCode.InvalidParams, 'no such resource');
      return { contents: [{ uri: req.params.uri, mimeType: 'application/json', text: JSON.stringify([...balances.keys()]) }] };
    });
    s.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: [{ name: 'pay_invoice', description: 'Pay an invoice', arguments: [{ name: 'invoice', required: true }] }] }));
    s.setRequestHandler(GetPromptRequestSchema, (req) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Pay invoice ${req.params.arguments?.['invoice'] ?? '?'} with the transfer tool.` } }],
    }));
    s.setRequestHandler(CallToolRequestSchema, async (req) => {
      const { name, arguments: args = {}, _meta } = req.params;
      let claims;
      try {
        claims = await guard.check(name, args, _meta);
      } catch (e) {
        refusals.push(isFirewallError(e) ? e.code : 'UNKNOWN');
        throw new McpError(ErrorCode.InvalidRequest, `refused: ${isFirewallError(e) ? e.code : 'no valid receipt'}`);
      }
      const prior = answered.get(claims.sub);
      if (prior !== undefined) return prior as { content: { type: 'text'; text: string }[] };
      let out: { content: { type: 'text'; text: string }[]; structuredContent?: Record<string, unknown> };
      if (name === 'get_balance') {
        const account = String(args['account']);
        out = { content: [{ type: 'text', text: `${account}: ${balances.get(account) ?? 0} EUR` }], structuredContent: { account, balance: balances.get(account) ?? 0, currency: 'EUR' } };
      } else if (name === 'transfer') {
        // The bank's own refusal: an answer, so the action is over (and the receipt is used up).
        if (args['payee'] === 'SANCTIONED') throw new McpError(ErrorCode.InvalidParams, 'payee is on a sanctions list');
        out = { content: [{ type: 'text', text: `transferred ${String(args['amount'])} ${String(args['currency'])} to ${String(args['payee'])}` }], structuredContent: { transfer: `tr-${executions.length + 1}`, state: 'settled' } };
      } else if (name === 'close_account') {
        out = { content: [{ type: 'text', text: `closed ${String(args['account'])}` }] };
      } else {
        throw new McpError(ErrorCode.InvalidParams, `no tool ${name}`);
      }
      executions.push({ tool: name, args, action: claims.sub, tier: claims.tier });
      answered.set(claims.sub, out);
      return out;
    });
    return s;
  };

  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.post('/mcp', async (req, res) => {
    const s = mcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void s.close();
    });
    await s.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  const server = app.listen(o.port ?? 0, o.host ?? '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}/mcp`,
    server,
    executions,
    refusals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
