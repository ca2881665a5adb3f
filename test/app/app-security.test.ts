import { createECDH, createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { createInvitation } from '../../src/gateway/approver/invitations.ts';
import { freePort } from '../helpers/free-port.ts';
import { ROOT, startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { startAppHarness, type AppHarness } from './app-harness.ts';

/** The app's locks without a browser: headers, cross-site and origin checks, invitations, sessions, Web Push. */
let h: AppHarness;
let appUrl: string;

/** A session for alice as the browser would hold it (enrolment itself is the browser test's). */
async function aliceSession(): Promise<string> {
  const r = await h.as('alice', 'PUT', '/v1/people/alice', { body: { modalities: ['motion'] } });
  expect(r.status).toBe(200);
  return h.approver.app!.sessions.create('alice', appUrl);
}

const app = (path: string, init: RequestInit & { cookie?: string; origin?: string; site?: string } = {}) => {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...((init.headers as Record<string, string>) ?? {}) };
  if (init.cookie !== undefined) headers['cookie'] = `af_session=${init.cookie}`;
  if (init.origin !== undefined) headers['origin'] = init.origin;
  if (init.site !== undefined) headers['sec-fetch-site'] = init.site;
  return fetch(`${appUrl}/app${path}`, { ...init, headers });
};

/** A push service stand-in on loopback over TLS (web-push speaks https only), its self-signed certificate trusted through APP_PUSH_CA_FILE. */
let receiver: Server;
let receiverUrl: string;
let certDir: string;
const got: { headers: IncomingMessage['headers']; bytes: number }[] = [];

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'af-push-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
  const port = await freePort();
  receiver = createServer({ key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) }, (req, res) => {
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => {
      got.push({ headers: req.headers, bytes: n });
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', () => r()));
  receiverUrl = `https://127.0.0.1:${port}`;
  h = await startAppHarness({ APP_PUSH_CA_FILE: join(certDir, 'cert.pem') });
  appUrl = h.appUrl;
});
afterAll(async () => {
  await h?.close();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  rmSync(certDir, { recursive: true, force: true });
});

describe('approver app: headers and the shell', () => {
  it('serves the shell with a CSP that allows nothing inline, no other origin and no framing, and SRI on its script and stylesheet', async () => {
    const r = await fetch(`${appUrl}/app/`);
    expect(r.status).toBe(200);
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await r.text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/<style|style=/);
    const refs = [...html.matchAll(/(?:src|href)="\/app\/(assets\/[^"]+)" integrity="(sha384-[^"]+)"/g)];
    expect(refs.length).toBeGreaterThanOrEqual(2);
    for (const [, file, integrity] of refs) {
      const bytes = readFileSync(join(ROOT, 'web/app/dist', file!));
      expect(integrity).toBe(`sha384-${createHash('sha384').update(bytes).digest('base64')}`);
    }
  });

  it('serves the manifest and the service worker (installable), and client routes as the shell', async () => {
    const m = (await (await fetch(`${appUrl}/app/manifest.webmanifest`)).json()) as { start_url: string; scope: string; display: string; icons: { sizes: string }[] };
    expect(m).toMatchObject({ start_url: '/app/', scope: '/app/', display: 'standalone' });
    expect(m.icons.some((i) => i.sizes === '512x512')).toBe(true);
    for (const icon of ['icon-192.png', 'icon-512.png']) expect((await fetch(`${appUrl}/app/${icon}`)).headers.get('content-type')).toBe('image/png');
    const sw = await fetch(`${appUrl}/app/sw.js`);
    expect(sw.headers.get('content-type')).toMatch(/javascript/);
    expect(await sw.text()).toContain('showNotification');
    for (const page of ['inbox', 'enrol', 'actions/act_x']) expect((await fetch(`${appUrl}/app/${page}`)).headers.get('content-type')).toMatch(/text\/html/);
    expect((await fetch(`${appUrl}/app/nope/../../etc/passwd`)).status).toBe(404);
  });
});

describe('approver app: sessions and cross-site requests', () => {
  it('answers 401 without a session, and to a cookie the server does not know', async () => {
    expect((await app('/api/inbox')).status).toBe(401);
    const r = await app('/api/inbox', { cookie: 'A'.repeat(43) });
    expect(r.status).toBe(401);
    expect(((await r.json()) as { code: string }).code).toBe('SESSION_REQUIRED');
  });

  it('refuses a state-changing request without the app Origin, or marked cross-site, even with a valid session', async () => {
    const token = await aliceSession();
    const id = ((await (await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE1', amount: 200, currency: 'EUR' }, headers: { 'idempotency-key': 'sec-1' } })).json()) as { id: string }).id;
    const post = (o: { origin?: string; site?: string }) => app(`/api/actions/${id}/veto`, { method: 'POST', body: '{}', cookie: token, ...o });
    const none = await post({});
    expect([none.status, ((await none.json()) as { code: string }).code]).toEqual([403, 'ORIGIN_REFUSED']);
    const evil = await post({ origin: 'https://evil.example' });
    expect([evil.status, ((await evil.json()) as { code: string }).code]).toEqual([403, 'ORIGIN_REFUSED']);
    const cross = await post({ origin: appUrl, site: 'cross-site' });
    expect([cross.status, ((await cross.json()) as { code: string }).code]).toEqual([403, 'CROSS_SITE_REFUSED']);
    // Also a cross-site GET (Fetch Metadata): nothing of the person's is read for another site.
    expect((await app('/api/inbox', { cookie: token, site: 'cross-site' })).status).toBe(403);
    expect(((await (await h.as('alice', 'GET', `/v1/actions/${id}`)).json()) as { status: string }).status).toBe('cooling');
    // The same request from the app's own origin goes through: the refusals above were the checks.
    const ok = await post({ origin: appUrl, site: 'same-origin' });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { status: string }).status).toBe('vetoed');
  });

  it('does not honour a session on another origin than the one it was made on', async () => {
    const token = await aliceSession();
    expect((await app('/api/me', { cookie: token })).status).toBe(200);
    // 127.0.0.1 is an origin of this gateway too (PUBLIC_URL), but not the session's.
    const r = await fetch(`${h.url}/app/api/me`, { headers: { cookie: `af_session=${token}` } });
    expect(r.status).toBe(401);
  });

  it('refuses the admin API to anyone but an administrator, and checks its body', async () => {
    expect((await h.as('alice', 'POST', '/v1/invitations', { body: { person: 'zed' } })).status).toBe(403);
    expect((await h.as(h.admin, 'POST', '/v1/invitations', { body: { person: 'zed', ttlSeconds: 5 } })).status).toBe(400);
    expect((await h.as(h.admin, 'POST', '/v1/invitations', { body: { person: 'zed', roles: ['admin'] } })).status).toBe(400);
    const ok = await h.as(h.admin, 'POST', '/v1/invitations', { body: { person: 'zed', roles: ['comparator'] } });
    expect(ok.status).toBe(201);
    expect((await ok.json()) as object).toMatchObject({ person: 'zed', roles: ['comparator'] });
  });
});

describe('approver app: invitations', () => {
  it('refuses an expired invitation and an unknown one, each with its own code', async () => {
    const past = { now: () => Date.now() - 3600_000 };
    const inv = await createInvitation({ store: h.gw.ctx.store, clock: past, random: async (n) => new Uint8Array(randomBytes(n)), appOrigin: appUrl }, { person: 'yan', by: 'test', ttlMs: 60_000 });
    const token = inv.url.split('#')[1]!;
    for (const path of ['/api/invitation', '/api/enrol/options']) {
      const r = await app(path, { method: 'POST', origin: appUrl, body: JSON.stringify({ token }) });
      expect([r.status, ((await r.json()) as { code: string }).code]).toEqual([410, 'INVITATION_EXPIRED']);
    }
    const unknown = await app('/api/invitation', { method: 'POST', origin: appUrl, body: JSON.stringify({ token: 'B'.repeat(43) }) });
    expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([404, 'INVITATION_UNKNOWN']);
    // Only the token's hash is stored.
    const row = (h.gw.ctx.store as unknown as { db: { prepare(s: string): { all(): Record<string, unknown>[] } } }).db.prepare('SELECT * FROM app_invitations').all();
    expect(JSON.stringify(row)).not.toContain(token);
  });
});

describe('approver app: Web Push', () => {
  it('pushes an encrypted, VAPID-signed message to a vetoer when an action starts cooling; the private key never leaves its 0600 file', async () => {
    const token = await aliceSession();
    const cfg = (await (await app('/api/config')).json()) as Record<string, unknown>;
    const vapid = JSON.parse(readFileSync(join(h.dir, 'vapid.json'), 'utf8')) as { publicKey: string; privateKey: string };
    expect(cfg['vapidPublicKey']).toBe(vapid.publicKey);
    expect(JSON.stringify(cfg)).not.toContain(vapid.privateKey);
    expect(statSync(join(h.dir, 'vapid.json')).mode & 0o777).toBe(0o600);
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const endpoint = `${receiverUrl}/push/alice-phone`;
    const body = { endpoint, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } };
    const bad = await app('/api/push/subscriptions', { method: 'POST', origin: appUrl, cookie: token, body: JSON.stringify({ ...body, endpoint: 'https://10.0.0.5/push' }) });
    expect(bad.status).toBe(400);
    expect((await app('/api/push/subscriptions', { method: 'POST', origin: appUrl, cookie: token, body: JSON.stringify(body) })).status).toBe(201);
    await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE2', amount: 100, currency: 'EUR' }, headers: { 'idempotency-key': 'push-1' } });
    const push = await waitFor(() => got[0]);
    expect(push.headers['content-encoding']).toBe('aes128gcm');
    expect(push.headers['authorization']).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${vapid.publicKey}$`));
    expect(push.bytes).toBeGreaterThan(0);
    expect(got).toHaveLength(1);

    // Erased: the next notification that would have reached alice deletes her subscription instead.
    expect((await h.as(h.admin, 'DELETE', '/v1/people/alice')).status).toBe(200);
    await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE3', amount: 90, currency: 'EUR' }, headers: { 'idempotency-key': 'push-2' } });
    await waitFor(async () => ((await h.approver.app!.store.pushOf('alice')).length === 0 ? true : undefined));
    expect(got).toHaveLength(1);
  });
});

describe('approver app: idle sessions end', () => {
  let m: Harness;
  it('ends a session after the idle timeout', async () => {
    const clock = new ManualClock(Date.now());
    m = await startHarness({ clock, env: { APP_SESSION_IDLE_SEC: '120' } });
    try {
      const url = `http://localhost:${new URL(m.url).port}`;
      await m.as('alice', 'PUT', '/v1/people/alice', { body: { modalities: ['motion'] } });
      const token = await m.approver.app!.sessions.create('alice', url);
      const me = () => fetch(`${url}/app/api/me`, { headers: { cookie: `af_session=${token}` } });
      expect((await me()).status).toBe(200);
      clock.advance(60_000);
      expect((await me()).status).toBe(200); // a request within the timeout keeps it alive…
      clock.advance(100_000);
      expect((await me()).status).toBe(200);
      clock.advance(121_000);
      expect((await me()).status).toBe(401); // …and 2 min of silence ends it
    } finally {
      await m.close();
    }
  });
});
