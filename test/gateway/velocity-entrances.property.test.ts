import fc from 'fast-check';
import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';

/**
 * Through the real gateway, with the example policy's owner-scoped transfer limit (5,000 EUR an
 * hour, per owner): transfers split over several agents of one owner, over payees, over currency
 * spellings and over both entrances (the reverse proxy and POST /v1/actions) are counted in one
 * window. Every part is below the large-transfer threshold (MEDIUM on its own); the part whose
 * running total passes 5,000 EUR, and every later one, needs a signature (HIGH).
 */
let h: Harness;
let owners = 0;

beforeAll(async () => {
  h = await startHarness({ env: { RATE_MEDIUM_PER_MIN: '100000', RATE_HIGH_PER_MIN: '100000' } });
});
afterAll(async () => {
  await h.close();
});

const partArb = fc.record({
  amount: fc.integer({ min: 600, max: 999 }),
  agent: fc.nat(2),
  payee: fc.nat(3),
  entrance: fc.constantFrom('proxy' as const, 'api' as const),
  // The API takes ISO codes in capitals only (400 otherwise); the proxy reads the actuator's body, where case varies.
  spelling: fc.constantFrom('EUR', 'eur', 'Eur'),
});

async function submit(agent: { id: string; key: KeyObject }, part: { amount: number; payee: number; entrance: 'proxy' | 'api'; spelling: string }, key: string): Promise<{ status: number; tier: string; rule: string }> {
  const payee = `DE-${part.payee}`;
  const res =
    part.entrance === 'proxy'
      ? await h.as(agent, 'POST', '/proxy/payments/transfers', { body: { payee, amount: part.amount, currency: part.spelling }, headers: { 'idempotency-key': key } })
      : await h.as(agent, 'POST', '/v1/actions', {
          body: { actuator: 'payments', operation: 'transfer', target: payee, amount: part.amount, currency: 'EUR', reversibility: 'partially_reversible' },
          headers: { 'idempotency-key': key },
        });
  const body = (await res.json()) as { tier: string; rule: string };
  return { status: res.status, tier: body.tier, rule: body.rule };
}

describe('velocity per owner across agents and entrances (property)', () => {
  it('no split of a transfer over agents, payees, spellings or entrances stays under the owner limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(partArb, { minLength: 6, maxLength: 9 }), async (parts) => {
        const owner = `owner-${++owners}`;
        const agents = await Promise.all([0, 1, 2].map((i) => h.addAgent(`${owner}-bot-${i}`, owner)));
        let running = 0;
        for (const [i, p] of parts.entries()) {
          const out = await submit(agents[p.agent]!, p, `${owner}-${i}`);
          expect(out.status, `part ${i}`).toBe(202);
          running += p.amount;
          if (running > 5000) expect(out, `part ${i}: running total ${running}`).toMatchObject({ tier: 'HIGH', rule: 'velocity:transfer-burst' });
          else expect(out, `part ${i}: running total ${running}`).toMatchObject({ tier: 'MEDIUM', rule: 'small-transfer' });
        }
      }),
      { numRuns: 12 },
    );
  });

  it('a currency that is not ISO 4217 is refused at both entrances, never counted apart', async () => {
    const agent = await h.addAgent('iso-bot', 'iso-owner');
    const viaProxy = await h.as(agent, 'POST', '/proxy/payments/transfers', { body: { payee: 'DE-1', amount: 900, currency: 'XEU' }, headers: { 'idempotency-key': 'iso-1' } });
    expect(viaProxy.status).toBe(400);
    expect(((await viaProxy.json()) as { code: string }).code).toBe('ACTION_DESCRIPTOR_INVALID');
    const viaApi = await h.as(agent, 'POST', '/v1/actions', {
      body: { actuator: 'payments', operation: 'transfer', target: 'DE-1', amount: 900, currency: 'XEU', reversibility: 'partially_reversible' },
      headers: { 'idempotency-key': 'iso-2' },
    });
    expect(viaApi.status).toBe(400);
    expect(((await viaApi.json()) as { code: string }).code).toBe('ACTION_DESCRIPTOR_INVALID');
  });
});
