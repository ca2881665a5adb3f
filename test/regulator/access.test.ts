import { generateKeyPairSync } from 'node:crypto';
import { CompactSign, importJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.ts';
import { FirewallError } from '../../src/core/errors.ts';
import { buildRegulatorExport } from '../../src/adapters/log/regulator-export.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { mintAssertion } from '../helpers/assertion.ts';
import { addPrincipal, entriesWith, exportWith, issueToken, withToken, type Principal } from './helpers/regulator.ts';

/** The system clock, shifted on demand (token expiry without waiting an hour). */
class ShiftableClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
}

let h: Harness;
let rita: Principal;
let alice: Principal;
const clock = new ShiftableClock();

beforeAll(async () => {
  h = await startHarness({ clock });
  rita = await addPrincipal(h, 'rita', ['regulator']);
  alice = { id: 'alice', key: h.humanKey };
  // Something to read: a MEDIUM transfer that completes, and one alice vetoes.
  const a = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE01', amount: 70, currency: 'EUR' }, headers: { 'idempotency-key': 'acc-1' } });
  const b = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE02', amount: 75, currency: 'EUR' }, headers: { 'idempotency-key': 'acc-2' } });
  const vetoId = ((await b.json()) as { id: string }).id;
  expect((await h.as('alice', 'POST', `/v1/actions/${vetoId}/veto`, { body: { reason: 'no' } })).status).toBe(200);
  const done = ((await a.json()) as { id: string }).id;
  await waitFor(() => h.payments.executions.find((e) => e.key === done));
});
afterAll(async () => {
  await h.close();
});

function problemCode(res: Response): Promise<string> {
  return res.json().then((p) => (p as { code: string }).code);
}

describe('POST /v1/regulator/tokens', () => {
  it('issues a scoped, expiring ES256 token signed by the HSM token key, and logs jti/scopes/exp but never the token', async () => {
    const t = await issueToken(h, rita, { scopes: ['log:export', 'log:read', 'log:read'], ttlSeconds: 600 });
    expect(t).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'log:export log:read' });
    const jwks = (await (await fetch(`${h.url}/.well-known/jwks.json`)).json()) as { keys: (JsonWebKey & { 'af:purpose': string; kid: string })[] };
    const tokenKey = jwks.keys.find((k) => k['af:purpose'] === 'token')!;
    const { payload, protectedHeader } = await jwtVerify(t.access_token, await importJWK(tokenKey, 'ES256'), { issuer: h.url, audience: h.url, typ: 'af-access+jwt' });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: tokenKey.kid });
    expect(payload).toMatchObject({ sub: 'rita', role: 'regulator', scope: 'log:export log:read', jti: t.jti, exp: t.exp });
    expect((payload.exp as number) - (payload.iat as number)).toBe(600);

    const logged = (await h.log.entry(t.logIndex)).entry;
    expect(logged).toMatchObject({ type: 'regulator.token_issued', by: 'rita', jti: t.jti, scopes: ['log:export', 'log:read'], exp: t.exp });
    expect(JSON.stringify(logged)).not.toContain(t.access_token.split('.')[2]);
  });

  it('defaults to log:read for 15 minutes and refuses longer than an hour, unknown scopes and unknown fields', async () => {
    const t = await issueToken(h, rita);
    expect(t).toMatchObject({ scope: 'log:read', expires_in: 900 });
    for (const body of [{ ttlSeconds: 3601 }, { ttlSeconds: 10 }, { ttlSeconds: 60.5 }, { scopes: ['log:write'] }, { scopes: [] }, { scopes: 'log:read' }, { scope: 'log:read' }]) {
      const res = await h.as(rita, 'POST', '/v1/regulator/tokens', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await h.as(rita, 'POST', '/v1/regulator/tokens', { raw: '[1]', headers: { 'content-type': 'application/json' } })).status).toBe(400);
  });

  it('is for regulators only, authenticated by client assertion (a token cannot mint tokens)', async () => {
    const alicesTry = await h.as(alice, 'POST', '/v1/regulator/tokens', { body: {} });
    expect(alicesTry.status).toBe(403);
    expect(await problemCode(alicesTry)).toBe('ROLE_FORBIDDEN');
    expect((await h.as('agent', 'POST', '/v1/regulator/tokens', { body: {} })).status).toBe(403);
    expect((await fetch(`${h.url}/v1/regulator/tokens`, { method: 'POST' })).status).toBe(401);
    const t = await issueToken(h, rita, { scopes: ['log:read', 'log:export'] });
    const res = await withToken(h, t.access_token, '/v1/regulator/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('reading the log with a token', () => {
  it('a log:read token reads entries, proofs and tiles; queries by action, person, rule, type and time', async () => {
    const t = (await issueToken(h, rita)).access_token;
    const vetoes = await entriesWith(h, t, 'person=alice');
    expect(vetoes.map((e) => e.entry['type'])).toEqual(['action.vetoed']);
    expect(vetoes[0]!.entry['by']).toBe('alice');
    expect(await entriesWith(h, t, 'person=rita')).toEqual(expect.arrayContaining([expect.objectContaining({ entry: expect.objectContaining({ type: 'regulator.token_issued' }) })]));

    const byRule = await entriesWith(h, t, 'rule=small-transfer');
    expect(byRule.map((e) => e.entry['type'])).toEqual(['action.classified', 'action.classified']);
    const byRuleAndType = await entriesWith(h, t, 'rule=small-transfer&type=action.classified&limit=1');
    expect(byRuleAndType).toHaveLength(1);
    expect(await entriesWith(h, t, 'rule=no-such-rule')).toEqual([]);

    const actionId = byRule[0]!.entry['actionId'] as string;
    const history = await entriesWith(h, t, `actionId=${actionId}`);
    expect(history.map((e) => e.entry['type'])).toEqual(['action.received', 'action.classified', 'action.cooling', 'action.authorised', 'action.dispatched', 'action.executed']);
    const ts = history[2]!.entry['ts'] as number;
    const window = await entriesWith(h, t, `since=${ts}&until=${ts + 1}&actionId=${actionId}`);
    expect(window.map((e) => e.index)).toEqual(history.filter((e) => e.entry['ts'] === ts).map((e) => e.index));

    await h.log.checkpoint();
    expect((await withToken(h, t, `/log/v1/proofs/inclusion?index=${history[0]!.index}`)).status).toBe(200);
    expect((await withToken(h, t, `/log/v1/entries/${history[0]!.index}`)).status).toBe(200);
    expect((await withToken(h, t, '/log/tile/0/000.p/1')).status).toBe(200);
    expect((await withToken(h, t, '/log/v1/entries?person=')).status).toBe(400);
    expect((await withToken(h, t, '/log/v1/entries?person=a&person=b')).status).toBe(400);
  });

  it('refuses a token without the scope (403) and expired, forged or revoked tokens (401)', async () => {
    const exportOnly = (await issueToken(h, rita, { scopes: ['log:export'] })).access_token;
    const readOnly = (await issueToken(h, rita, { scopes: ['log:read'], ttlSeconds: 60 })).access_token;
    const r1 = await withToken(h, exportOnly, '/log/v1/entries?type=action.received');
    expect(r1.status).toBe(403);
    expect(await problemCode(r1)).toBe('SCOPE_INSUFFICIENT');
    const r2 = await withToken(h, readOnly, '/v1/regulator/export');
    expect(r2.status).toBe(403);
    expect(await problemCode(r2)).toBe('SCOPE_INSUFFICIENT');

    // Forged: claims widened under the original signature; a look-alike signed by another P-256 key; alg none.
    const [head, body, sig] = readOnly.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const widened = Buffer.from(JSON.stringify({ ...claims, scope: 'log:export log:read' })).toString('base64url');
    const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as Record<string, unknown>;
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const lookalike = await new CompactSign(Buffer.from(JSON.stringify({ ...claims, scope: 'log:export log:read' })))
      .setProtectedHeader(header as { alg: string })
      .sign(other.privateKey);
    const none = `${Buffer.from(JSON.stringify({ ...header, alg: 'none' })).toString('base64url')}.${body}.`;
    for (const forged of [`${head}.${widened}.${sig}`, lookalike, none, `${head}.${body}.${sig.slice(0, -4)}AAAA`]) {
      const res = await withToken(h, forged, '/v1/regulator/export');
      expect(res.status).toBe(401);
      expect(await problemCode(res)).toBe('AUTH_INVALID');
    }

    // Expired: an hour later (the clock is the gateway's).
    clock.offset = 2 * 3600_000;
    try {
      expect((await withToken(h, readOnly, '/log/v1/entries?type=action.received')).status).toBe(401);
    } finally {
      clock.offset = 0;
    }
    expect((await withToken(h, readOnly, '/log/v1/entries?type=action.received')).status).toBe(200);

    // Revoked: the principal is disabled, so its tokens stop working at once.
    const temp = await addPrincipal(h, 'tim', ['regulator']);
    const timsToken = (await issueToken(h, temp)).access_token;
    expect((await withToken(h, timsToken, '/log/v1/entries?type=action.received')).status).toBe(200);
    const rec = (await h.gw.ctx.store.principals.get('tim'))!;
    await h.gw.ctx.store.tx(async (tx) => tx.principals.put({ ...rec, disabled: true }));
    expect((await withToken(h, timsToken, '/log/v1/entries?type=action.received')).status).toBe(401);
  });

  it('client assertions still work: human roles read the log, only regulators export', async () => {
    expect((await h.as(alice, 'GET', '/log/v1/entries?type=action.vetoed')).status).toBe(200);
    expect((await h.as('agent', 'GET', '/log/v1/entries?type=action.vetoed')).status).toBe(403);
    const aliceExport = await h.as(alice, 'GET', '/v1/regulator/export');
    expect(aliceExport.status).toBe(403);
    expect(await problemCode(aliceExport)).toBe('ROLE_FORBIDDEN');
    const ritaExport = await h.as(rita, 'GET', '/v1/regulator/export?fromIndex=0&toIndex=3');
    expect(ritaExport.status).toBe(200);
    expect(((await ritaExport.json()) as { range: unknown }).range).toEqual({ start: 0, end: 3 });
  });
});

describe('GET /v1/regulator/export', () => {
  it('returns the bundle and records who exported which range', async () => {
    const t = await issueToken(h, rita, { scopes: ['log:export'] });
    const b = await exportWith(h, t.access_token, '?fromIndex=2&toIndex=9');
    expect(b.range).toEqual({ start: 2, end: 9 });
    expect(b.entries.map((e) => e.index)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(b.jwks.keys.map((k) => (k as Record<string, unknown>)['af:purpose'])).toEqual(['receipt', 'checkpoint', 'token', 'webhook']);
    expect(b.policyVersions).toHaveLength(1);
    expect(b.policyVersions[0]).toMatchObject({ version: h.gw.ctx.policy().hash, digest: h.gw.ctx.policy().hash, logIndex: 0 });
    expect(b.context?.map((c) => c.index)).toEqual(expect.arrayContaining([0, 1]));
    const logged = await waitFor(async () => {
      const all = await h.log.query({ type: 'regulator.export', person: 'rita', limit: 100 });
      return all.find((e) => e.entry['tokenJti'] === t.jti);
    });
    expect(logged.entry).toMatchObject({ by: 'rita', via: 'token', request: { fromIndex: 2, toIndex: 9 }, range: { start: 2, end: 9 }, entries: 7 });
    expect(JSON.stringify(logged.entry)).not.toContain(t.access_token);

    const byTime = await exportWith(h, t.access_token, `?since=0&until=${Date.now() + 60_000}`);
    expect(byTime.range.start).toBe(0);
  });

  it('refuses malformed ranges', async () => {
    const t = (await issueToken(h, rita, { scopes: ['log:export'] })).access_token;
    for (const q of ['?fromIndex=1&since=0', '?fromIndex=5&toIndex=2', '?since=9&until=3', '?fromIndex=-1', '?fromIndex=01', '?fromIndex=1&fromIndex=2', '?limit=3']) {
      const res = await withToken(h, t, `/v1/regulator/export${q}`);
      expect(res.status, q).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('refuses an export larger than the limit before reading it', async () => {
    await expect(buildRegulatorExport(h.log, {}, { jwks: { keys: [] }, clock, maxEntries: 3 })).rejects.toSatisfy(
      (e: unknown) => e instanceof FirewallError && e.code === 'EXPORT_RANGE_TOO_LARGE' && e.status === 413,
    );
  });
});

describe('assertions for other URLs', () => {
  it('a client assertion bound to another path is refused', async () => {
    const token = await mintAssertion(rita.key, { id: 'rita', aud: h.url, method: 'GET', path: '/log/v1/entries' });
    const res = await fetch(`${h.url}/v1/regulator/export`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
  });
});
