import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema, GetTaskResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { addPrincipal, issueToken } from '../regulator/helpers/regulator.ts';
import { accessToken, clientAssertion, mcpClient, outcome, rawMcp, tokenRequest } from './helpers.ts';

type ToolAnswer = { content: { type: string; text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean; _meta?: Record<string, unknown> };
const ACTION = 'io.analog-firewall/action';

/**
 * The MCP entrance (docs/mcp.md) with the SDK's own Client over real HTTP, authenticated through
 * the gateway's token endpoint, against the example payments MCP server, which checks receipts.
 * Cooling is 1 s here; a held call waits up to 3 s before answering "held".
 */
let h: Harness;
let agent: Client;
beforeAll(async () => {
  h = await startHarness({ env: { MCP_HOLD_SEC: '3' } });
  agent = await mcpClient(h);
});
afterAll(async () => {
  await agent?.close();
  await h.close();
});

async function call(name: string, args: Record<string, unknown>, meta?: Record<string, unknown>, client = agent): Promise<ToolAnswer> {
  return (await client.callTool({ name, arguments: args, ...(meta === undefined ? {} : { _meta: meta }) })) as ToolAnswer;
}
const entries = async (actionId: string) => (await h.log.query({ actionId, limit: 100 })).map((e) => e.entry);

describe('MCP entrance', () => {
  it('publishes OAuth discovery (RFC 9728, RFC 8414) and issues audience-restricted, HSM-signed tokens that are logged', async () => {
    const prm = (await (await fetch(`${h.url}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<string, unknown>;
    expect(prm).toMatchObject({ resource: `${h.url}/mcp`, authorization_servers: [h.url] });
    const as = (await (await fetch(`${h.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(as).toMatchObject({ issuer: h.url, token_endpoint: `${h.url}/oauth/token`, grant_types_supported: ['client_credentials'], token_endpoint_auth_methods_supported: ['private_key_jwt'] });
    const token = await accessToken(h);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: h.url, sub: 'agent-1', aud: `${h.url}/mcp`, client_id: 'agent-1', scope: 'mcp' });
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(900);
    const issued = (await h.log.query({ type: 'agent.token_issued', limit: 100 })).map((e) => e.entry);
    expect(issued.some((e) => e['jti'] === claims.jti && e['by'] === 'agent-1')).toBe(true);
    expect(JSON.stringify(issued)).not.toContain(token.split('.')[2]);
  });

  it('lists the upstream tools namespaced, with the status tool, and no output schemas', async () => {
    const { tools } = await agent.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['analog_firewall_status', 'payments-mcp__get_balance', 'payments-mcp__transfer', 'payments-mcp__close_account']));
    expect(tools.every((t) => t.outputSchema === undefined)).toBe(true);
  });

  it('LOW: a read runs at once and returns the upstream result, with a receipt bound to the tool and arguments', async () => {
    const r = await call('payments-mcp__get_balance', { account: 'acc-1' });
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent).toEqual({ account: 'acc-1', balance: 12_500, currency: 'EUR' });
    const id = String(r._meta?.[ACTION]);
    const ex = h.paymentsMcp.executions.filter((e) => e.action === id);
    expect(ex).toEqual([{ tool: 'get_balance', args: { account: 'acc-1' }, action: id, tier: 'LOW' }]);
    const executed = (await entries(id)).find((e) => e['type'] === 'action.executed')!;
    const receipt = decodeJwt(String(executed['receipt']));
    expect(receipt).toMatchObject({ aud: 'payments-mcp', sub: id, tier: 'LOW', req: { m: 'MCP', p: '/tools/get_balance' } });
  });

  it('MEDIUM: a transfer is held for its cooling period, then carried out once', async () => {
    const r = await outcome(agent, await call('payments-mcp__transfer', { payee: 'DE89370400440532013000', amount: 250, currency: 'EUR' }));
    expect(r.isError).toBeUndefined();
    const id = String(r._meta?.[ACTION]);
    expect(r.structuredContent).toMatchObject({ state: 'settled' });
    expect((await entries(id)).map((e) => e['type'])).toEqual(expect.arrayContaining(['action.cooling', 'action.executed']));
    expect(h.paymentsMcp.executions.filter((e) => e.action === id).map((e) => e.tier)).toEqual(['MEDIUM']);
  });

  it('tasks: a task-augmented call is answered at once with a task (the action id); tasks/get and tasks/result give the outcome', async () => {
    const created = await agent.request(
      { method: 'tools/call', params: { name: 'payments-mcp__transfer', arguments: { payee: 'DE89370400440532013000', amount: 120, currency: 'EUR' }, task: { ttl: 60_000 } } },
      CreateTaskResultSchema,
    );
    expect(created.task).toMatchObject({ status: 'working', ttl: 60_000 });
    const id = created.task.taskId;
    expect((await h.gw.ctx.store.getAction(id))?.status).toBe('cooling');
    const got = await agent.request({ method: 'tasks/get', params: { taskId: id } }, GetTaskResultSchema);
    expect(got.taskId).toBe(id);
    const result = (await agent.request({ method: 'tasks/result', params: { taskId: id } }, CallToolResultSchema)) as ToolAnswer;
    expect(result.structuredContent).toMatchObject({ state: 'settled' });
    expect((await agent.request({ method: 'tasks/get', params: { taskId: id } }, GetTaskResultSchema)).status).toBe('completed');
    expect(h.paymentsMcp.executions.filter((e) => e.action === id)).toHaveLength(1);
    await expect(agent.request({ method: 'tasks/cancel', params: { taskId: id } }, GetTaskResultSchema)).rejects.toMatchObject({ data: { code: 'TASK_CANCEL_UNSUPPORTED' } });
    const other = await h.addAgent('task-snoop');
    const oc = await mcpClient(h, other);
    try {
      await expect(oc.request({ method: 'tasks/get', params: { taskId: id } }, GetTaskResultSchema)).rejects.toMatchObject({ data: { code: 'ACTION_NOT_FOUND' } });
    } finally {
      await oc.close();
    }
  });

  it('a replayed call (same JSON-RPC id and arguments) is the same action, carried out once', async () => {
    const token = await accessToken(h);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 'replay-1', method: 'tools/call', params: { name: 'payments-mcp__get_balance', arguments: { account: 'acc-2' } } });
    const a = await rawMcp(h, token, body);
    const b = await rawMcp(h, token, body);
    expect(a.status).toBe(200);
    const idA = ((a.message?.['result'] as ToolAnswer)._meta ?? {})[ACTION];
    const idB = ((b.message?.['result'] as ToolAnswer)._meta ?? {})[ACTION];
    expect(idA).toBeDefined();
    expect(idB).toBe(idA);
    expect(h.paymentsMcp.executions.filter((e) => e.action === idA)).toHaveLength(1);
  });

  it('HIGH: an unmapped, destructive tool is never below HIGH: held, with progress, the action id and when to ask again', async () => {
    const progress: { message?: string }[] = [];
    const r = (await agent.callTool({ name: 'payments-mcp__close_account', arguments: { account: 'acc-9' } }, undefined, { onprogress: (p) => progress.push(p) })) as ToolAnswer;
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]!.message).toMatch(/held at human tempo: awaiting_signature/);
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent).toMatchObject({ status: 'awaiting_signature', tier: 'HIGH' });
    const id = String(r.structuredContent?.['actionId']);
    expect(r.content[0]!.text).toContain('analog_firewall_status');
    const status = await call('analog_firewall_status', { actionId: id });
    expect(status.structuredContent).toMatchObject({ status: 'awaiting_signature', actionId: id });
    expect(h.paymentsMcp.executions.some((e) => e.action === id)).toBe(false);
  });

  it('a Branch Card with a FAIL gate in _meta is refused as a tool error; nothing is called upstream', async () => {
    const before = h.paymentsMcp.executions.length;
    const card = {
      system: { name: 'a', base_model: 'm', wrapper_features: { persistent_memory: 'absent', autonomous_goal_pursuit: 'absent', self_modelling: 'absent', embodiment: 'absent', bandwidth_constraint: 'absent' }, sentience_feature_count: 0, alsr_required: false, alsr: { status: 'not_required' } },
      deployment: { domain: 'payments', consequentiality_class: 2, external_actuators: ['payments'], transparency_tier_available: 'T2' },
      branch: { description: 'pay', reversibility: 'partially_reversible', uses_declared_oversight: true, bypasses_declared_oversight: false },
      simulation: { first_order_effects: 'x', tail_risk_scenario: ['y'] },
      evidence: { channels: ['erp'], estimated_n_eff: 1 },
      gates: { headroom: 'FAIL: no margin', fidelity: 'PASS', comparator: 'PASS', transparency: 'PASS', irreversibility: 'PASS', artificial_suffering: 'PASS', any_gate_failed: true },
      cpbi: { predictive_headroom: 0.1, reversibility: 0.7, weighted_total: 0.3 },
      decision: { outcome: 'BLOCK', justification: 'headroom', comparator_required: false },
    };
    const r = await call('payments-mcp__get_balance', { account: 'acc-1' }, { 'io.analog-firewall/branch-card': card });
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/Refused by policy/);
    expect(h.paymentsMcp.executions.length).toBe(before);
  });

  it('velocity across many small calls: the transfer that takes the hour past 5,000 EUR is HIGH', async () => {
    const velo = await h.addAgent('velo-agent');
    const c = await mcpClient(h, velo);
    try {
      const tiers: string[] = [];
      for (let i = 0; i < 9; i++) {
        // Each MEDIUM call is waited out, so none executes later, inside another test's before/after count.
        const r = await outcome(c, await call('payments-mcp__transfer', { payee: `DE0000000000000000000${i}`, amount: 600, currency: 'EUR' }, undefined, c));
        const id = String(r._meta?.[ACTION]);
        tiers.push(String((await entries(id)).find((e) => e['type'] === 'action.classified')?.['tier']));
      }
      expect(tiers.slice(0, 8).every((t) => t === 'MEDIUM')).toBe(true);
      expect(tiers[8]).toBe('HIGH');
    } finally {
      await c.close();
    }
  });

  it('resources and prompts pass through read-only as LOW reads, each recorded in the log before it is sent; prompts are namespaced', async () => {
    const readsBefore = (await h.log.query({ type: 'mcp.read', limit: 1000 })).length;
    const { resources } = await agent.listResources();
    expect(resources).toEqual([expect.objectContaining({ uri: 'payments://accounts', _meta: { 'io.analog-firewall/server': 'payments-mcp' } })]);
    const read = await agent.readResource({ uri: 'payments://accounts' });
    expect(JSON.parse(String((read.contents[0] as { text: string }).text))).toEqual(['acc-1', 'acc-2']);
    await expect(agent.readResource({ uri: 'payments://nope' })).rejects.toMatchObject({ data: { code: 'MCP_RESOURCE_UNKNOWN' } });
    const { prompts } = await agent.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['payments-mcp__pay_invoice']);
    const prompt = await agent.getPrompt({ name: 'payments-mcp__pay_invoice', arguments: { invoice: '42' } });
    expect(JSON.stringify(prompt.messages)).toContain('Pay invoice 42');
    // One entry per read of a resource or prompt (listings are discovery, like tools/list); an unknown URI reached no server and is not a read.
    const reads = (await h.log.query({ type: 'mcp.read', limit: 1000 })).slice(readsBefore).map((e) => e.entry);
    expect(reads).toEqual([
      expect.objectContaining({ type: 'mcp.read', by: 'agent-1', server: 'payments-mcp', method: 'resources/read', uri: 'payments://accounts' }),
      expect.objectContaining({ type: 'mcp.read', by: 'agent-1', server: 'payments-mcp', method: 'prompts/get', prompt: 'pay_invoice', argumentsSha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    ]);
    // The prompt's arguments are the agent's words: recorded by digest only.
    expect(JSON.stringify(reads)).not.toContain('"42"');
  });

  it("an upstream's JSON-RPC error is its answer: the action is over and the model gets a tool error quoting it", async () => {
    const r = await call('payments-mcp__transfer', { payee: 'SANCTIONED', amount: 10, currency: 'EUR' });
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/sanctions list/);
    const id = String(r._meta?.[ACTION]);
    expect((await h.gw.ctx.store.getAction(id))?.result?.status).toBe(400);
    expect(h.paymentsMcp.executions.some((e) => e.action === id)).toBe(false);
  });

  it('an upstream that checks receipts refuses a direct call without one', async () => {
    const before = h.paymentsMcp.executions.length;
    const direct = new Client({ name: 'bypass', version: '1' });
    await direct.connect(new StreamableHTTPClientTransport(new URL(h.paymentsMcp.url)));
    try {
      await expect(direct.callTool({ name: 'transfer', arguments: { payee: 'X', amount: 50_000, currency: 'EUR' } })).rejects.toBeInstanceOf(McpError);
    } finally {
      await direct.close();
    }
    expect(h.paymentsMcp.executions.length).toBe(before);
    expect(h.paymentsMcp.refusals).toContain('RECEIPT_MISSING');
  });
});

describe('MCP entrance: bad input', () => {
  it('no token, a garbage token, a revoked token: 401 with a WWW-Authenticate challenge naming the resource metadata', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const none = await rawMcp(h, undefined, body);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain(`resource_metadata="${h.url}/.well-known/oauth-protected-resource/mcp"`);
    const bad = await rawMcp(h, 'not.a.token', body);
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');

    // A token for another audience and purpose (a regulator's log token) is not an MCP token.
    const rita = await addPrincipal(h, 'rita-mcp', ['regulator']);
    const regulatorToken = (await issueToken(h, rita, { scopes: ['log:read'] })).access_token;
    expect((await rawMcp(h, regulatorToken, body)).status).toBe(401);

    const token = await accessToken(h);
    expect((await rawMcp(h, token, body)).status).toBe(200);
    const revoke = await fetch(`${h.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await clientAssertion(h) }).toString(),
    });
    expect(revoke.status).toBe(200);
    const after = await rawMcp(h, token, body);
    expect(after.status).toBe(401);
    expect((await h.log.query({ type: 'agent.token_revoked', limit: 10 })).length).toBeGreaterThan(0);
  });

  it('the token endpoint refuses a replayed assertion, a wrong audience, another grant, a foreign resource, with OAuth errors', async () => {
    const base = { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' };
    const once = await clientAssertion(h);
    expect((await tokenRequest(h, { ...base, client_assertion: once })).status).toBe(200);
    const replay = await tokenRequest(h, { ...base, client_assertion: once });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'invalid_client' });
    const aud = await tokenRequest(h, { ...base, client_assertion: await clientAssertion(h, { aud: 'https://elsewhere.example' }) });
    expect(await aud.json()).toMatchObject({ error: 'invalid_client' });
    const grant = await tokenRequest(h, { ...base, grant_type: 'password', client_assertion: await clientAssertion(h) });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const target = await tokenRequest(h, { ...base, resource: 'https://elsewhere.example/mcp', client_assertion: await clientAssertion(h) });
    expect(await target.json()).toMatchObject({ error: 'invalid_target' });
    const human = await tokenRequest(h, { ...base, client_assertion: await clientAssertion(h, { id: 'alice', key: h.humanKey }) });
    expect(await human.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('malformed JSON-RPC, a batch, an unknown tool, arguments that break the schema, another agent\'s action: precise errors, nothing forwarded', async () => {
    const token = await accessToken(h);
    const before = h.paymentsMcp.executions.length;
    const parse = await rawMcp(h, token, '{"jsonrpc":');
    expect(parse.status).toBe(400);
    expect(parse.message).toMatchObject({ error: { code: -32700 } });
    const dup = await rawMcp(h, token, '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"payments-mcp__transfer","arguments":{"payee":"DE89","amount":50000,"currency":"EUR","amount":1}}}');
    expect(dup.message).toMatchObject({ error: { code: -32700, data: { code: 'JSON_DUPLICATE_KEY' } } });
    const batch = await rawMcp(h, token, JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/list' }]));
    expect(batch.message).toMatchObject({ error: { code: -32600 } });

    await expect(call('payments-mcp__nope', {})).rejects.toMatchObject({ code: -32602, data: { code: 'MCP_TOOL_UNKNOWN' } });
    await expect(call('nowhere__nope', {})).rejects.toMatchObject({ code: -32602, data: { code: 'MCP_TOOL_UNKNOWN' } });
    const schema = await call('payments-mcp__transfer', { payee: 'DE89', amount: 'lots', currency: 'EUR' });
    expect(schema.isError).toBe(true);
    expect(schema.content[0]!.text).toMatch(/input schema/);

    const mine = await call('payments-mcp__close_account', { account: 'acc-secret' });
    const other = await h.addAgent('other-agent');
    const oc = await mcpClient(h, other);
    try {
      await expect(oc.callTool({ name: 'analog_firewall_status', arguments: { actionId: mine.structuredContent?.['actionId'] } })).rejects.toMatchObject({ data: { code: 'ACTION_NOT_FOUND' } });
    } finally {
      await oc.close();
    }
    expect(h.paymentsMcp.executions.length).toBe(before);
  });

  it('fuzzed JSON-RPC bodies never get a 5xx and reach no upstream', async () => {
    const token = await accessToken(h);
    const before = h.paymentsMcp.executions.length;
    const message = fc.oneof(
      fc.jsonValue(),
      fc.record({ jsonrpc: fc.constantFrom('2.0', '1.0', 2), id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), method: fc.constantFrom('tools/call', 'tools/list', 'resources/read', 'prompts/get', 'initialize', 'x'), params: fc.jsonValue() }),
      fc.record({ jsonrpc: fc.constant('2.0'), id: fc.integer(), method: fc.constant('tools/call'), params: fc.record({ name: fc.string(), arguments: fc.jsonValue(), _meta: fc.jsonValue() }) }),
    );
    await fc.assert(
      fc.asyncProperty(message, async (m) => {
        const r = await rawMcp(h, token, JSON.stringify(m));
        expect(r.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    expect(h.paymentsMcp.executions.length).toBe(before);
  });
});

describe('MCP entrance: a veto', () => {
  let v: Harness;
  beforeAll(async () => {
    // A long cooling, and no waiting in the call, so the veto is certain to land inside the cooling period.
    v = await startHarness({ env: { MCP_HOLD_SEC: '0' }, editPolicy: (y) => y.replace(/(id: mcp-small-transfer[\s\S]*?cooling: )1s/, '$160s') });
  });
  afterAll(async () => v.close());

  it('a MEDIUM call vetoed while it cools comes back as a tool error and is never carried out', async () => {
    const c = await mcpClient(v);
    try {
      const held = (await c.callTool({ name: 'payments-mcp__transfer', arguments: { payee: 'DE89370400440532013000', amount: 300, currency: 'EUR' } })) as ToolAnswer;
      expect(held.structuredContent).toMatchObject({ status: 'cooling', tier: 'MEDIUM' });
      const id = String(held.structuredContent?.['actionId']);
      const veto = await v.as('alice', 'POST', `/v1/actions/${id}/veto`, { body: { reason: 'unknown payee' } });
      expect(veto.status).toBe(200);
      const out = (await c.callTool({ name: 'analog_firewall_status', arguments: { actionId: id, waitSeconds: 5 } })) as ToolAnswer;
      expect(out.isError).toBe(true);
      expect(out.content[0]!.text).toMatch(/Vetoed by alice/);
      await v.gw.ctx.scheduler.tick();
      await waitFor(async () => (await v.gw.ctx.store.getAction(id))?.status === 'vetoed' || undefined);
      expect(v.paymentsMcp.executions.some((e) => e.action === id)).toBe(false);
    } finally {
      await c.close();
    }
  });
});
