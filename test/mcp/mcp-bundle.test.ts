import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../clients/regulator/verify-bundle.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { createTestPki, type TestPki } from '../log/helpers/pki.ts';
import { AttestedSigner } from '../regulator/helpers/attested-signer.ts';
import { addPrincipal, exportWith, issueToken } from '../regulator/helpers/regulator.ts';
import { mcpClient, outcome } from './helpers.ts';

/** Actions that came in through /mcp are in the same log and pass the same offline verifier. */
let pki: TestPki;
let h: Harness;
beforeAll(async () => {
  pki = createTestPki();
  h = await startHarness({ signer: new AttestedSigner(pki), env: { MCP_HOLD_SEC: '5' } });
});
afterAll(async () => {
  await h.close();
  pki.dispose();
});

describe('MCP actions in an export bundle', () => {
  it('LOW and MEDIUM tool calls and the agent token issuance pass every check of the offline verifier', async () => {
    const c = await mcpClient(h);
    try {
      await c.callTool({ name: 'payments-mcp__get_balance', arguments: { account: 'acc-1' } });
      const r = await outcome(c, (await c.callTool({ name: 'payments-mcp__transfer', arguments: { payee: 'DE89370400440532013000', amount: 100, currency: 'EUR' } })) as { _meta?: Record<string, unknown> });
      expect(r._meta?.['io.analog-firewall/action']).toBeDefined();
    } finally {
      await c.close();
    }
    const rita = await addPrincipal(h, 'rita', ['regulator']);
    const token = (await issueToken(h, rita, { scopes: ['log:read', 'log:export'] })).access_token;
    const bundle = await exportWith(h, token);
    const types = bundle.entries.map((e) => (JSON.parse(e.entry) as { type: string }).type);
    expect(types).toContain('agent.token_issued');
    expect(types.filter((t) => t === 'action.executed')).toHaveLength(2);
    const report = await verifyBundle(bundle, { rootPem: pki.rootPem });
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
