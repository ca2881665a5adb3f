import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { RATE_AGENT_PER_SEC: '100000', RATE_MEDIUM_PER_MIN: '100000', RATE_HIGH_PER_MIN: '100000', RATE_CRITICAL_PER_MIN: '100000' } });
});
afterAll(async () => {
  await h.close();
});

const jsonish = fc.oneof(
  fc.json({ depthSize: 'small' }),
  fc.record(
    {
      actuator: fc.oneof(fc.constantFrom('payments', 'infra', 'nope'), fc.string()),
      operation: fc.oneof(fc.constantFrom('transfer', 'delete_cluster'), fc.string()),
      target: fc.oneof(fc.string(), fc.integer()),
      amount: fc.oneof(fc.double(), fc.string(), fc.constant(-1)),
      currency: fc.oneof(fc.constantFrom('EUR', 'eur'), fc.string()),
      reversibility: fc.oneof(fc.constantFrom('irreversible', 'maybe'), fc.string()),
      parameters: fc.oneof(fc.object(), fc.array(fc.integer())),
      branchCard: fc.oneof(fc.object(), fc.record({ gates: fc.dictionary(fc.string(), fc.string()) })),
    },
    { requiredKeys: [] },
  ).map((o) => JSON.stringify(o)),
  fc.string(),
);

describe('API fuzzing', () => {
  it('random requests never get a 5xx and refused ones execute nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.oneof(
          fc.constant('/v1/actions'),
          fc.constantFrom('/proxy/payments/transfers', '/proxy/infra/clusters/x', '/proxy/payments/balances/a%2Fb', '/proxy/../v1/actions'),
          fc.webPath().map((p) => '/proxy/payments' + p),
          fc.webPath().map((p) => '/v1/actions' + p),
        ),
        jsonish,
        fc.option(fc.string({ maxLength: 250 }), { nil: undefined }),
        fc.constantFrom('application/json', 'text/plain', 'application/octet-stream'),
        async (method, path, body, key, contentType) => {
          const before = h.payments.executions.length + h.infra.executions.length;
          const headers: Record<string, string> = { 'content-type': contentType };
          if (key !== undefined && /^[\x21-\x7e]*$/.test(key)) headers['idempotency-key'] = key;
          const res = await h.as('agent', method, path, { raw: method === 'GET' ? undefined! : body, headers });
          const text = await res.text();
          expect(res.status, `${method} ${path} → ${res.status} ${text}`).toBeLessThan(500);
          if (res.status >= 400) {
            await new Promise((r) => setImmediate(r));
            expect(h.payments.executions.length + h.infra.executions.length).toBe(before);
            expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
          }
        },
      ),
      { numRuns: 300, seed: 20261123 },
    );
  });
});
