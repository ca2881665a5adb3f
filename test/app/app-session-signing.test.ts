import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/harness.ts';
import { addPerson, challengeOf, entries, expectNoApproval, highTransfer, RawSession, type TestPerson } from '../signature/helpers.ts';
import { startAppHarness, type AppHarness } from './app-harness.ts';

/**
 * The approver app's session cookie on the signature routes and the live session's WebSocket
 * (docs/approver-app.md §Signing module), without a browser: what a page on the app's origin may
 * do with it, what a page elsewhere may not, and that it names one person only. The device's
 * client assertion keeps working beside it.
 */
let h: AppHarness;
let pat: TestPerson;
let quin: TestPerson;
let patCookie: string;
let quinCookie: string;

const cookie = (token: string) => `af_session=${token}`;

beforeAll(async () => {
  h = await startAppHarness();
  pat = await addPerson(h, 'pat', { modalities: ['motion'] });
  quin = await addPerson(h, 'quin', { modalities: ['motion'] });
  patCookie = await h.approver.app!.sessions.create('pat', h.appUrl);
  quinCookie = await h.approver.app!.sessions.create('quin', h.appUrl);
});
afterAll(async () => {
  await h?.close();
});

const v1 = (path: string, o: { method?: string; cookie?: string; origin?: string; site?: string; body?: unknown; authorization?: string } = {}) => {
  const headers: Record<string, string> = {};
  if (o.cookie !== undefined) headers['cookie'] = cookie(o.cookie);
  if (o.origin !== undefined) headers['origin'] = o.origin;
  if (o.site !== undefined) headers['sec-fetch-site'] = o.site;
  if (o.authorization !== undefined) headers['authorization'] = o.authorization;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${h.appUrl}${path}`, { method: o.method ?? 'GET', headers, ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }) });
};

const code = async (r: Response) => ((await r.json()) as { code?: string }).code;

/** Opens the session socket as a browser page would: the cookie and the page's Origin, no Authorization. */
function browserSocket(challengeId: string, o: { cookie?: string; origin?: string }): RawSession {
  const headers: Record<string, string> = {};
  if (o.cookie !== undefined) headers['cookie'] = cookie(o.cookie);
  if (o.origin !== undefined) headers['origin'] = o.origin;
  return new RawSession(`${h.appUrl.replace(/^http/, 'ws')}/v1/challenges/${challengeId}/session`, headers);
}

async function refusedUpgrade(s: RawSession): Promise<number> {
  await s.opened.catch(() => undefined);
  await s.closed;
  return s.status;
}

describe('the app session on the signature routes', () => {
  it('reads the person\'s own record and challenges, and asks for a fresh challenge from the app\'s origin', async () => {
    const a = await highTransfer(h, 'cookie-routes');
    const c = await challengeOf(pat, a.id);
    const me = await v1('/v1/people/pat', { cookie: patCookie });
    expect(me.status).toBe(200);
    expect(me.headers.get('cache-control')).toBe('no-store');
    expect(((await me.json()) as { devices: { id: string }[] }).devices.map((d) => d.id)).toEqual([pat.credential!.id]);
    const open = (await (await v1('/v1/people/pat/challenges', { cookie: patCookie })).json()) as { challenges: { id: string }[] };
    expect(open.challenges.map((x) => x.id)).toContain(c.id);
    expect((await v1(`/v1/challenges/${c.id}`, { cookie: patCookie })).status).toBe(200);
    const fresh = await v1('/v1/people/pat/challenges', { method: 'POST', cookie: patCookie, origin: h.appUrl, site: 'same-origin', body: { actionId: a.id } });
    expect(fresh.status).toBe(201);
  });

  it('names one person only: another person\'s record, challenges and challenge are refused', async () => {
    const a = await highTransfer(h, 'cookie-foreign');
    const c = await challengeOf(quin, a.id);
    const rec = await v1('/v1/people/quin', { cookie: patCookie });
    expect([rec.status, await code(rec)]).toEqual([403, 'ROLE_FORBIDDEN']);
    expect((await v1('/v1/people/quin/challenges', { cookie: patCookie })).status).toBe(403);
    const one = await v1(`/v1/challenges/${c.id}`, { cookie: patCookie });
    expect([one.status, await code(one)]).toEqual([404, 'CHALLENGE_NOT_FOUND']);
    const ask = await v1('/v1/people/quin/challenges', { method: 'POST', cookie: patCookie, origin: h.appUrl, body: { actionId: a.id } });
    expect(ask.status).toBe(403);
  });

  it('refuses a cross-site request, a POST without the app\'s Origin, and a cookie that names no session', async () => {
    const a = await highTransfer(h, 'cookie-csrf');
    const cross = await v1('/v1/people/pat/challenges', { cookie: patCookie, site: 'cross-site' });
    expect([cross.status, await code(cross)]).toEqual([403, 'CROSS_SITE_REFUSED']);
    const noOrigin = await v1('/v1/people/pat/challenges', { method: 'POST', cookie: patCookie, body: { actionId: a.id } });
    expect([noOrigin.status, await code(noOrigin)]).toEqual([403, 'ORIGIN_REFUSED']);
    const elsewhere = await v1('/v1/people/pat/challenges', { method: 'POST', cookie: patCookie, origin: 'http://localhost:1', body: { actionId: a.id } });
    expect([elsewhere.status, await code(elsewhere)]).toEqual([403, 'ORIGIN_REFUSED']);
    const forged = await v1('/v1/people/pat', { cookie: 'A'.repeat(43) });
    expect([forged.status, await code(forged)]).toEqual([401, 'SESSION_REQUIRED']);
  });

  it('does not stand in for a client assertion where the app has its own step or an administrator acts', async () => {
    const reg = await v1('/v1/people/pat/devices/registration-options', { method: 'POST', cookie: patCookie, origin: h.appUrl, body: { kind: 'phone' } });
    expect(reg.status).toBe(401);
    const declare = await v1('/v1/people/pat', { method: 'PUT', cookie: patCookie, origin: h.appUrl, body: { modalities: ['typing'] } });
    expect(declare.status).toBe(401);
    expect((await h.signatures.service!.store.getPerson('pat'))!.modalities).toEqual(['motion']);
  });

  it('keeps the client assertion: a request with one is judged by it, whatever cookie it carries', async () => {
    const r = await v1('/v1/people/pat', { cookie: quinCookie, authorization: await pat.client.authorization('GET', '/v1/people/pat') });
    expect(r.status).toBe(200);
  });
});

describe('the app session on the live session WebSocket', () => {
  it('opens a session with the cookie from the app\'s origin: the hello needs no client assertion', async () => {
    const a = await highTransfer(h, 'ws-cookie');
    const c = await challengeOf(pat, a.id);
    const s = browserSocket(c.id, { cookie: patCookie, origin: h.appUrl });
    await s.opened;
    s.hello(pat, c);
    const start = await s.waitFor('start');
    expect(start.challengeId).toBe(c.id);
    expect(await entries(h, { actionId: a.id, type: 'signature.session_started' })).toMatchObject([{ who: 'pat' }]);
    s.ws.close();
    // The page went away mid-session: refused, and the action still waits.
    await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.refused' }))[0]);
    expect(await entries(h, { actionId: a.id, type: 'signature.refused' })).toMatchObject([{ who: 'pat', code: 'SESSION_ABORTED' }]);
    await expectNoApproval(h, a.id);
  });

  it('refuses a cross-origin upgrade, a cookie without an Origin, and a cookie that names no session', async () => {
    const a = await highTransfer(h, 'ws-cross-origin');
    const c = await challengeOf(pat, a.id);
    expect(await refusedUpgrade(browserSocket(c.id, { cookie: patCookie, origin: 'http://localhost:1' }))).toBe(403);
    expect(await refusedUpgrade(browserSocket(c.id, { cookie: patCookie, origin: 'https://evil.example' }))).toBe(403);
    // A browser page elsewhere cannot use a client assertion in the hello either.
    expect(await refusedUpgrade(browserSocket(c.id, { origin: 'https://evil.example' }))).toBe(403);
    expect(await refusedUpgrade(browserSocket(c.id, { cookie: patCookie }))).toBe(403);
    expect(await refusedUpgrade(browserSocket(c.id, { cookie: 'A'.repeat(43), origin: h.appUrl }))).toBe(401);
    // Nothing was consumed: the challenge is still open for pat.
    expect((await h.signatures.service!.store.getChallenge(c.id))!.state).toBe('issued');
  });

  it('refuses another person\'s challenge: the cookie names the person, not the challenge', async () => {
    const a = await highTransfer(h, 'ws-foreign');
    const c = await challengeOf(quin, a.id);
    const s = browserSocket(c.id, { cookie: patCookie, origin: h.appUrl });
    await s.opened;
    s.hello(pat, c);
    const result = await s.waitFor('result');
    expect(result.outcome).toBe('refused');
    expect(await s.closed).toBe(4409);
    expect((await entries(h, { type: 'signature.refused' })).filter((e) => e['challengeId'] === c.id)).toMatchObject([{ who: 'pat', code: 'CHALLENGE_NOT_YOURS' }]);
    expect((await h.signatures.service!.store.getChallenge(c.id))!.state).toBe('issued');
  });

  it('keeps the device\'s client assertion (Authorization header or hello) with no cookie and no Origin', async () => {
    const a = await highTransfer(h, 'ws-device');
    const c = await challengeOf(quin, a.id);
    const s = await RawSession.open(quin, c.id, { auth: 'none' });
    s.hello(quin, c, { authorization: await quin.client.authorization('GET', `/v1/challenges/${c.id}/session`) });
    expect((await s.waitFor('start')).challengeId).toBe(c.id);
    s.ws.close();
    await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.refused' }))[0]);
  });
});
