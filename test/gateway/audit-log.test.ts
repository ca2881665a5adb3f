import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('audit trail', () => {
  it('every transition of an action is in the transparency log, in order, with the policy hash', async () => {
    const res = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'audit', amount: 80, currency: 'EUR' }, headers: { 'idempotency-key': 'a1' } });
    const a = (await res.json()) as { id: string; digest: string; policyHash: string };
    await waitFor(() => h.payments.executions.find((e) => e.key === a.id));
    const entries = await waitFor(async () => {
      const r = await h.as('alice', 'GET', `/log/v1/entries?actionId=${a.id}`);
      const body = (await r.json()) as { entries: { index: number; entry: Record<string, unknown> }[] };
      return body.entries.length >= 6 ? body.entries : undefined;
    });
    expect(entries.map((e) => e.entry['type'])).toEqual([
      'action.received',
      'action.classified',
      'action.cooling',
      'action.authorised',
      'action.dispatched',
      'action.executed',
    ]);
    for (const e of entries) expect(e.entry).toMatchObject({ v: 1, actionId: a.id, digest: a.digest });
    expect(entries[1]!.entry).toMatchObject({ tier: 'MEDIUM', rule: 'small-transfer', policyHash: a.policyHash });
    const indexes = entries.map((e) => e.index);
    expect([...indexes].sort((x, y) => x - y)).toEqual(indexes);
    // Cooling really elapsed: authorised no earlier than the notBefore the cooling entry promised.
    expect(entries[3]!.entry['ts'] as number).toBeGreaterThanOrEqual(entries[2]!.entry['notBefore'] as number);
  });

  it('entries are for regulator and human roles; the signed checkpoint is public', async () => {
    expect((await h.as('agent', 'GET', '/log/v1/entries?type=action.received')).status).toBe(403);
    expect((await fetch(`${h.url}/log/v1/entries/0`)).status).toBe(401);
    await h.log.checkpoint();
    const cp = await fetch(`${h.url}/log/checkpoint`);
    expect(cp.status).toBe(200);
    const note = await cp.text();
    expect(note.split('\n')[0]).toMatch(/\/analog-firewall\/log$/);
    expect(note).toContain('\u2014 ');
  });
});
