import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionStatus, addPerson, challengeOf, entries, type TestPerson } from '../signature/helpers.ts';
import { startAppHarness, type AppHarness } from './app-harness.ts';

/**
 * The approver app's entrances for deciding (src/adapters/http/routes/app-decisions.ts), over the
 * app's session cookie without a browser: declining a CRITICAL share with a reason closes only
 * that person's challenge, is logged and in the trail, and is final for them; the comparator's
 * and the witness's entrances keep the services' role rules. The example policy's delete-cluster
 * needs 2 of platform [bob, carol, dave] and 1 of risk [dave]; bob is not enrolled here, so once
 * carol declines the quorum cannot be met and nothing runs.
 */
let h: AppHarness;
let carol: TestPerson;
let dave: TestPerson;
const cookies = new Map<string, string>();
let critical: string;

const call = (who: string, method: string, path: string, body?: unknown, o: { origin?: string | null } = {}) => {
  const headers: Record<string, string> = { cookie: `af_session=${cookies.get(who)!}`, 'sec-fetch-site': 'same-origin' };
  if (o.origin !== null) headers['origin'] = o.origin ?? h.appUrl;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${h.appUrl}/app/api${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
};
const answer = async (r: Response) => [r.status, ((await r.json()) as { code?: string }).code] as const;

beforeAll(async () => {
  h = await startAppHarness();
  [carol, dave] = await Promise.all([addPerson(h, 'carol'), addPerson(h, 'dave')]);
  await Promise.all([addPerson(h, 'erin', { roles: ['comparator'] }), addPerson(h, 'pat')]);
  for (const p of ['carol', 'dave', 'erin', 'pat']) cookies.set(p, await h.approver.app!.sessions.create(p, h.appUrl));
  const ops = await h.addAgent('agent-ops', 'olga');
  const a = (await (await h.as(ops, 'DELETE', '/proxy/infra/clusters/prod-eu-3', { headers: { 'idempotency-key': 'decide-1' } })).json()) as { id: string; status: string };
  expect(a.status).toBe('awaiting_quorum');
  critical = a.id;
});
afterAll(async () => {
  await h?.close();
});

describe('deciding from the app', () => {
  it('declines a CRITICAL share with a reason: only that challenge closes, logged, in the trail, and never asked again', async () => {
    const mine = await challengeOf(carol, critical);
    const others = await challengeOf(dave, critical);
    // A reason is required; a cross-site or Origin-less request is refused before anything happens.
    expect(await answer(await call('carol', 'POST', `/actions/${critical}/decline`, { reason: '' }))).toEqual([400, 'BODY_INVALID']);
    expect(await answer(await call('carol', 'POST', `/actions/${critical}/decline`, { reason: 'freeze' }, { origin: null }))).toEqual([403, 'ORIGIN_REFUSED']);
    expect((await h.signatures.service!.store.getChallenge(mine.id))?.state).toBe('issued');
    const before = (await (await call('carol', 'GET', `/actions/${critical}`)).json()) as { can: { sign: string | null; decline: boolean } };
    expect(before.can).toMatchObject({ sign: mine.id, decline: true });

    const r = await call('carol', 'POST', `/actions/${critical}/decline`, { reason: 'not during the change freeze' });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ declined: true, challengeId: mine.id });
    expect(await h.signatures.service!.store.getChallenge(mine.id)).toMatchObject({ state: 'cancelled', outcome: 'DECLINED' });
    expect(await entries(h, { actionId: critical, type: 'signature.declined' })).toEqual([expect.objectContaining({ challengeId: mine.id, who: 'carol', role: 'authorizer', mode: 'biological', reason: 'not during the change freeze' })]);
    // Only hers: dave's share is still asked for, and the action still waits.
    expect((await h.signatures.service!.store.getChallenge(others.id))?.state).toBe('issued');
    expect(await actionStatus(h, critical)).toBe('awaiting_quorum');

    // Final for her: not again, not on request, not through `next`; the inbox no longer lists it.
    expect(await answer(await call('carol', 'POST', `/actions/${critical}/decline`, { reason: 'again' }))).toEqual([409, 'NOTHING_TO_DECLINE']);
    const ask = await carol.client.request<{ code: string }>('POST', '/v1/people/carol/challenges', { actionId: critical });
    expect([ask.status, ask.json.code]).toEqual([409, 'CHALLENGE_NOT_ISSUED']);
    expect((await carol.client.request('POST', '/v1/people/carol/challenges/next')).status).toBe(404);
    const inbox = (await (await call('carol', 'GET', '/inbox')).json()) as { items: { actionId: string }[] };
    expect(inbox.items.filter((i) => i.actionId === critical)).toEqual([]);
    const detail = (await (await call('carol', 'GET', `/actions/${critical}`)).json()) as { can: { sign: string | null; decline: boolean } };
    expect(detail.can).toMatchObject({ sign: null, decline: false });

    // The trail shows it, her words included.
    const trail = (await (await call('dave', 'GET', `/actions/${critical}/trail`)).json()) as { items: { type: string; who?: string; reason?: string; logIndex: number }[] };
    expect(trail.items.find((t) => t.type === 'signature.declined')).toMatchObject({ who: 'carol', reason: 'not during the change freeze' });
    expect(trail.items.map((t) => t.logIndex)).toEqual([...trail.items.map((t) => t.logIndex)].sort((x, y) => x - y));
  });

  it('refuses a decline from someone the action does not ask', async () => {
    expect(await answer(await call('pat', 'POST', `/actions/${critical}/decline`, { reason: 'no' }))).toEqual([409, 'NOTHING_TO_DECLINE']);
    expect(await answer(await call('pat', 'POST', '/actions/act_unknown/decline', { reason: 'no' }))).toEqual([409, 'NOTHING_TO_DECLINE']);
  });

  it('keeps the comparator and witness rules: only a comparator named by the action reads its evidence; only a comparator witnesses', async () => {
    expect(await answer(await call('pat', 'GET', `/actions/${critical}/evidence`))).toEqual([403, 'ROLE_FORBIDDEN']);
    const e = (await (await call('erin', 'GET', `/actions/${critical}/evidence`)).json()) as { type: string; action: { id: string } };
    expect(e).toMatchObject({ type: 'comparator-evidence', action: { id: critical } });
    expect(await answer(await call('pat', 'POST', '/challenges/chl_x/witness/options', { credentialId: 'x' }))).toEqual([403, 'ROLE_FORBIDDEN']);
    expect(await answer(await call('erin', 'POST', '/challenges/chl_x/witness/options', { credentialId: 'x' }))).toEqual([404, 'CHALLENGE_NOT_FOUND']);
    expect(await answer(await call('erin', 'POST', `/actions/${critical}/comparator`, { credential: { id: 'x', rawId: 'x', type: 'public-key', response: {} } }))).toEqual([400, 'BODY_INVALID']);
  });
});
