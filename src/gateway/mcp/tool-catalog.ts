import { createHash } from 'node:crypto';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Clock } from '../../core/clock.ts';
import { FirewallError } from '../../core/errors.ts';
import { namespacedToolName, splitToolName } from '../../core/mcp/tool-name.ts';
import type { PolicyPort } from '../ports/policy.ts';
import type { McpServerRef, McpUpstream, UpstreamTool } from './upstream-port.ts';

const CACHE_MS = 30_000;

export interface CatalogEntry {
  server: McpServerRef;
  tool: UpstreamTool;
}

/**
 * The upstream servers' tools as agents see them: namespaced `<server>__<tool>`, cached briefly,
 * with each tool's input schema compiled once. A server that cannot be listed is left out of the
 * list (the others still work) and its tools cannot be called until it answers again.
 */
export class ToolCatalog {
  readonly #upstream: McpUpstream;
  readonly #policy: () => PolicyPort;
  readonly #clock: Clock;
  readonly #log: { warn: (o: object, m: string) => void };
  readonly #cache = new Map<string, { at: number; url: string; tools: Map<string, UpstreamTool> }>();
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });

  constructor(o: { upstream: McpUpstream; policy: () => PolicyPort; clock: Clock; log: { warn: (o: object, m: string) => void } }) {
    this.#upstream = o.upstream;
    this.#policy = o.policy;
    this.#clock = o.clock;
    this.#log = o.log;
  }

  /** Every upstream tool, namespaced, in policy order. */
  async list(): Promise<UpstreamTool[]> {
    const policy = this.#policy();
    const out: UpstreamTool[] = [];
    for (const name of policy.mcpServers()) {
      const server = policy.mcpServerOf(name)!;
      let tools: Map<string, UpstreamTool>;
      try {
        tools = await this.#tools(server, true);
      } catch (e) {
        this.#log.warn({ server: name, code: (e as FirewallError).code }, 'MCP server could not be listed; its tools are left out');
        continue;
      }
      for (const t of tools.values()) out.push({ ...t, name: namespacedToolName(name, t.name) });
    }
    return out;
  }

  async find(name: string): Promise<CatalogEntry> {
    const { server: serverName, tool } = splitToolName(name);
    const server = this.#policy().mcpServerOf(serverName);
    if (server === undefined) throw new FirewallError('MCP_TOOL_UNKNOWN', `no MCP server '${serverName}' in the active policy`, { status: 404 });
    let found = (await this.#tools(server, true)).get(tool);
    if (found === undefined) found = (await this.#tools(server, false)).get(tool);
    if (found === undefined) throw new FirewallError('MCP_TOOL_UNKNOWN', `MCP server '${serverName}' has no tool '${tool}'`, { status: 404 });
    return { server, tool: found };
  }

  /** Checks arguments against the tool's own input schema before anything is recorded. */
  validate(entry: CatalogEntry, args: Record<string, unknown>): void {
    const schema = entry.tool.inputSchema;
    const key = createHash('sha256').update(JSON.stringify(schema)).digest('hex');
    let v = this.#validators.get(key);
    if (v === undefined) {
      try {
        v = this.#ajv.compile(schema);
      } catch (cause) {
        throw new FirewallError('MCP_TOOL_SCHEMA_INVALID', `tool '${entry.tool.name}' of '${entry.server.name}' has an input schema this gateway cannot check; it is not called`, { status: 502, cause });
      }
      if (this.#validators.size > 1000) this.#validators.clear();
      this.#validators.set(key, v);
    }
    if (!v(args)) {
      const first = v.errors?.[0];
      throw new FirewallError('MCP_ARGUMENTS_INVALID', `arguments do not match the input schema of '${entry.tool.name}': ${first?.instancePath || '(root)'} ${first?.message ?? 'is invalid'}`, {
        status: 400,
      });
    }
  }

  async #tools(server: McpServerRef & { tools?: string[] }, cached: boolean): Promise<Map<string, UpstreamTool>> {
    const now = this.#clock.now();
    const hit = this.#cache.get(server.name);
    if (cached && hit !== undefined && hit.url === server.url && now - hit.at < CACHE_MS) return hit.tools;
    const tools = new Map<string, UpstreamTool>();
    for (const t of await this.#upstream.listTools(server)) {
      if (typeof t?.name === 'string' && t.inputSchema !== null && typeof t.inputSchema === 'object') tools.set(t.name, t);
    }
    this.#cache.set(server.name, { at: now, url: server.url, tools });
    return tools;
  }
}
