import { canonicalDigest } from '../../core/canonical.ts';
import { FirewallError } from '../../core/errors.ts';
import { namespacedToolName, splitToolName } from '../../core/mcp/tool-name.ts';
import type { PolicyPort } from '../ports/policy.ts';
import type { McpServerRef, McpUpstream } from './upstream-port.ts';

type Obj = Record<string, unknown>;

/** Writes one entry to the transparency log, durably, before it resolves. */
export type RecordRead = (entry: Obj) => Promise<void>;

/**
 * resources/ and prompts/ of the upstream servers, passed through read-only at digital speed
 * (docs/mcp.md "Reads"). A read of one resource or prompt is a LOW read: recorded in the log
 * (`mcp.read`: who, which server, what) before it is sent, so a regulator sees what an agent
 * looked at; if the log cannot record it, it is not sent. Listings are discovery, like
 * tools/list, and are not recorded. Prompts are namespaced like tools; a resource is read from
 * the server that listed its URI.
 */
export class McpReads {
  readonly #upstream: McpUpstream;
  readonly #policy: () => PolicyPort;
  readonly #timeoutMs: number;
  readonly #record: RecordRead;
  readonly #now: () => number;
  /** URI → server, from the latest resources/list of each server. */
  readonly #uris = new Map<string, string>();

  constructor(o: { upstream: McpUpstream; policy: () => PolicyPort; timeoutMs: number; record: RecordRead; now: () => number }) {
    this.#upstream = o.upstream;
    this.#policy = o.policy;
    this.#timeoutMs = o.timeoutMs;
    this.#record = o.record;
    this.#now = o.now;
  }

  #servers(): McpServerRef[] {
    const p = this.#policy();
    return p.mcpServers().map((n) => p.mcpServerOf(n)!);
  }

  /** Each server's answer, leaving out servers that do not answer (or do not support the method). */
  async #each(method: Parameters<McpUpstream['read']>[1]): Promise<{ server: McpServerRef; answer: Obj }[]> {
    const out: { server: McpServerRef; answer: Obj }[] = [];
    for (const server of this.#servers()) {
      try {
        out.push({ server, answer: await this.#upstream.read(server, method, {}, this.#timeoutMs) });
      } catch {
        /* left out: a read of one server must not fail the others */
      }
    }
    return out;
  }

  async listResources(_cursor?: string): Promise<{ resources: Obj[] }> {
    const resources: Obj[] = [];
    for (const { server, answer } of await this.#each('resources/list')) {
      for (const r of Array.isArray(answer['resources']) ? (answer['resources'] as Obj[]) : []) {
        if (typeof r['uri'] !== 'string') continue;
        this.#uris.set(r['uri'], server.name);
        resources.push({ ...r, _meta: { ...((r['_meta'] as Obj | undefined) ?? {}), 'io.analog-firewall/server': server.name } });
      }
    }
    if (this.#uris.size > 100_000) this.#uris.clear();
    return { resources };
  }

  async listResourceTemplates(): Promise<{ resourceTemplates: Obj[] }> {
    const resourceTemplates: Obj[] = [];
    for (const { server, answer } of await this.#each('resources/templates/list')) {
      for (const t of Array.isArray(answer['resourceTemplates']) ? (answer['resourceTemplates'] as Obj[]) : []) {
        resourceTemplates.push({ ...t, _meta: { ...((t['_meta'] as Obj | undefined) ?? {}), 'io.analog-firewall/server': server.name } });
      }
    }
    return { resourceTemplates };
  }

  async readResource(agent: string, uri: string): Promise<Obj> {
    if (!this.#uris.has(uri)) await this.listResources();
    const name = this.#uris.get(uri);
    const server = name === undefined ? undefined : this.#policy().mcpServerOf(name);
    if (server === undefined) throw new FirewallError('MCP_RESOURCE_UNKNOWN', 'no upstream server lists this resource', { status: 404 });
    await this.#record({ v: 1, type: 'mcp.read', ts: this.#now(), by: agent, server: server.name, method: 'resources/read', uri });
    return this.#upstream.read(server, 'resources/read', { uri }, this.#timeoutMs);
  }

  async listPrompts(): Promise<{ prompts: Obj[] }> {
    const prompts: Obj[] = [];
    for (const { server, answer } of await this.#each('prompts/list')) {
      for (const p of Array.isArray(answer['prompts']) ? (answer['prompts'] as Obj[]) : []) {
        if (typeof p['name'] === 'string') prompts.push({ ...p, name: namespacedToolName(server.name, p['name']) });
      }
    }
    return { prompts };
  }

  async getPrompt(agent: string, name: string, args: Record<string, string> | undefined): Promise<Obj> {
    let split: { server: string; tool: string };
    try {
      split = splitToolName(name);
    } catch {
      throw new FirewallError('MCP_PROMPT_UNKNOWN', `'${name.slice(0, 200)}' is not a prompt of this gateway`, { status: 404 });
    }
    const server = this.#policy().mcpServerOf(split.server);
    if (server === undefined) throw new FirewallError('MCP_PROMPT_UNKNOWN', `no MCP server '${split.server}' in the active policy`, { status: 404 });
    // The arguments are recorded by digest: they are the agent's words, and the log is public to regulators.
    await this.#record({ v: 1, type: 'mcp.read', ts: this.#now(), by: agent, server: server.name, method: 'prompts/get', prompt: split.tool, argumentsSha256: canonicalDigest(args ?? {}) });
    return this.#upstream.read(server, 'prompts/get', { name: split.tool, ...(args === undefined ? {} : { arguments: args }) }, this.#timeoutMs);
  }
}
