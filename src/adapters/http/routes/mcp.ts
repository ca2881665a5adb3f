import { clientAddress } from '../client-address.ts';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  CancelTaskRequestSchema,
  ElicitResultSchema,
  ErrorCode,
  GetTaskPayloadRequestSchema,
  GetTaskRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import express, { type Request, type Response, type Router } from 'express';
import { isTerminal } from '../../../core/action/status.ts';
import { isFirewallError, type FirewallError } from '../../../core/errors.ts';
import { checkStrictJson } from '../../../core/wire/strict-json.ts';
import type { PrincipalRecord } from '../../../gateway/ports/principals.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { oauthError, type AgentTokens } from '../../../gateway/mcp/agent-tokens.ts';
import type { DpopVerifier } from '../../../gateway/mcp/dpop.ts';
import { approverElicitation } from '../../../gateway/mcp/approver-elicitation.ts';
import type { McpClientCapabilities } from '../../../gateway/mcp/client-capabilities.ts';
import type { McpReads } from '../../../gateway/mcp/mcp-reads.ts';
import type { ToolCallInput, ToolCalls } from '../../../gateway/mcp/tool-calls.ts';
import { toolResultOf } from '../../../gateway/mcp/tool-result.ts';
import { taskOf } from '../../../gateway/mcp/tool-task.ts';
import type { ToolCatalog } from '../../../gateway/mcp/tool-catalog.ts';
import { parseIdempotencyKey } from '../submission-schema.ts';

export const STATUS_TOOL = 'analog_firewall_status';
/** How long tasks/result waits before answering TASK_NOT_FINISHED (clients poll; a connection is not held for hours). */
const TASK_RESULT_WAIT_MS = 60_000;
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

interface McpDeps {
  tokens: AgentTokens;
  dpop: DpopVerifier;
  calls: ToolCalls;
  catalog: ToolCatalog;
  reads: McpReads;
  capabilities: McpClientCapabilities;
}

/** URL-mode elicitation for one request: whether the client can open URLs, and how to tell it one is over. */
interface UrlElicitation {
  supported(meta: unknown): boolean;
  complete(requestId: string | number, elicitationId: string): Promise<void>;
}

function principalMcpServer(ctx: GatewayContext, agent: PrincipalRecord, deps: McpDeps, urlElicitation: UrlElicitation): Server {
  const server = new Server(
    { name: 'analog-firewall', version: '0.1.0' },
    {
      // Tasks (2025-11-25): a held tools/call can be a task, whose id is the action id; no list (the status tool and the
      // action API answer that), and no cancel by the agent (only people veto).
      capabilities: { tools: { listChanged: false }, resources: {}, prompts: {}, tasks: { requests: { tools: { call: {} } } } },
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
      tools: [STATUS_TOOL_SPEC, ...(await deps.catalog.list()).map(({ outputSchema: _o, ...t }) => ({ ...t, execution: { taskSupport: 'optional' as const } }))],
    })),
  );
  server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
    guard(async () => {
      const { name, arguments: args, _meta } = request.params;
      if (name === STATUS_TOOL) return deps.calls.status(agent, args?.['actionId'], args?.['waitSeconds'], extra.signal);
      const meta = (_meta ?? {}) as Record<string, unknown>;
      const key = meta[IDEMPOTENCY_META_KEY];
      const progressToken = meta['progressToken'];
      const task = request.params.task;
      try {
        const input = {
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
          ...(task === undefined && urlElicitation.supported(_meta)
            ? {
                people: {
                  // Sent on this call's own stream and not awaited: the person acts in the app, and the
                  // answer (accept/decline) changes nothing here; it may even reach another replica.
                  held: (a) => {
                    extra.sendRequest({ method: 'elicitation/create', params: approverElicitation(a, ctx.publicUrl) }, ElicitResultSchema, { timeout: 2 ** 31 - 1 }).catch(() => {});
                  },
                  // Awaited, so it is on the stream before the result that ends it.
                  ended: (a) => urlElicitation.complete(extra.requestId, a.id),
                },
              }
            : {}),
          signal: extra.signal,
        } satisfies ToolCallInput;
        if (task !== undefined) {
          // Task-augmented call: answered at once with the task; the outcome comes from tasks/get and tasks/result.
          const record = await deps.calls.submit(input);
          return { task: taskOf(record, typeof task.ttl === 'number' ? task.ttl : null) };
        }
        return await deps.calls.call(input);
      } catch (e) {
        // Arguments that break the tool's schema are the model's to fix: a tool error it can read (MCP 2025-11-25 "Error Handling").
        if (isFirewallError(e, 'MCP_ARGUMENTS_INVALID') && task === undefined) return { content: [{ type: 'text', text: e.message }], isError: true, _meta: { 'io.analog-firewall/error': e.code } };
        throw e;
      }
    }),
  );
  server.setRequestHandler(GetTaskRequestSchema, (req, extra) => guard(async () => taskOf(await deps.calls.own(agent, req.params.taskId, 0, extra.signal), null)));
  server.setRequestHandler(GetTaskPayloadRequestSchema, (req, extra) =>
    guard(async () => {
      // tasks/result blocks until the task ends (bounded; the client asks again after that).
      const a = await deps.calls.own(agent, req.params.taskId, TASK_RESULT_WAIT_MS, extra.signal);
      if (!isTerminal(a.status)) throw new McpError(ErrorCode.InvalidParams, 'the task is still held at human tempo; ask again', { code: 'TASK_NOT_FINISHED' });
      const r = toolResultOf(a, { origin: ctx.publicUrl, now: ctx.clock.now() });
      return { ...r, _meta: { ...(r._meta ?? {}), 'io.modelcontextprotocol/related-task': { taskId: a.id } } };
    }),
  );
  server.setRequestHandler(CancelTaskRequestSchema, () =>
    guard(async () => {
      throw new McpError(ErrorCode.InvalidParams, 'a held action ends only by a human veto, an expiry or its execution; an agent cannot withdraw it', { code: 'TASK_CANCEL_UNSUPPORTED' });
    }),
  );
  server.setRequestHandler(ListResourcesRequestSchema, (req) => guard(() => deps.reads.listResources(req.params?.cursor)));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => guard(() => deps.reads.listResourceTemplates()));
  server.setRequestHandler(ReadResourceRequestSchema, (req) => guard(() => deps.reads.readResource(agent.id, req.params.uri)));
  server.setRequestHandler(ListPromptsRequestSchema, () => guard(() => deps.reads.listPrompts()));
  server.setRequestHandler(GetPromptRequestSchema, (req) => guard(() => deps.reads.getPrompt(agent.id, req.params.name, req.params.arguments)));
  return server;
}

/** RFC 6750 §3 challenge, pointing MCP clients at the protected-resource metadata (RFC 9728 §5.1). */
function challenge(ctx: GatewayContext, error?: { code: string; description: string }): string {
  const meta = `resource_metadata="${ctx.publicUrl}/.well-known/oauth-protected-resource/mcp"`;
  // Both schemes are offered (RFC 9449 §7.1): a client may use either kind of token.
  if (error === undefined) return `Bearer ${meta}, scope="mcp", DPoP algs="EdDSA ES256"`;
  return `Bearer error="${error.code}", error_description="${error.description.replace(/["\\]/g, '')}", ${meta}, scope="mcp", DPoP algs="EdDSA ES256"`;
}

/**
 * The MCP entrance (docs/mcp.md): Streamable HTTP, stateless (every POST stands alone, so any
 * replica can answer it), behind an OAuth bearer token issued by /oauth/token. Thin: tools/call
 * goes through the same pipeline as /proxy and /v1/actions.
 */
export function mcpRouter(ctx: GatewayContext, deps: McpDeps): Router {
  const r = express.Router();
  const raw = express.raw({ type: () => true, limit: ctx.bodyLimitBytes });

  // Stateless Streamable HTTP: no server-initiated stream (GET) and no session to end (DELETE).
  const notAllowed = (_req: Request, res: Response): void => {
    res.status(405).set('allow', 'POST').json({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.InvalidRequest, message: 'this gateway serves MCP statelessly: POST one JSON-RPC message per request' } });
  };
  r.get('/', notAllowed);
  r.delete('/', notAllowed);
  r.post('/', raw, async (req: Request, res: Response) => {
    const address = clientAddress(ctx, req);
    await ctx.limits.checkAuthLock(address);
    const header = req.headers.authorization;
    const scheme = header === undefined ? undefined : /^(Bearer|DPoP) (.+)$/i.exec(header);
    if (scheme === null || scheme === undefined) {
      res.status(401).set('www-authenticate', challenge(ctx)).json({ error: 'invalid_token', error_description: 'an OAuth access token from /oauth/token is required' });
      return;
    }
    let agent: PrincipalRecord;
    let tokenId: string;
    let tokenExp: number;
    try {
      const token = scheme[2]!.trim();
      const t = await deps.tokens.authenticate(token);
      // RFC 9449 §7: a DPoP-bound token only with the DPoP scheme and a proof by its key; a bearer token never with DPoP.
      const dpopScheme = scheme[1]!.toLowerCase() === 'dpop';
      if (t.jkt !== undefined || dpopScheme) {
        if (t.jkt === undefined || !dpopScheme) throw oauthError('invalid_token', t.jkt === undefined ? 'a bearer token is not used with the DPoP scheme' : 'this token is DPoP-bound: use the DPoP scheme with a proof');
        const proof = req.headers['dpop'];
        if (typeof proof !== 'string') throw oauthError('invalid_token', 'a DPoP-bound token needs one DPoP proof');
        const jkt = await deps.dpop.verify(proof, { method: 'POST', url: `${ctx.publicUrl}/mcp`, accessToken: token, error: 'invalid_token' });
        if (jkt !== t.jkt) throw oauthError('invalid_token', 'the DPoP proof is signed by another key than the token is bound to');
      }
      agent = t.principal;
      tokenId = t.jti;
      tokenExp = t.exp;
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
      // The same strict reading as the other entrances: duplicate keys, bad UTF-8, lone surrogates and ambiguous numbers refused.
      checkStrictJson(bytes);
      body = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      const code = isFirewallError(e) ? e.code : 'BODY_MALFORMED';
      res.status(400).json({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.ParseError, message: isFirewallError(e) ? e.message : 'the body is not JSON', data: { code } } });
      return;
    }
    // The 2025-06-18 revision removed JSON-RPC batching; one call per request keeps each call one action.
    if (Array.isArray(body)) {
      res.status(400).json({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.InvalidRequest, message: 'JSON-RPC batches are not accepted; send one message per request' } });
      return;
    }
    const message = body as Record<string, unknown> | null;
    if (typeof message === 'object' && message !== null && message['method'] === 'initialize') {
      deps.capabilities.remember(tokenId, message['params'], tokenExp, ctx.clock.now());
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const server = principalMcpServer(ctx, agent, deps, {
      supported: (meta) => deps.capabilities.urlElicitation(tokenId, meta),
      // Straight to the transport: this per-request Server never saw the client's initialize, so the
      // SDK's own capability check (which needs it) would refuse a notification the client asked for.
      complete: (requestId, elicitationId) =>
        transport.send({ jsonrpc: '2.0', method: 'notifications/elicitation/complete', params: { elicitationId } }, { relatedRequestId: requestId }),
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  return r;
}
