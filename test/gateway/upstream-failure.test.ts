import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';

/**
 * An actuator that misbehaves on demand: the dispatcher must retry, then give up, without ever
 * executing an action twice under different keys, following a redirect, or keeping an unbounded answer.
 */
type Mode = 'hang' | 'reset-then-ok' | 'redirect' | 'huge';
let mode: Mode = 'hang';
const seen: { path: string; key: string | undefined; receipt: boolean }[] = [];
let upstream: Server;
let h: Harness;

function misbehave(req: IncomingMessage, res: ServerResponse): void {
  seen.push({ path: req.url ?? '', key: req.headers['idempotency-key'] as string | undefined, receipt: typeof req.headers['analog-firewall-receipt'] === 'string' });
  if (mode === 'hang') return; // never answers
  if (mode === 'reset-then-ok') {
    if (seen.filter((s) => s.path === req.url).length === 1) {
      // Headers and half a body, then the connection dies.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    return;
  }
  if (mode === 'redirect') {
    if (req.url === '/elsewhere') {
      res.writeHead(200).end('followed');
      return;
    }
    res.writeHead(302, { location: '/elsewhere' }).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  res.end(Buffer.alloc(1024 * 1024 + 4096, 0x61));
}

beforeAll(async () => {
  upstream = createServer(misbehave);
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  h = await startHarness({
    env: { UPSTREAM_TIMEOUT_MS: '300', MAX_DISPATCH_ATTEMPTS: '2' },
    editPolicy: (y) => y.replace(/(infra:\n\s+upstream: )\S+/, `$1${url}`),
  });
});
afterAll(async () => {
  await h.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

async function readStatus(): Promise<{ res: Response; id: string }> {
  // Redirects reach the test as they reach the agent: the gateway's answer, not a followed one.
  const res = await h.as('agent', 'GET', '/proxy/infra/status', { headers: { 'idempotency-key': `status-${mode}-${seen.length}` }, redirect: 'manual' });
  const id = res.headers.get('analog-firewall-action') ?? ((await res.clone().json()) as { id?: string; detail?: { actionId?: string } }).id;
  return { res, id: id ?? '' };
}

async function finalState(id: string): Promise<{ status: string; error?: string; resendAt?: string; result?: { status: number; headers: Record<string, string>; body: string } }> {
  return waitFor(async () => {
    const j = (await (await h.as('agent', 'GET', `/v1/actions/${id}`)).json()) as { status: string; resendAt?: string };
    return j.status === 'executed' || j.status === 'failed' || (j.status === 'outcome_unknown' && j.resendAt === undefined) ? j : undefined;
  }, 15_000);
}

describe('upstream failures', () => {
  it('an actuator that never answers times out, is resent under the same key, then stays outcome_unknown (it may have run)', async () => {
    mode = 'hang';
    seen.length = 0;
    const { res, id } = await readStatus();
    // The first attempt timed out; the agent is told the action is accepted and still in progress.
    expect(res.status).toBe(202);
    expect(id).toMatch(/^act_/);
    const a = await finalState(id);
    expect(a).toMatchObject({ status: 'outcome_unknown', error: 'UPSTREAM_TIMEOUT' });
    expect(seen).toHaveLength(2);
    expect(seen.every((s) => s.key === id && s.receipt)).toBe(true);
  });

  it('a connection dropped mid-answer is an unknown outcome; the resend under the same key executes it once', async () => {
    mode = 'reset-then-ok';
    seen.length = 0;
    const { res, id } = await readStatus();
    expect(res.status).toBe(202);
    const a = await finalState(id);
    expect(a.status).toBe('executed');
    expect(a.result?.status).toBe(200);
    expect(seen.map((s) => s.key)).toEqual([id, id]);
    const entries = (await h.log.entriesByActionId(id)).map((e) => e.entry as { type: string; code?: string });
    expect(entries.filter((e) => e.type === 'action.outcome_unknown').map((e) => e.code)).toEqual(['UPSTREAM_CONNECTION_LOST']);
    expect(entries.filter((e) => e.type === 'action.executed')).toHaveLength(1);
  });

  it('a redirect is recorded as the answer, never followed', async () => {
    mode = 'redirect';
    seen.length = 0;
    const { res } = await readStatus();
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/elsewhere');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.map((s) => s.path)).toEqual(['/status']);
  });

  it('an oversized answer is kept only up to the limit', async () => {
    mode = 'huge';
    seen.length = 0;
    const { id } = await readStatus();
    const a = await finalState(id);
    expect(a.status).toBe('executed');
    expect(Buffer.from(a.result!.body, 'base64').length).toBe(1024 * 1024);
  });
});
