/**
 * The regulator console's API (docs/regulator.md §7) over real HTTP with real WebAuthn responses
 * (the software authenticator): invitation and passkey, sign-in as a scoped, expiring regulator
 * access token in an HttpOnly cookie, every read logged, the aggregates, the trail with proofs a
 * verifier checks, and the refusals: cross-site, scope, expiry, sign-out, revocation, a cloned
 * passkey, a console passkey at the approver app.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredential, type StoredCredential } from '../../clients/device/authenticator/software-authenticator.ts';
import { verifyCheckpoint, verifyEntryInclusion } from '../../clients/regulator/proofs.ts';
import { verifyBundle } from '../../clients/regulator/verify-bundle.ts';
import type { ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import { ROOT, startHarness, type Harness } from '../helpers/harness.ts';
import { createTestPki, type TestPki } from '../log/helpers/pki.ts';
import { AttestedSigner } from './helpers/attested-signer.ts';
import { editEntry, failed } from './helpers/bundle-edit.ts';
import { ConsoleClient } from './helpers/console-client.ts';
import { addPrincipal, type Principal } from './helpers/regulator.ts';
import { runScenario, type Scenario } from './helpers/scenario.ts';

let pki: TestPki;
let h: Harness;
let s: Scenario;
let admin: Principal;
let rita: Principal;
let passkey: StoredCredential;
const rc = () => new ConsoleClient(h);
let c: ConsoleClient;
/** The gateway's clock runs this far ahead of real time (the expiry test moves it). */
let skew = 0;

const entriesOf = async (type: string) => (await h.log.entriesByType(type, { limit: 10_000 })).map((e) => e.entry as Record<string, unknown>);
const invite = (who: Principal, person: string) => h.as(who, 'POST', '/v1/regulator/invitations', { body: { person } });

beforeAll(async () => {
  pki = createTestPki();
  h = await startHarness({ signer: new AttestedSigner(pki), clock: { now: () => Date.now() + skew } });
  admin = await addPrincipal(h, 'admin-1', ['admin']);
  rita = await addPrincipal(h, 'rita', ['regulator']);
  s = await runScenario(h);
  c = rc();
});

afterAll(async () => {
  await h?.close();
  pki?.dispose();
});

describe('regulator console: passkey and session', () => {
  it('an administrator invites a registered regulator; the link enrols one passkey, once', async () => {
    expect((await invite(rita, 'rita')).status).toBe(403);
    expect(await (await invite(admin, 'alice')).json()).toMatchObject({ code: 'INVITATION_INVALID' });
    const res = await invite(admin, 'rita');
    expect(res.status).toBe(201);
    const { url } = (await res.json()) as { url: string };
    expect(url).toMatch(/\/app\/regulator\/enrol#[A-Za-z0-9_-]{43}$/);
    const token = new URL(url).hash.slice(1);
    expect(await c.json('POST', '/invitation', { token })).toMatchObject({ person: 'rita' });
    passkey = await c.enrol(url, 'rita');
    expect((await entriesOf('regulator.passkey_enrolled')).at(-1)).toMatchObject({ who: 'rita', device: passkey.id });
    const again = await c.call('POST', '/enrol/options', { token });
    expect(again.status).toBe(410);
    expect(await again.json()).toMatchObject({ code: 'INVITATION_USED' });
  });

  it('refuses a passkey enrolled already, and the invitation stays unused (one transaction)', async () => {
    const { url } = (await (await invite(admin, 'rita')).json()) as { url: string };
    const token = new URL(url).hash.slice(1);
    const o = await c.json<{ ceremonyId: string; options: { challenge: string; rp: { id: string } } }>('POST', '/enrol/options', { token });
    const { credential } = createCredential({ rpId: o.options.rp.id, origin: c.origin, challenge: o.options.challenge, person: 'rita', reuse: passkey });
    const enrolled = (await entriesOf('regulator.passkey_enrolled')).length;
    const res = await c.call('POST', '/enrol', { token, ceremonyId: o.ceremonyId, credential });
    expect(await res.json()).toMatchObject({ code: 'INVITATION_INVALID' });
    expect((await entriesOf('regulator.passkey_enrolled')).length).toBe(enrolled);
    // The use of the invitation rolled back with the refused passkey: it still enrols a new one.
    expect(await c.json('POST', '/invitation', { token })).toMatchObject({ person: 'rita' });
    expect((await c.enrol(url, 'rita')).id).not.toBe(passkey.id);
  });

  it('the CLI prints an invitation link too, for registered regulators only', async () => {
    const run = promisify(execFile);
    const env = { ...process.env, DATA_DIR: h.dir, PORT: new URL(h.url).port, LOG_LEVEL: 'silent' };
    const ok = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'regulator', 'invite', 'rita', '--ttl', '600'], { cwd: ROOT, env });
    const url = /http:\/\/localhost:\d+\/app\/regulator\/enrol#[A-Za-z0-9_-]{43}/.exec(ok.stdout)?.[0];
    expect(url).toBeDefined();
    expect(await rc().json('POST', '/invitation', { token: new URL(url!).hash.slice(1) })).toMatchObject({ person: 'rita' });
    const refused = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'regulator', 'invite', 'alice'], { cwd: ROOT, env }).catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('INVITATION_INVALID') });
  });

  it('sign-in opens a session that is a regulator access token: scoped, expiring, logged, in an HttpOnly cookie only', async () => {
    const res = await c.signIn(passkey, { scopes: ['log:read'], ttlSeconds: 600 });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { person: string; scopes: string[]; exp: number; jti: string; logIndex: number };
    expect(body).toMatchObject({ person: 'rita', scopes: ['log:read'] });
    expect(JSON.stringify(body)).not.toMatch(/eyJ/); // the token itself never reaches the page
    expect(body.exp - Math.floor((Date.now() + skew) / 1000)).toBeGreaterThan(590);
    const set = res.headers.get('set-cookie')!;
    expect(set).toMatch(/^af_regulator=eyJ[^;]+;/);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect((await h.log.entry(body.logIndex)).entry).toMatchObject({ type: 'regulator.token_issued', by: 'rita', via: 'passkey', device: passkey.id, jti: body.jti, scopes: ['log:read'] });
    expect(await c.json('GET', '/session')).toMatchObject({ person: 'rita', jti: body.jti, scopes: ['log:read'] });
  });

  it('records every read before answering it, and refuses what the session has no scope for', async () => {
    const before = (await entriesOf('regulator.read')).length;
    const { entries } = await c.json<{ entries: { index: number; text: string }[] }>('GET', '/entries?tier=HIGH&type=action.classified');
    const ids = entries.map((e) => (JSON.parse(e.text) as { actionId: string }).actionId);
    expect(ids).toEqual([s.high.id, s.expired.id]);
    const agent = await c.json<{ entries: unknown[] }>('GET', '/entries?agent=agent-1&type=action.received');
    expect(agent.entries.length).toBe(5); // MEDIUM twice, HIGH twice, CRITICAL; the LOW one is action.passed
    const reads = (await entriesOf('regulator.read'));
    expect(reads.length).toBe(before + 2);
    expect(reads.at(-2)).toMatchObject({ by: 'rita', via: 'console', resource: 'entries', query: { tier: 'HIGH', type: 'action.classified' } });
    const exp = await c.call('GET', '/export');
    expect(exp.status).toBe(403);
    expect(await exp.json()).toMatchObject({ code: 'SCOPE_INSUFFICIENT', requiredScope: 'log:export' });
  });

  it("gives an action's trail with inclusion proofs that verify against its signed checkpoint", async () => {
    const t = await c.json<{ checkpoint: { note: string; size: number }; entries: { index: number; text: string; inclusion: string[] }[] }>('GET', `/actions/${s.high.id}/trail`);
    const vk = (await (await fetch(`${h.url}/log/v1/verifier-key`)).json()) as { vkey: string; origin: string };
    const cp = verifyCheckpoint(t.checkpoint.note, vk.vkey, vk.origin);
    expect(t.entries.map((e) => (JSON.parse(e.text) as { type: string }).type)).toEqual((await h.log.entriesByActionId(s.high.id)).map((e) => e.type));
    for (const e of t.entries) verifyEntryInclusion(e.text, e.index, e.inclusion, cp);
    expect(() => verifyEntryInclusion(t.entries[0]!.text, t.entries[1]!.index, t.entries[1]!.inclusion, cp)).toThrow();
    expect((await entriesOf('regulator.read')).at(-1)).toMatchObject({ resource: 'trail', query: { actionId: s.high.id } });
    expect((await c.call('GET', '/actions/act_nothing/trail')).status).toBe(404);
  });

  it('computes the pictures from the log: tiers, approval times, refusals by reason, cooling depth, modalities', async () => {
    const st = await c.json<{
      actionsPerTier: Record<string, number[]>;
      approvalLatencyMs: Record<string, number[]>;
      refusals: { kind: string; reason: string; count: number }[];
      coolingDepth: { end: number[]; max: number[] };
      signatures: { modalities: Record<string, number>; witness: number; nonBiological: number };
    }>('GET', `/statistics?since=${Date.now() + skew - 3600_000}&until=${Date.now() + skew + 1000}&buckets=12`);
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    expect(Object.fromEntries(Object.entries(st.actionsPerTier).map(([t, a]) => [t, sum(a)]))).toEqual({ LOW: 1, MEDIUM: 2, HIGH: 2, CRITICAL: 1 });
    expect(st.approvalLatencyMs['HIGH']).toHaveLength(1);
    expect(st.approvalLatencyMs['CRITICAL']).toHaveLength(1);
    // MEDIUM: the one that executed waited out its cooling (1 s in the test policy); the vetoed one is no approval.
    expect(st.approvalLatencyMs['MEDIUM']).toHaveLength(1);
    expect(st.approvalLatencyMs['MEDIUM']![0]).toBeGreaterThanOrEqual(1000);
    expect(st.refusals).toEqual(expect.arrayContaining([{ kind: 'vetoed', reason: 'not expected', count: 1 }, { kind: 'expired', reason: 'no decision while awaiting_signature', count: 1 }]));
    expect(Math.max(...st.coolingDepth.max)).toBeGreaterThanOrEqual(2); // both MEDIUM transfers cooled at once
    expect(st.coolingDepth.end.at(-1)).toBe(0);
    expect(st.signatures).toEqual({ modalities: { hrv: 2, motion: 1, typing: 1 }, witness: 0, nonBiological: 1, refused: 0 });
    const bad = await c.call('GET', '/statistics?since=10&until=5');
    expect(await bad.json()).toMatchObject({ code: 'STATISTICS_RANGE_INVALID' });
  });
});

describe('regulator console: the page', () => {
  /** The files a shell loads before anything runs: its scripts, preloads and stylesheets, and every static import of them. */
  function staticGraph(html: string): Set<string> {
    const seen = new Set<string>();
    const todo = [...html.matchAll(/(?:src|href)="\/app\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      if (!f.endsWith('.js')) continue;
      const js = readFileSync(join(ROOT, 'web/app/dist', f), 'utf8');
      for (const m of js.matchAll(/(?:^|[;\s])import\s*(?:[\w${},\s*]+from\s*)?"\.\/([^"]+\.js)"/g)) todo.push(`assets/${m[1]}`);
    }
    return seen;
  }

  it('serves its own shell under the app CSP with SRI; the approver pages never load the console', async () => {
    const r = await fetch(`${c.origin}/app/regulator/search`);
    expect(r.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self'; style-src 'self'/);
    const html = await r.text();
    expect(html).toContain('<title>Analog Firewall — Regulator console</title>');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>|<style|style=/);
    for (const [, file, integrity] of html.matchAll(/(?:src|href)="\/app\/(assets\/[^"]+)" integrity="(sha384-[^"]+)"/g)) {
      expect(integrity).toBe(`sha384-${createHash('sha384').update(readFileSync(join(ROOT, 'web/app/dist', file!))).digest('base64')}`);
    }
    const consoleFiles = staticGraph(html);
    expect([...consoleFiles].some((f) => /^assets\/regulator-[\w-]+\.js$/.test(f))).toBe(true);
    const approver = staticGraph(await (await fetch(`${c.origin}/app/inbox`)).text());
    expect(approver.size).toBeGreaterThan(0);
    expect([...approver].filter((f) => /regulator|uPlot/.test(f))).toEqual([]);
  });
});

describe('regulator console: refusals', () => {
  it('refuses a request another site makes, and a state change without the console origin', async () => {
    expect((await c.call('GET', '/session', undefined, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const noOrigin = await fetch(`${c.origin}/app/api/regulator/session/options`, { method: 'POST' });
    expect(await noOrigin.json()).toMatchObject({ code: 'ORIGIN_REFUSED' });
  });

  it('refuses a cloned passkey (its counter does not advance), and a console passkey at the approver app', async () => {
    const clone: StoredCredential = { ...passkey, counter: 0 };
    const res = await rc().signIn(clone);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'SIGN_IN_REFUSED' });
    const other = rc();
    const o = await (await fetch(`${other.origin}/app/api/session/options`, { method: 'POST', headers: { origin: other.origin } })).json();
    const { getAssertion } = await import('../../clients/device/authenticator/software-authenticator.ts');
    const app = await fetch(`${other.origin}/app/api/session`, {
      method: 'POST',
      headers: { origin: other.origin, 'content-type': 'application/json' },
      body: JSON.stringify({ ceremonyId: (o as { ceremonyId: string }).ceremonyId, credential: getAssertion(passkey, { challenge: (o as { options: { challenge: string } }).options.challenge, origin: other.origin }) }),
    });
    expect(await app.json()).toMatchObject({ code: 'SIGN_IN_REFUSED' });
  });

  it('exports with the export scope, logged with the session; the bundle verifies, console reads included', async () => {
    const x = rc();
    expect((await x.signIn(passkey, { scopes: ['log:read', 'log:export'] })).status).toBe(201);
    const jti = ((await x.json<{ jti: string }>('GET', '/session')) as { jti: string }).jti;
    const res = await x.call('GET', '/export?fromIndex=0');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="log-export-0-\d+\.json"$/);
    const bundle = (await res.json()) as ExportBundle;
    expect((await entriesOf('regulator.export')).at(-1)).toMatchObject({ by: 'rita', via: 'console', tokenJti: jti });
    const report = await verifyBundle(bundle, { rootPem: pki.rootPem });
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    // A console read that recorded the token is named by the rule that guards regulator access.
    const read = bundle.entries.findLast((e) => e.entry.includes('"regulator.read"'))!;
    const leaked = editEntry(bundle, read.index, (v) => (v['sessionToken'] = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJyaXRhIn0.c2lnbmF0dXJlc2ln'));
    expect(failed(await verifyBundle(leaked, { rootPem: pki.rootPem }))).toEqual(expect.arrayContaining(['entry.inclusion', 'regulator.access']));
  });

  it('says a session expired once its hour is over, and ends a session at sign-out', async () => {
    const y = rc();
    expect((await y.signIn(passkey, { ttlSeconds: 60 })).status).toBe(201);
    skew += 2 * 3600_000;
    try {
      const res = await y.call('GET', '/session');
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'REGULATOR_SESSION_EXPIRED' });
      const z = rc();
      expect((await z.signIn(passkey)).status).toBe(201);
      const kept = z.cookie;
      expect((await z.call('DELETE', '/session')).status).toBe(204);
      expect(z.cookie).toBe('');
      z.cookie = kept; // the cookie replayed after sign-out
      expect(await (await z.call('GET', '/session')).json()).toMatchObject({ code: 'SESSION_REQUIRED' });
      expect((await entriesOf('regulator.session_ended')).at(-1)).toMatchObject({ by: 'rita' });
    } finally {
      skew = 0;
    }
  });

  it('refuses a session whose regulator lost the role since', async () => {
    const w = rc();
    expect((await w.signIn(passkey)).status).toBe(201);
    const p = (await h.gw.ctx.store.principals.get('rita'))!;
    await h.gw.ctx.store.tx(async (tx) => tx.principals.put({ ...p, roles: ['authorizer'] }));
    try {
      expect(await (await w.call('GET', '/session')).json()).toMatchObject({ code: 'AUTH_INVALID' });
      expect((await rc().signIn(passkey)).status).toBe(401);
    } finally {
      await h.gw.ctx.store.tx(async (tx) => tx.principals.put(p));
    }
  });
});
