import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import express, { type Request, type Response, type Router } from 'express';
import { isFirewallError, type FirewallError } from '../../../core/errors.ts';
import type { PrincipalRecord } from '../../../adapters/store/store.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import type { AgentTokens } from '../../../gateway/mcp/agent-tokens.ts';
import type { McpReads } from '../../../gateway/mcp/mcp-reads.ts';
import type { ToolCalls } from '../../../gateway/mcp/tool-calls.ts';
import type { ToolCatalog } from '../../../gateway/mcp/tool-catalog.ts';
import { parseIdempotencyKey } from '../submission-schema.ts';

export const STATUS_TOOL = 'analog_firewall_status';
const IDEMPOTENCY_META_KEY = 'io.analog-firewall/idempotency-key';
const BRANCH_CARD_META_KEY = 'io.analog-firewall/branch-card';

const STATUS_TOOL_SPEC = {
  name: STATUS_TOOL,
  title: 'Outcome of a held call',
  description:
    'Consequential calls through the Analog Firewall are held at human tempo (cooling, a live human signature, or a quorum). A held call returns an actionId; call this tool with it to learn the outcome, instead of repeating the call.',
  inputSchema: {
    type: 'object',
    properties: {
      actionId: { type: 'string', description: 'the actionId a held call returned' },
      waitSeconds: { type: 'number', minimum: 0, maximum: 30, description: 'wait up to this long for the outcome (default 0)' },
    },
    required: ['actionId'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, idempotentHint: true },
};

/** JSON-RPC error codes of the gateway's own refusals (docs/mcp.md "Errors"); `data.code` names the precise reason. */
function mcpErrorOf(e: FirewallError): McpError {
  const code = e.status === 400 || e.status === 404 || e.status === 422 ? ErrorCode.InvalidParams : e.status >= 500 ? ErrorCode.InternalError : -32003;
  return new McpError(code, e.status >= 500 && e.status !== 502 && e.status !== 503 ? 'the gateway could not handle the call' : e.message, { code: e.code, status: e.status });
}

function principalMcpServer(ctx: GatewayContext, agent: PrincipalRecord, deps: { calls: ToolCalls; catalog: ToolCatalog; reads: McpReads }): Server {
  const server = new Server(
    { name: 'analog-firewall', version: '0.1.0' },
    {
      capabilities: { tools: { listChanged: false }, resources: {}, prompts: {} },
      instructions:
        'Every tool call passes the Analog Firewall. Reads return at once; consequential calls may be held at human tempo and then return an actionId: ask analog_firewall_status later rather than repeating the call.',
    },
  );
  const guard = async <T,>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof McpError) throw e;
      if (isFirewallError(e)) throw mcpErrorOf(e);
      ctx.log.error({ err: (e as Error).message }, 'mcp request failed');
      throw new McpError(ErrorCode.InternalError, 'the gateway could not handle the call');
    }
  };
  server.setRequestHandler(ListToolsRequestSchema, () =>
    guard(async () => ({
      // Output schemas are not passed on: a held call answers with the gateway's status, not the tool's output.
      tools: [STATUS_TOOL_SPEC, ...(await deps.catalog.list()).map(({ outputSchema: _o, ...t }) => t)],
    })),
  );
  server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
    guard(async () => {
      const { name, arguments: args, _meta } = request.params;
      if (name === STATUS_TOOL) return deps.calls.status(agent, args?.['actionId'], args?.['waitSeconds'], extra.signal);
      const meta = (_meta ?? {}) as Record<string, unknown>;
      const key = meta[IDEMPOTENCY_META_KEY];
      const progressToken = meta['progressToken'];
      try {
        return await deps.calls.call({
          agent,
          name,
          arguments: args,
          requestId: extra.requestId,
          ...(key === undefined ? {} : { idempotencyKey: parseIdempotencyKey(typeof key === 'string' ? key : '') }),
          ...(meta[BRANCH_CARD_META_KEY] === undefined ? {} : { branchCard: meta[BRANCH_CARD_META_KEY] }),
          ...(progressToken === undefined
            ? {}
            : {
                progress: async (a, elapsedMs) =>
                  extra.sendNotification({
                    method: 'notifications/progress',
                    params: { progressToken: progressToken as string | number, progress: Math.round(elapsedMs / 1000), message: `held at human tempo: ${a.status} (action ${a.id})` },
                  }),
              }),
          signal: extra.signal,
        });
      } catch (e) {
        // Arguments that break the tool's schema are the model's to fix: a tool error it can read (MCP 2025-11-25 "Error Handling").
        if (isFirewallError(e, 'MCP_ARGUMENTS_INVALID')) return { content: [{ type: 'text', text: e.message }], isError: true, _meta: { 'io.analog-firewall/error': e.code } };
        throw e;
      }
    }),
  );
  server.setRequestHandler(ListResourcesRequestSchema, (req) => guard(() => deps.reads.listResources(req.params?.cursor)));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => guard(() => deps.reads.listResourceTemplates()));
  server.setRequestHandler(ReadResourceRequestSchema, (req) => guard(() => deps.reads.readResource(req.params.uri)));
  server.setRequestHandler(ListPromptsRequestSchema, () => guard(() => deps.reads.listPrompts()));
  server.setRequestHandler(GetPromptRequestSchema, (req) => guard(() => deps.reads.getPrompt(req.params.name, req.params.arguments)));
  return server;
}

/** RFC 6750 §3 challenge, pointing MCP clients at the protected-resource metadata (RFC 9728 §5.1). */
function challenge(ctx: GatewayContext, error?: { code: string; description: string }): string {
  const meta = `resource_metadata="${ctx.publicUrl}/.well-known/oauth-protected-resource/mcp"`;
  if (error === undefined) return `Bearer ${meta}, scope="mcp"`;
  return `Bearer error="${error.code}", error_description="${error.description.replace(/["\\]/g, '')}", ${meta}, scope="mcp"`;
}

/**
 * The MCP entrance (docs/mcp.md): Streamable HTTP, stateless (every POST stands alone, so any
 * replica can answer it), behind an OAuth bearer token issued by /oauth/token. Thin: tools/call
 * goes through the same pipeline as /proxy and /v1/actions.
 */
export function mcpRouter(ctx: GatewayContext, deps: { tokens: AgentTokens; calls: ToolCalls; catalog: ToolCatalog; reads: McpReads }): Router {
  const r = express.Router();
  const raw = express.raw({ type: () => true, limit: ctx.bodyLimitBytes });

  // Stateless Streamable HTTP: no server-initiated stream (GET) and no session to end (DELETE).
  const notAllowed = (_req: Request, res: Response): void => {
    res.status(405).set('allow', 'POST').json({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.InvalidRequest, message: 'this gateway serves MCP statelessly: POST one JSON-RPC message per request' } });
  };
  r.get('/', notAllowed);
  r.delete('/', notAllowed);
  r.post('/', raw, async (req: Request, res: Response) => {
    const address = req.socket.remoteAddress ?? 'unknown';
    await ctx.limits.checkAuthLock(address);
    const header = req.headers.authorization;
    if (header === undefined || !/^Bearer /i.test(header)) {
      res.status(401).set('www-authenticate', challenge(ctx)).json({ error: 'invalid_token', error_description: 'an OAuth access token from /oauth/token is required' });
      return;
    }
    let agent: PrincipalRecord;
    try {
      agent = (await deps.tokens.authenticate(header.slice(7).trim())).principal;
    } catch (e) {
      if (!isFirewallError(e, 'invalid_token')) throw e;
      await ctx.limits.authFailed(address);
      ctx.metrics.refusals.inc({ code: 'AUTH_INVALID' });
      res.status(401).set('www-authenticate', challenge(ctx, { code: 'invalid_token', description: e.message })).json({ error: 'invalid_token', error_description: e.message });
      return;
    }
    await ctx.limits.agent(agent.id);
    let body: unknown;
    const bytes: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      res.status(400).json({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.ParseError, message: 'the body is not JSON' } });
      return;
    }
    // The 2025-06-18 revision removed JSON-RPC batching; one call per request keeps each call one action.
    if (Array.isArray(body)) {
      res.status(400).json({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.InvalidRequest, message: 'JSON-RPC batches are not accepted; send one message per request' } });
      return;
    }
    const server = principalMcpServer(ctx, agent, deps);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  return r;
}
