import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWithSession } from '../../clients/agent/session-signature.ts';
import { AgentClient } from '../../clients/agent/agent-client.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

// The gateway's clock runs `offset` ms ahead of the real one, so a test can let sessions expire.
let offset = 0;
const clock = { now: () => Date.now() + offset };
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock, env: { SESSION_MAX_PER_AGENT: '3', SESSION_TTL_SEC: '600', SIGNATURE_WINDOW_SEC: '30' } });
});
afterAll(async () => {
  await h.close();
});

interface Opened {
  sessionId: string;
  key: Buffer;
  expiresAt: number;
}

type Agent = { id: string; key: import('node:crypto').KeyObject };
let agents = 0;
/** Each test its own agent, so the per-agent session limit of one test does not reach another. */
const newAgent = (): Promise<Agent> => h.addAgent(`agent-s${++agents}`);

async function open(who: Agent): Promise<Opened> {
  const res = await h.as(who, 'POST', '/v1/sessions');
  expect(res.status).toBe(201);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const v = (await res.json()) as { sessionId: string; key: string; expiresAt: number; algorithm: string; components: string[] };
  expect(v.algorithm).toBe('hmac-sha256');
  expect(v.components).toEqual(['@method', '@target-uri', 'content-digest', 'idempotency-key']);
  return { sessionId: v.sessionId, key: Buffer.from(v.key, 'base64url'), expiresAt: v.expiresAt };
}

interface SendOptions {
  body?: string;
  idempotencyKey?: string;
  created?: number;
  nonce?: string;
  /** Change the headers after signing (tampering). */
  edit?: (headers: Record<string, string>) => void;
  signedBody?: string;
}

async function signed(s: Opened, method: string, path: string, o: SendOptions = {}): Promise<Response> {
  const url = `${h.url}${path}`;
  const idempotencyKey = o.idempotencyKey ?? `k-${Math.random()}`;
  const sig = signWithSession({
    method,
    url,
    body: o.signedBody ?? o.body,
    idempotencyKey,
    sessionId: s.sessionId,
    key: s.key,
    created: o.created ?? Math.floor(clock.now() / 1000),
    ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
  });
  const headers: Record<string, string> = { 'idempotency-key': idempotencyKey, ...sig.headers };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  o.edit?.(headers);
  return fetch(url, { method, headers, ...(o.body === undefined ? {} : { body: o.body }) });
}

async function expectRefused(res: Response, code: string): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(((await res.json()) as { code: string }).code).toBe(code);
}

const executions = () => h.payments.executions.length + h.infra.executions.length;
const lowRead = JSON.stringify({ actuator: 'infra', operation: 'read_status', target: 'cluster', reversibility: 'fully_reversible' });

describe('session credentials', () => {
  it('a session-signed LOW read is forwarded and answered like an assertion-signed one', async () => {
    const agent = await newAgent();
    const s = await open(agent);
    const before = executions();
    const res = await signed(s, 'GET', '/proxy/payments/balances/acc-1');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ account: 'acc-1' });
    expect(executions()).toBe(before + 1);
    const viaActions = await signed(s, 'POST', '/v1/actions', { body: lowRead });
    expect(viaActions.status).toBe(201);
    expect(executions()).toBe(before + 2);
    const id = viaActions.headers.get('analog-firewall-action')!;
    const read = await signed(s, 'GET', `/v1/actions/${id}`);
    expect(read.status).toBe(200);
  });

  it('each malformed, stale, replayed or tampered signature is a 401 with its own code, and nothing is forwarded', async () => {
    const agent = await newAgent();
    const s = await open(agent);
    const before = executions();
    const path = '/proxy/payments/balances/acc-1';
    await expectRefused(
      await signed(s, 'GET', path, { edit: (hd) => (hd['signature-input'] = hd['signature-input']!.replace('"idempotency-key"', '"content-type"')) }),
      'SIGNATURE_COMPONENTS_INVALID',
    );
    await expectRefused(await signed(s, 'GET', path, { edit: (hd) => (hd['signature-input'] = hd['signature-input']!.replace(' "idempotency-key"', '')) }), 'SIGNATURE_COMPONENTS_INVALID');
    await expectRefused(await signed(s, 'GET', path, { created: Math.floor(clock.now() / 1000) - 120 }), 'SIGNATURE_STALE');
    await expectRefused(await signed(s, 'GET', path, { created: Math.floor(clock.now() / 1000) + 120 }), 'SIGNATURE_STALE');
    await expectRefused(await signed(s, 'GET', path, { edit: (hd) => (hd['signature-input'] = hd['signature-input']!.replace(/;nonce="[^"]*"/, '')) }), 'SIGNATURE_INPUT_INVALID');
    await expectRefused(await signed(s, 'GET', path, { edit: (hd) => (hd['signature-input'] = hd['signature-input']!.replace('hmac-sha256', 'ed25519')) }), 'SIGNATURE_INPUT_INVALID');
    await expectRefused(await signed(s, 'GET', path, { edit: (hd) => (hd['idempotency-key'] = 'swapped') }), 'SIGNATURE_INVALID');
    await expectRefused(await signed(s, 'GET', '/proxy/payments/balances/acc-1', { edit: (hd) => (hd['signature-input'] = hd['signature-input']!.replace(/keyid="[^"]*"/, 'keyid="ses_unknownunknownunknown"')) }), 'SESSION_UNKNOWN');
    // A replay of a request that was accepted: same nonce.
    const nonce = 'fixed-nonce-0123456789';
    expect((await signed(s, 'GET', path, { nonce, idempotencyKey: 'replayed' })).status).toBe(200);
    await expectRefused(await signed(s, 'GET', path, { nonce, idempotencyKey: 'replayed' }), 'SIGNATURE_NONCE_REUSED');
    expect(executions()).toBe(before + 1);
  });

  it('a body that does not match its Content-Digest is refused before anything is accepted', async () => {
    const agent = await newAgent();
    const s = await open(agent);
    const before = executions();
    const tampered = JSON.stringify({ actuator: 'infra', operation: 'read_status', target: 'other', reversibility: 'fully_reversible' });
    await expectRefused(await signed(s, 'POST', '/v1/actions', { body: tampered, signedBody: lowRead }), 'CONTENT_DIGEST_MISMATCH');
    const transfer = JSON.stringify({ payee: 'DE89370400440532013000', amount: 250, currency: 'EUR' });
    const res = await signed(s, 'POST', '/proxy/payments/transfers', { body: transfer.replace('250', '900'), signedBody: transfer });
    await expectRefused(res, 'CONTENT_DIGEST_MISMATCH');
    // A Content-Digest edited to match the new body breaks the signature instead.
    const edited = await signed(s, 'POST', '/v1/actions', {
      body: tampered,
      signedBody: lowRead,
      edit: (hd) => (hd['content-digest'] = `sha-256=:${createHash('sha256').update(tampered).digest('base64')}:`),
    });
    await expectRefused(edited, 'SIGNATURE_INVALID');
    await expectRefused(await signed(s, 'POST', '/v1/actions', { body: lowRead, edit: (hd) => (hd['content-digest'] = 'md5=:AAAA:') }), 'CONTENT_DIGEST_INVALID');
    expect(executions()).toBe(before);
    expect((await h.gw.ctx.store.countByStatus())['cooling'] ?? 0).toBe(0);
  });

  it('a body is taken on a session signature only where it is checked against Content-Digest', async () => {
    const agent = await newAgent();
    const s = await open(agent);
    const body = JSON.stringify({ credential: {} });
    // Passes the actions router (which binds bodies) on its way to the comparator's route (which does not).
    await expectRefused(await signed(s, 'POST', '/v1/actions/act_x/comparator', { body }), 'SIGNATURE_BODY_UNSUPPORTED');
    await expectRefused(await signed(s, 'POST', '/v1/people/someone/challenges', { body }), 'SIGNATURE_BODY_UNSUPPORTED');
  });

  it('a revoked session is refused; only its own agent may revoke it', async () => {
    const agent = await newAgent();
    const s = await open(agent);
    const other = await h.addAgent('agent-sessions-other');
    const stolen = await h.as(other, 'DELETE', `/v1/sessions/${s.sessionId}`);
    await expectRefused(stolen, 'SESSION_AGENT_MISMATCH');
    expect((await signed(s, 'GET', '/proxy/payments/balances/acc-2')).status).toBe(200);
    const del = await h.as(agent, 'DELETE', `/v1/sessions/${s.sessionId}`);
    expect(del.status).toBe(200);
    const before = executions();
    await expectRefused(await signed(s, 'GET', '/proxy/payments/balances/acc-2'), 'SESSION_REVOKED');
    expect(executions()).toBe(before);
  });

  it('a session cannot open another; an agent holds at most the configured number of live sessions', async () => {
    const a = await h.addAgent('agent-sessions-limit');
    const first = await open(a);
    await expectRefused(await signed(first, 'POST', '/v1/sessions'), 'SESSION_NEEDS_ASSERTION');
    await open(a);
    await open(a);
    const fourth = await h.as(a, 'POST', '/v1/sessions');
    expect(fourth.status).toBe(429);
    expect(((await fourth.json()) as { code: string }).code).toBe('SESSION_LIMIT_REACHED');
    // Revoking one frees its place.
    expect((await h.as(a, 'DELETE', `/v1/sessions/${first.sessionId}`)).status).toBe(200);
    await open(a);
  });

  it('the SDK signs with a session by default, and opens a new one when the gateway no longer knows it', async () => {
    const keyids: string[] = [];
    const spy: typeof fetch = (input, init) => {
      const si = new Headers(init?.headers).get('signature-input');
      if (si !== null) keyids.push(/keyid="([^"]+)"/.exec(si)![1]!);
      return fetch(input, init);
    };
    const agent = await newAgent();
    const client = new AgentClient({ baseUrl: h.url, agentId: agent.id, privateKey: agent.key, now: clock.now, fetch: spy });
    const r1 = await client.proxy('payments', 'GET', '/balances/acc-1', undefined, { idempotencyKey: 'sdk-1' });
    expect(r1.kind).toBe('response');
    const sub = await client.submit(JSON.parse(lowRead), { idempotencyKey: 'sdk-2' });
    expect(sub.httpStatus).toBe(201);
    expect((await client.get(sub.action.id)).status).toBe('executed');
    expect(new Set(keyids).size).toBe(1);
    // Revoked behind the SDK's back: SESSION_REVOKED, a new session, the same request once more.
    expect((await h.as(agent, 'DELETE', `/v1/sessions/${keyids[0]}`)).status).toBe(200);
    const r3 = await client.proxy('payments', 'GET', '/balances/acc-1', undefined, { idempotencyKey: 'sdk-4' });
    expect(r3.kind === 'response' && r3.response.status).toBe(200);
    expect(new Set(keyids).size).toBe(2);
    // Past the session's lifetime (a read: the example actuator checks receipts against the real clock): the SDK renews before sending.
    offset += 11 * 60_000;
    try {
      expect((await client.get(sub.action.id)).status).toBe('executed');
      expect(new Set(keyids).size).toBe(3);
      await client.endSession();
    } finally {
      offset = 0;
    }
  });

  it("disabling the agent stops its sessions within a second", async () => {
    const agent = await newAgent();
    const s = await open(agent);
    expect((await signed(s, 'GET', '/proxy/payments/balances/acc-1')).status).toBe(200);
    const rec = (await h.gw.ctx.store.principals.get(agent.id))!;
    await h.gw.ctx.store.tx(async (tx) => tx.principals.put({ ...rec, disabled: true }));
    offset += 1001; // past the once-a-second re-read of the agent's record
    try {
      const before = executions();
      await expectRefused(await signed(s, 'GET', '/proxy/payments/balances/acc-1'), 'SESSION_PRINCIPAL_DISABLED');
      expect(executions()).toBe(before);
    } finally {
      offset = 0;
    }
  });

  it('an expired session is refused with SESSION_EXPIRED', async () => {
    const agent = await newAgent();
    const s = await open(agent);
    offset += 11 * 60_000;
    try {
      await expectRefused(await signed(s, 'GET', '/proxy/payments/balances/acc-1'), 'SESSION_EXPIRED');
    } finally {
      offset = 0;
    }
  });
});
