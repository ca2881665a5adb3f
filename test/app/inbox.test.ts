import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPrincipal } from '../../src/gateway/register-principal.ts';
import type { InboxItem } from '../../src/gateway/approver/inbox.ts';
import { waitFor } from '../helpers/harness.ts';
import { startAppHarness, type AppHarness } from './app-harness.ts';

/**
 * The inbox's kinds for the people they are for, read the way the app reads them (session cookie):
 * a vetoer sees MEDIUM cooling, a compliance officer (comparator) sees a CRITICAL action's review
 * and the witness request of a person who uses no modality; nobody sees what is not theirs.
 */
let h: AppHarness;
const people: Record<string, { id: string; key: import('node:crypto').KeyObject }> = {};

async function inboxOf(person: string): Promise<InboxItem[]> {
  const token = await h.approver.app!.sessions.create(person, h.appUrl);
  const r = await fetch(`${h.appUrl}/app/api/inbox`, { headers: { cookie: `af_session=${token}` } });
  expect(r.status).toBe(200);
  return ((await r.json()) as { items: InboxItem[] }).items;
}

beforeAll(async () => {
  h = await startAppHarness();
  for (const [id, roles] of [['erin', ['comparator']], ['carol', ['authorizer']], ['dave', ['authorizer']]] as const) {
    const k = generateKeyPairSync('ed25519');
    await registerPrincipal(h.gw.ctx.store, { id, roles: [...roles], publicJwk: k.publicKey.export({ format: 'jwk' }) }, Date.now());
    people[id] = { id, key: k.privateKey };
  }
  // alice: a vetoer with a signature record; carol declares no modality (the witness path); erin and dave have records.
  await h.as('alice', 'PUT', '/v1/people/alice', { body: { modalities: ['motion'] } });
  await h.as(people['carol']!, 'PUT', '/v1/people/carol', { body: { modalities: [] } });
  await h.as(people['erin']!, 'PUT', '/v1/people/erin', { body: { modalities: [] } });
  await h.as(people['dave']!, 'PUT', '/v1/people/dave', { body: { modalities: [] } });
});
afterAll(async () => {
  await h?.close();
});

describe('approver app inbox', () => {
  it('puts each waiting action in the inbox of the people it waits for, with its kind and deadline', async () => {
    const medium = (await (await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE1', amount: 120, currency: 'EUR' }, headers: { 'idempotency-key': 'inbox-m' } })).json()) as { id: string };
    const high = (await (await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE2', amount: 4000, currency: 'EUR' }, headers: { 'idempotency-key': 'inbox-h' } })).json()) as { id: string };
    const critical = (await (await h.as('agent', 'DELETE', '/proxy/infra/clusters/prod-eu-1', { headers: { 'idempotency-key': 'inbox-c' } })).json()) as { id: string };

    const alice = await inboxOf('alice');
    expect(alice.find((i) => i.actionId === medium.id)).toMatchObject({ kind: 'veto', tier: 'MEDIUM', status: 'cooling', amount: 120, currency: 'EUR', target: 'DE1' });
    expect(Date.parse(alice.find((i) => i.actionId === medium.id)!.deadline!)).toBeGreaterThan(Date.now());
    // alice has no passkey yet: no challenge, so the HIGH one is not hers to sign.
    expect(alice.some((i) => i.actionId === high.id)).toBe(false);

    // carol declared no modality: her HIGH challenge is a witness one, which erin (comparator) may witness.
    const erin = await waitFor(async () => {
      const items = await inboxOf('erin');
      return items.some((i) => i.kind === 'witness') && items.some((i) => i.kind === 'comparator') ? items : undefined;
    });
    expect(erin.find((i) => i.kind === 'witness')).toMatchObject({ actionId: high.id, person: 'carol', tier: 'HIGH' });
    expect(erin.find((i) => i.kind === 'comparator')).toMatchObject({ actionId: critical.id, tier: 'CRITICAL', status: 'awaiting_quorum' });
    expect(erin.some((i) => i.kind === 'veto')).toBe(false); // not a vetoer

    // dave, a vetoer too, sees the MEDIUM one; in the quorum but on the witness path, nothing to sign himself.
    const dave = await inboxOf('dave');
    expect(dave.find((i) => i.actionId === medium.id)?.kind).toBe('veto');
    expect(dave.some((i) => i.kind === 'signature' || i.kind === 'share')).toBe(false);
    // carol sees no witness request for herself.
    expect((await inboxOf('carol')).some((i) => i.kind === 'witness')).toBe(false);
    // Her own: the HIGH transfer waits on her, through a witness (nothing to sign on her phone).
    expect((await inboxOf('carol')).find((i) => i.kind === 'witnessed')).toMatchObject({ actionId: high.id, tier: 'HIGH', challengeId: expect.stringMatching(/^chl_/) });
  });
});
