import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { FirewallError } from '../../core/errors.ts';
import type { McpReadMethod, McpServerRef, McpUpstream, UpstreamAnswer, UpstreamTool } from '../../gateway/mcp/upstream-port.ts';

/**
 * Upstream MCP servers over Streamable HTTP with the official SDK's Client: one connected client
 * per server, made on first use and dropped after a transport failure so the next call reconnects.
 * Redirects are refused (a receipt binds one server).
 */
export class SdkMcpUpstream implements McpUpstream {
  readonly #env: Record<string, string | undefined>;
  readonly #clients = new Map<string, { url: string; client: Promise<Client> }>();

  constructor(o: { env: Record<string, string | undefined> }) {
    this.#env = o.env;
  }

  async listTools(server: McpServerRef): Promise<UpstreamTool[]> {
    const out: UpstreamTool[] = [];
    let cursor: string | undefined;
    // Bounded: a server that pages forever must not hold the gateway.
    for (let page = 0; page < 50; page++) {
      const r = await this.#with(server, (c) => c.listTools(cursor === undefined ? {} : { cursor }, { timeout: 10_000 }));
      for (const t of r.tools) out.push(t as UpstreamTool);
      cursor = r.nextCursor;
      if (cursor === undefined) break;
    }
    return out;
  }

  async callTool(server: McpServerRef, tool: string, args: Record<string, unknown>, meta: Record<string, unknown>, timeoutMs: number): Promise<UpstreamAnswer> {
    try {
      const result = await this.#with(server, (c) => c.callTool({ name: tool, arguments: args, _meta: meta }, undefined, { timeout: timeoutMs }));
      return { result: result as Record<string, unknown> };
    } catch (e) {
      // A JSON-RPC error is the server's answer; a timeout or a lost connection is not.
      if (e instanceof McpError && e.code !== ErrorCode.RequestTimeout && e.code !== ErrorCode.ConnectionClosed) {
        return { error: { code: e.code, message: e.message, ...(e.data === undefined ? {} : { data: e.data }) } };
      }
      throw e;
    }
  }

  async read(server: McpServerRef, method: McpReadMethod, params: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    const o = { timeout: timeoutMs };
    return this.#with(server, async (c) => {
      switch (method) {
        case 'resources/list':
          return c.listResources(params, o);
        case 'resources/read':
          return c.readResource(params as { uri: string }, o);
        case 'resources/templates/list':
          return c.listResourceTemplates(params, o);
        case 'prompts/list':
          return c.listPrompts(params, o);
        case 'prompts/get':
          return c.getPrompt(params as { name: string }, o);
      }
    }) as Promise<Record<string, unknown>>;
  }

  async close(): Promise<void> {
    const all = [...this.#clients.values()];
    this.#clients.clear();
    for (const c of all) await c.client.then((x) => x.close()).catch(() => {});
  }

  async #with<T>(server: McpServerRef, fn: (c: Client) => Promise<T>): Promise<T> {
    const client = await this.#client(server);
    try {
      return await fn(client);
    } catch (e) {
      if (e instanceof McpError && e.code !== ErrorCode.ConnectionClosed && e.code !== ErrorCode.RequestTimeout) throw e;
      this.#drop(server.name);
      throw new FirewallError(e instanceof McpError && e.code === ErrorCode.RequestTimeout ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNREACHABLE', `MCP server '${server.name}' did not answer`, {
        status: e instanceof McpError && e.code === ErrorCode.RequestTimeout ? 504 : 502,
        cause: e,
      });
    }
  }

  #client(server: McpServerRef): Promise<Client> {
    const known = this.#clients.get(server.name);
    if (known !== undefined && known.url === server.url) return known.client;
    if (known !== undefined) this.#drop(server.name);
    const headers: Record<string, string> = {};
    if (server.bearerEnv !== undefined) {
      const token = this.#env[server.bearerEnv];
      if (token === undefined || token === '') {
        return Promise.reject(new FirewallError('MCP_UPSTREAM_CREDENTIAL_MISSING', `MCP server '${server.name}': environment variable ${server.bearerEnv} is not set`, { status: 502 }));
      }
      headers['authorization'] = `Bearer ${token}`;
    }
    const client = new Client({ name: 'analog-firewall', version: '0.1.0' });
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers, redirect: 'error' } });
    const p = client.connect(transport, { timeout: 10_000 }).then(() => client);
    p.catch(() => this.#drop(server.name));
    this.#clients.set(server.name, { url: server.url, client: p });
    return p.catch((cause: unknown) => {
      throw new FirewallError('UPSTREAM_UNREACHABLE', `MCP server '${server.name}' could not be reached`, { status: 502, cause });
    });
  }

  #drop(name: string): void {
    const known = this.#clients.get(name);
    this.#clients.delete(name);
    known?.client.then((c) => c.close()).catch(() => {});
  }
}
