/**
 * A hostile-request loop against a gateway on loopback (issue 13 item 11): the shapes of the
 * outside testing's 10,500 requests, each with fresh per-request values, so that any per-key state
 * the gateway keeps (rate-limiter keys, the assertion-id cache, metric labels, auth-failure
 * counters, event-hub subscribers) sees a new key every time. Sources rotate over many loopback
 * addresses (127.0.0.0/8 is all loopback on Linux) to stand for many client IPs.
 *
 * Used by bench/hostile-heap.ts (the heap figure) and by test/gateway/hostile-memory.test.ts.
 */
import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { request } from 'node:http';
import { SignJWT, base64url } from 'jose';

export interface HostileTarget {
  url: string;
  /** A registered agent, for the shapes that need a valid signature (replays, bad bodies). */
  agent: { id: string; key: KeyObject };
  /** How many distinct loopback source addresses to rotate over. Default 250. */
  addresses?: number;
}

export interface HostileResult {
  sent: number;
  byStatus: Record<string, number>;
}

interface Shot {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

async function assertion(key: KeyObject, id: string, aud: string, method: string, path: string, jti = randomUUID()): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ htm: method, htu: aud + path })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(id)
    .setSubject(id)
    .setAudience(aud)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 120)
    .setJti(jti)
    .sign(key);
}

/** An unsigned-looking JWT naming a principal that does not exist: a new agent id every time. */
function strangerToken(): string {
  const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
  const id = `agent-${randomBytes(8).toString('hex')}`;
  return `${enc({ alg: 'EdDSA' })}.${enc({ iss: id, sub: id, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) })}.${base64url.encode(randomBytes(64))}`;
}

const KINDS = ['garbage-token', 'stranger', 'replay', 'bad-body', 'unknown-route', 'wrong-binding', 'sse-drop', 'log-probe', 'fresh-key'] as const;

async function shotFor(kind: (typeof KINDS)[number], t: HostileTarget, replayable: () => Promise<string>): Promise<Shot> {
  const key = randomUUID();
  switch (kind) {
    case 'garbage-token':
      return { method: 'GET', path: `/proxy/payments/balances/acc-${key}`, headers: { authorization: `Bearer ${randomBytes(40).toString('base64url')}`, 'idempotency-key': key } };
    case 'stranger':
      return { method: 'POST', path: '/proxy/payments/transfers', headers: { authorization: `Bearer ${strangerToken()}`, 'idempotency-key': key, 'content-type': 'application/json' }, body: '{"payee":"X","amount":1,"currency":"EUR"}' };
    case 'replay':
      return { method: 'GET', path: '/proxy/payments/balances/acc-1', headers: { authorization: `Bearer ${await replayable()}`, 'idempotency-key': key } };
    case 'bad-body': {
      const path = '/v1/actions';
      return { method: 'POST', path, headers: { authorization: `Bearer ${await assertion(t.agent.key, t.agent.id, t.url, 'POST', path)}`, 'idempotency-key': key, 'content-type': 'application/json' }, body: `{"actuator":"payments","operation":${randomUUID()}` };
    }
    case 'unknown-route':
      return { method: 'GET', path: `/no/such/${key}?q=${key}`, headers: { authorization: `Bearer ${randomBytes(16).toString('hex')}` } };
    case 'wrong-binding': {
      const token = await assertion(t.agent.key, t.agent.id, t.url, 'GET', `/proxy/payments/balances/${key}`);
      return { method: 'GET', path: '/proxy/payments/balances/acc-1', headers: { authorization: `Bearer ${token}`, 'idempotency-key': key } };
    }
    case 'sse-drop':
      return { method: 'GET', path: `/v1/actions/act_${key}/events`, headers: { authorization: `Bearer ${randomBytes(24).toString('base64url')}`, accept: 'text/event-stream' } };
    case 'fresh-key': {
      // Well-formed and authenticated, each with a new idempotency key and a new account: per-key state on the LOW path.
      const path = `/proxy/payments/balances/acc-${key}`;
      return { method: 'GET', path, headers: { authorization: `Bearer ${await assertion(t.agent.key, t.agent.id, t.url, 'GET', path)}`, 'idempotency-key': key } };
    }
    case 'log-probe':
      return { method: 'GET', path: `/log/v1/entries?from=${key}`, headers: { authorization: `Bearer ${randomBytes(24).toString('base64url')}` } };
  }
}

function send(url: URL, shot: Shot, localAddress: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: url.hostname, port: url.port, method: shot.method, path: shot.path, headers: { ...shot.headers, connection: 'close' }, localAddress, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.setTimeout(10_000, () => req.destroy());
    req.end(shot.body);
  });
}

/** Sends `count` hostile requests, `concurrency` at a time, and counts the answers by status. */
export async function hostileLoad(t: HostileTarget, count: number, concurrency = 16): Promise<HostileResult> {
  const url = new URL(t.url);
  const addresses = t.addresses ?? 250;
  let replay: string | undefined;
  // One assertion used once legitimately elsewhere, then replayed many times: a fresh one each 100.
  let replayUses = 0;
  const replayable = async () => {
    if (replay === undefined || replayUses++ % 100 === 0) replay = await assertion(t.agent.key, t.agent.id, t.url, 'GET', '/proxy/payments/balances/acc-1');
    return replay;
  };
  const byStatus: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const shot = await shotFor(KINDS[i % KINDS.length]!, t, replayable);
      const a = i % addresses;
      const status = await send(url, shot, `127.1.${Math.floor(a / 250)}.${1 + (a % 250)}`);
      byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sent: count, byStatus };
}
