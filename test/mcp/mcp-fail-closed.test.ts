import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { accessToken, rawMcp } from './helpers.ts';

/**
 * The MCP entrance when it cannot know whether a token was revoked (docs/mcp.md §Replicas): each
 * gateway reads the revocations from the log every second, and one that has not read them for
 * five seconds refuses every token at /mcp, as problem+json, calling nothing upstream.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const list = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' });
const balance = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'payments-mcp__get_balance', arguments: { account: 'acc-1' } } });

describe('/mcp with the revocations unreadable', () => {
  it('refuses every token with 503 TOKEN_REVOCATIONS_UNAVAILABLE and Retry-After, calls nothing, and serves again once the log reads', async () => {
    const token = await accessToken(h);
    expect((await rawMcp(h, token, balance(1))).status).toBe(200);
    const reads = h.store.log as { query: unknown };
    // The log's reads fail from here on, as a store that lost its disk would.
    reads.query = () => Promise.reject(new Error('the log cannot be read (test)'));
    try {
      // The last read stands for five seconds; then the token is refused, not guessed at.
      const refused = await waitFor(async () => {
        const r = await rawMcp(h, token, list(2));
        return r.status === 503 ? r : r.status === 200 ? undefined : expect.fail(`answered ${r.status}: ${r.text}`);
      }, 15_000, 250);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(JSON.parse(refused.text)).toMatchObject({ status: 503, code: 'TOKEN_REVOCATIONS_UNAVAILABLE' });
      const before = h.paymentsMcp.executions.length;
      const call = await rawMcp(h, token, balance(3));
      expect(call.status).toBe(503);
      expect(JSON.parse(call.text)).toMatchObject({ code: 'TOKEN_REVOCATIONS_UNAVAILABLE' });
      expect(h.paymentsMcp.executions.length).toBe(before);
    } finally {
      delete reads.query;
    }
    // The next token check reads the log again.
    const again = await rawMcp(h, token, balance(4));
    expect(again.status).toBe(200);
    expect(again.message?.['result']).toBeDefined();
  });
});
