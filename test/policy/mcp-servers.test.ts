import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../src/adapters/policy-file.ts';
import { FirewallError, isFirewallError } from '../../src/core/errors.ts';
import { mapProxyRequest } from '../../src/core/policy/index.ts';
import type { PolicyIssue } from '../../src/core/policy/types.ts';
import { BASE_POLICY, writeTemp } from './helpers.ts';

const withServers = (servers: string, rules = '') =>
  BASE_POLICY.replace('rules:\n', `mcp_servers:\n${servers}\nrules:\n${rules}`);

async function errorsOf(name: string, text: string): Promise<PolicyIssue[]> {
  try {
    await loadPolicyFile(writeTemp(name, text));
  } catch (e) {
    expect(isFirewallError(e, 'POLICY_INVALID')).toBe(true);
    return (e as FirewallError).detail?.errors as PolicyIssue[];
  }
  throw new Error(`${name} loaded but should not have`);
}

describe('mcp_servers in the policy', () => {
  it('maps tools like proxy routes: arguments.<path> reads the call arguments', async () => {
    const p = await loadPolicyFile(
      writeTemp(
        'mcp-ok.yaml',
        withServers(
          `  pay-mcp:
    url: http://127.0.0.1:9092/mcp
    auth: { bearer_env: PAY_MCP_TOKEN }
    tools:
      - { name: transfer, target: arguments.payee, amount: arguments.amount, currency: arguments.currency, reversibility: partially_reversible }`,
          `  - id: mcp-transfer
    match: { actuator: pay-mcp, operation: transfer }
    tier: MEDIUM
`,
        ),
      ),
    );
    expect(p.actuators['pay-mcp']?.mcp).toEqual({ url: 'http://127.0.0.1:9092/mcp', bearerEnv: 'PAY_MCP_TOKEN', tools: ['transfer'] });
    const m = mapProxyRequest(p, 'pay-mcp', { method: 'MCP', path: '/tools/transfer', body: { payee: 'DE89', amount: 12.5, currency: 'eur' } });
    expect(m).toMatchObject({ operation: 'transfer', target: 'DE89', amount: 12.5, currency: 'EUR', reversibility: 'partially_reversible' });
  });

  it('refuses, naming the field: a name clash with an actuator, "__" in a server id, credentials in the URL, proxy expressions, amount without currency, a tool twice', async () => {
    const errors = await errorsOf(
      'mcp-bad.yaml',
      withServers(`  payments:
    url: http://127.0.0.1:9092/mcp
  a__b:
    url: http://user:secret@127.0.0.1:9092/mcp
    tools:
      - { name: t1, target: body.payee, reversibility: irreversible }
      - { name: t2, target: arguments.payee, amount: arguments.amount, reversibility: irreversible }
      - { name: t2, target: =x, reversibility: irreversible }`),
    );
    const byField = (f: string) => errors.find((e) => e.field === f)?.message ?? '';
    expect(byField('mcp_servers.payments')).toMatch(/already an actuator/);
    expect(byField('mcp_servers.a__b')).toMatch(/must not contain '__'/);
    expect(byField('mcp_servers.a__b.url')).toMatch(/credentials/);
    expect(byField('mcp_servers.a__b.tools[0].target')).toMatch(/arguments\.<name>/);
    expect(byField('mcp_servers.a__b.tools[1].amount')).toMatch(/amount and currency go together/);
    expect(byField('mcp_servers.a__b.tools[2].name')).toMatch(/repeats tools\[1\]/);
    for (const e of errors) expect(e.line).toBeGreaterThan(0);
  });

  it('refuses a tool name MCP does not allow, and a URL that is not http(s)', async () => {
    const errors = await errorsOf('mcp-names.yaml', withServers(`  x-mcp:
    url: ftp://127.0.0.1/mcp
    tools:
      - { name: "bad name", target: =x, reversibility: irreversible }`));
    expect(errors.find((e) => e.field === 'mcp_servers.x-mcp.tools[0].name')?.message).toMatch(/MCP tool name/);
    expect(errors.find((e) => e.field === 'mcp_servers.x-mcp.url')?.message).toMatch(/http/);
  });

  it('a rule may name an MCP server and any of its operations, mapped or not', async () => {
    const p = await loadPolicyFile(
      writeTemp(
        'mcp-rule.yaml',
        withServers('  ops-mcp:\n    url: http://127.0.0.1:9093/mcp', '  - id: wipe\n    match: { actuator: ops-mcp, operation: wipe_disk }\n    tier: CRITICAL\n    quorum: { all_of: [ { group: treasury, min: 2 } ], window: 1h, comparator: { group: compliance } }\n'),
      ),
    );
    expect(p.actuators['ops-mcp']?.mcp?.tools).toEqual([]);
  });
});
