import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitationCompleteNotificationSchema, ElicitRequestSchema, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { accessToken, mcpClient, rawMcp } from './helpers.ts';

type ToolAnswer = { structuredContent?: Record<string, unknown>; isError?: boolean; _meta?: Record<string, unknown> };
const ACTION = 'io.analog-firewall/action';
const TRANSFER = { payee: 'DE89370400440532013000', amount: 250, currency: 'EUR' };

/** An MCP client as a host that can open URLs for its user: it records what it was asked to open and what completed. */
async function urlClient(h: Harness, capabilities: Record<string, unknown>): Promise<{ client: Client; asked: ElicitRequest['params'][]; completed: string[] }> {
  const client = await mcpClient(h, undefined, { capabilities });
  const asked: ElicitRequest['params'][] = [];
  const completed: string[] = [];
  if (capabilities['elicitation'] !== undefined) {
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req.params);
      return { action: 'accept' };
    });
  }
  client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => {
    completed.push(n.params.elicitationId);
  });
  return { client, asked, completed };
}

/**
 * URL-mode elicitation (docs/mcp.md "Held calls"): a client that can open URLs is pointed at the
 * approver app's page for its held call, and told when it is over. Cooling is 1 s; a held call
 * waits up to 10 s here, so it ends within the call.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { MCP_HOLD_SEC: '10' } });
});
afterAll(async () => {
  await h.close();
});

describe('MCP URL-mode elicitation', () => {
  it('a client declaring elicitation.url at initialize is pointed at the action in the approver app, then told it completed', async () => {
    const { client, asked, completed } = await urlClient(h, { elicitation: { url: {} } });
    try {
      const r = (await client.callTool({ name: 'payments-mcp__transfer', arguments: TRANSFER })) as ToolAnswer;
      const id = String(r._meta?.[ACTION]);
      expect(r.isError).toBeUndefined();
      expect(r.structuredContent).toMatchObject({ state: 'settled' });
      expect(asked).toEqual([{ mode: 'url', elicitationId: id, url: `${h.url}/app/actions/${id}`, message: expect.stringContaining('MEDIUM') }]);
      // The notification travels on the same stream just before the result.
      await waitFor(() => completed.includes(id));
      expect(h.paymentsMcp.executions.filter((e) => e.action === id).map((e) => e.tier)).toEqual(['MEDIUM']);
      // The app page it names is served (the shell; the action shows after the person signs in).
      expect((await fetch(`${h.url}/app/actions/${id}`)).status).toBe(200);
    } finally {
      await client.close();
    }
  });

  it('a LOW call is never elicited: it does not wait for anyone', async () => {
    const { client, asked } = await urlClient(h, { elicitation: { url: {} } });
    try {
      const r = (await client.callTool({ name: 'payments-mcp__get_balance', arguments: { account: 'acc-1' } })) as ToolAnswer;
      expect(r.isError).toBeUndefined();
      expect(asked).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('a client with form-mode elicitation only, or none, is not sent a URL; the call is held with progress as before', async () => {
    for (const capabilities of [{ elicitation: { form: {} } }, {}]) {
      const { client, asked, completed } = await urlClient(h, capabilities);
      try {
        const r = (await client.callTool({ name: 'payments-mcp__transfer', arguments: { ...TRANSFER, amount: 260 } })) as ToolAnswer;
        expect(r.structuredContent).toMatchObject({ state: 'settled' });
        expect(asked).toEqual([]);
        expect(completed).toEqual([]);
      } finally {
        await client.close();
      }
    }
  });

  it('a stateless client stating its capabilities on the request (_meta, MCP 2026-07-28), with no initialize, is believed for that request', async () => {
    const token = await accessToken(h);
    const callWith = (amount: number, capabilities: unknown) =>
      rawMcp(h, token, JSON.stringify({
        jsonrpc: '2.0',
        id: amount,
        method: 'tools/call',
        params: { name: 'payments-mcp__transfer', arguments: { ...TRANSFER, amount }, _meta: { 'io.modelcontextprotocol/clientCapabilities': capabilities } },
      }));
    const messages = (text: string) => text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { method?: string; params?: Record<string, unknown> });
    const asked = await callWith(270, { elicitation: { url: {} } });
    const id = String((asked.message?.['result'] as ToolAnswer)._meta?.[ACTION]);
    expect(messages(asked.text).filter((m) => m.method !== 'notifications/progress').map((m) => [m.method, m.params?.['elicitationId']])).toEqual([
      ['elicitation/create', id],
      ['notifications/elicitation/complete', id],
      [undefined, undefined], // the result
    ]);
    const notAsked = await callWith(280, {});
    expect(messages(notAsked.text).map((m) => m.method).filter((m) => m?.startsWith('elicitation') || m?.startsWith('notifications/elicitation'))).toEqual([]);
  });
});
