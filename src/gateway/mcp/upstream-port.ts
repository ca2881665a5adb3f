/**
 * What the gateway asks of an upstream MCP server (implemented over the official SDK in
 * src/adapters/mcp). The server is named by its policy entry; how it is reached (URL, bearer
 * token from the environment) is the adapter's business.
 */
export interface McpServerRef {
  name: string;
  url: string;
  bearerEnv?: string;
}

/** A tool as the upstream lists it (MCP `Tool`), kept as received apart from these fields. */
export interface UpstreamTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  /** Untrusted hints (readOnlyHint, destructiveHint, idempotentHint, openWorldHint). */
  annotations?: Record<string, unknown>;
}

/** A JSON-RPC answer of the upstream: a result, or a JSON-RPC error object. */
export type UpstreamAnswer = { result: Record<string, unknown> } | { error: { code: number; message: string; data?: unknown } };

export interface McpUpstream {
  listTools(server: McpServerRef): Promise<UpstreamTool[]>;
  /**
   * Calls one tool with the receipt in `_meta`. Rejects with UPSTREAM_TIMEOUT / UPSTREAM_UNREACHABLE
   * when the call may or may not have reached the server; a JSON-RPC error is an answer.
   */
  callTool(server: McpServerRef, tool: string, args: Record<string, unknown>, meta: Record<string, unknown>, timeoutMs: number): Promise<UpstreamAnswer>;
  /** Read-only pass-through (resources/list, resources/read, resources/templates/list, prompts/list, prompts/get). */
  read(server: McpServerRef, method: McpReadMethod, params: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export const MCP_READ_METHODS = ['resources/list', 'resources/read', 'resources/templates/list', 'prompts/list', 'prompts/get'] as const;
export type McpReadMethod = (typeof MCP_READ_METHODS)[number];
