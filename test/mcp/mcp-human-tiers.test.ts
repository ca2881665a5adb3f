import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLiveSession, simulatorSource } from '../../clients/device/live-session.ts';
import { makePerson } from '../../clients/device/person.ts';
import type { Harness } from '../helpers/harness.ts';
import { addPerson, challengeOf, startSignatureHarness, type TestPerson } from '../signature/helpers.ts';
import { mcpClient } from './helpers.ts';

type ToolAnswer = { content: { type: string; text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean; _meta?: Record<string, unknown> };

/**
 * HIGH and CRITICAL through the MCP entrance: the call is held, a person signs it live from a
 * (simulated) device, and the model learns the outcome through analog_firewall_status.
 */
let h: Harness;
let agent: Client;
let pam: TestPerson;
beforeAll(async () => {
  h = await startSignatureHarness({
    label: 'mcp-human',
    env: { MCP_HOLD_SEC: '1' },
    editPolicy: (y) =>
      y.replace(
        '  # --- CRITICAL: a quorum plus an institutional comparator ---',
        `  # --- CRITICAL: a quorum plus an institutional comparator ---
  - id: mcp-close-account
    match: { actuator: payments-mcp, operation: close_account }
    tier: CRITICAL
    reason: Closing an account cannot be undone.
    quorum:
      all_of: [ { group: platform, min: 2 }, { group: risk, min: 1 } ]
      window: 1h
      comparator: { group: compliance, biological: false }`,
      ),
  });
  pam = await addPerson(h, 'pam', { modalities: ['motion'] });
  agent = await mcpClient(h);
});
afterAll(async () => {
  await agent?.close();
  await h.close();
});

describe('MCP entrance: tiers that wait for people', () => {
  it('HIGH: a 5,000 EUR transfer is held, signed live by a person, then carried out once with the approval in its receipt', async () => {
    const held = (await agent.callTool({ name: 'payments-mcp__transfer', arguments: { payee: 'DE89370400440532013000', amount: 5000, currency: 'EUR' } })) as ToolAnswer;
    expect(held.structuredContent).toMatchObject({ status: 'awaiting_signature', tier: 'HIGH' });
    const id = String(held.structuredContent?.['actionId']);
    const c = await challengeOf(pam, id);
    expect(c.summary).toMatchObject({ actuator: 'payments-mcp', operation: 'transfer', amount: 5000, currency: 'EUR' });
    const r = await runLiveSession({ client: pam.client, challengeId: c.id, credential: pam.credential!, modalities: ['motion'], digest: c.digest, source: simulatorSource(makePerson('pam'), ['motion'], 'mcp-high') });
    expect(r.result).toMatchObject({ outcome: 'accepted' });
    const done = (await agent.callTool({ name: 'analog_firewall_status', arguments: { actionId: id, waitSeconds: 30 } })) as ToolAnswer;
    expect(done.isError).toBeUndefined();
    expect(done.structuredContent).toMatchObject({ state: 'settled' });
    const ex = h.paymentsMcp.executions.filter((e) => e.action === id);
    expect(ex.map((e) => e.tier)).toEqual(['HIGH']);
    const executed = (await h.log.query({ actionId: id, type: 'action.executed', limit: 1 }))[0]!.entry;
    expect(decodeJwt(String(executed['receipt']))['apv']).toMatchObject([{ who: 'pam' }]);
  });

  it('CRITICAL: a call the policy makes CRITICAL waits for its quorum and is not carried out meanwhile', async () => {
    const held = (await agent.callTool({ name: 'payments-mcp__close_account', arguments: { account: 'acc-2' } })) as ToolAnswer;
    expect(held.structuredContent).toMatchObject({ status: 'awaiting_quorum', tier: 'CRITICAL' });
    const id = String(held.structuredContent?.['actionId']);
    await h.gw.ctx.scheduler.tick();
    expect(h.paymentsMcp.executions.some((e) => e.action === id)).toBe(false);
    const classified = (await h.log.query({ actionId: id, type: 'action.classified', limit: 1 }))[0]!.entry;
    expect(classified).toMatchObject({ tier: 'CRITICAL', rule: 'mcp-close-account' });
  });
});
