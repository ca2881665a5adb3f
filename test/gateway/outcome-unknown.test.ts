import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../../clients/agent/index.ts';
import { runCli } from '../helpers/gateway-process.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';

/**
 * A real actuator on loopback that carries an action out once per Idempotency-Key (a resend gets
 * the first answer back) and counts every delivery, but can be told to answer slower than the
 * gateway waits, to answer with a chosen status, or to be down altogether.
 */
let answerAfterMs = 0;
let answerStatus = 200;
/** How many deliveries are answered late (then on time): Infinity = always late. */
let lateDeliveries = 0;
const deliveries: { key: string; jti: string }[] = [];
const executions = new Map<string, number>();
let upstream: Server;
let upstreamUrl: string;
let hookUrl: string;
const hooks: { type: string; id: string; data: { id: string } }[] = [];
let hookServer: Server;
let h: Harness;
let admin: { id: string; key: KeyObject };
let adminKeyFile: string;

function actuator(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => {
    const key = String(req.headers['idempotency-key']);
    const receipt = String(req.headers['analog-firewall-receipt']);
    const jti = (JSON.parse(Buffer.from(receipt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti: string }).jti;
    deliveries.push({ key, jti });
    if (answerStatus >= 200 && answerStatus < 300) executions.set(key, (executions.get(key) ?? 0) + (executions.has(key) ? 0 : 1));
    const late = deliveries.filter((d) => d.key === key).length <= lateDeliveries;
    const answer = () => {
      if (!res.destroyed) res.writeHead(answerStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ key, status: answerStatus }));
    };
    if (late) setTimeout(answer, answerAfterMs);
    else answer();
  });
}

beforeAll(async () => {
  upstream = createServer(actuator);
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  hookServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      hooks.push({ ...(JSON.parse(body) as Omit<(typeof hooks)[number], 'id'>), id: String(req.headers['webhook-id']) });
      res.writeHead(204).end();
    });
  });
  hookServer.listen(0, '127.0.0.1');
  await once(hookServer, 'listening');
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
  h = await startHarness({
    env: { UPSTREAM_TIMEOUT_MS: '300', MAX_DISPATCH_ATTEMPTS: '3' },
    editPolicy: (y) => y.replace(/(infra:\n\s+upstream: )\S+/, `$1${upstreamUrl}`).replace('http://127.0.0.1:9999/hook', hookUrl),
  });
  admin = await h.addPrincipal('root-admin', ['admin']);
  adminKeyFile = join(h.dir, 'root-admin.jwk');
  writeFileSync(adminKeyFile, JSON.stringify({ ...admin.key.export({ format: 'jwk' }), kid: admin.id }));
});
afterAll(async () => {
  await h.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
  hookServer.close();
});
beforeEach(() => {
  answerAfterMs = 0;
  answerStatus = 200;
  lateDeliveries = 0;
  deliveries.length = 0;
});

let n = 0;
async function readStatus(): Promise<{ res: Response; id: string }> {
  const res = await h.as('agent', 'GET', '/proxy/infra/status', { headers: { 'idempotency-key': `outcome-${++n}` } });
  return { res, id: res.headers.get('analog-firewall-action') ?? '' };
}

type View = { status: string; error?: string; resendAt?: string; attempts?: number; result?: { status: number }; reconciliation?: { outcome: string; by: string; reason: string; logIndex: number } };
async function view(id: string): Promise<View> {
  return (await (await h.as('agent', 'GET', `/v1/actions/${id}`)).json()) as View;
}
async function settled(id: string): Promise<View> {
  return waitFor(async () => {
    const v = await view(id);
    return v.status === 'executed' || v.status === 'failed' || (v.status === 'outcome_unknown' && v.resendAt === undefined) ? v : undefined;
  }, 20_000);
}
async function typesOf(id: string): Promise<string[]> {
  return (await h.log.entriesByActionId(id)).map((e) => (e.entry as { type: string }).type);
}

describe('unknown outcomes are not failures', () => {
  it('an actuator that executes but answers late: outcome_unknown, resent under the same key with fresh receipts, then the late answer executes it', async () => {
    answerAfterMs = 700;
    lateDeliveries = 1;
    const { res, id } = await readStatus();
    expect(res.status).toBe(202);
    expect(((await res.json()) as View).status).toBe('outcome_unknown');
    const v = await settled(id);
    expect(v.status).toBe('executed');
    expect(v.result?.status).toBe(200);
    // Carried out once, delivered twice under the action's own key, each time with its own receipt.
    expect(executions.get(id)).toBe(1);
    expect(deliveries.map((d) => d.key)).toEqual([id, id]);
    expect(new Set(deliveries.map((d) => d.jti)).size).toBe(2);
    // A LOW action's received, classified, authorised and dispatched entries are one action.passed (issue 17).
    expect((await typesOf(id)).slice(-3)).toEqual(['action.passed', 'action.outcome_unknown', 'action.executed']);
    const unknown = (await h.log.entriesByActionId(id)).map((e) => e.entry as { type: string; code?: string }).find((e) => e.type === 'action.outcome_unknown');
    expect(unknown?.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('an actuator that always answers too late: the action stays outcome_unknown (never failed), people are told, an admin reconciles it', async () => {
    answerAfterMs = 700;
    lateDeliveries = Infinity;
    const { id } = await readStatus();
    const v = await settled(id);
    expect(v).toMatchObject({ status: 'outcome_unknown', error: 'UPSTREAM_TIMEOUT', attempts: 3 });
    expect(v.resendAt).toBeUndefined();
    expect(executions.get(id)).toBe(1);
    expect(deliveries.filter((d) => d.key === id)).toHaveLength(3);
    expect(await typesOf(id)).toEqual(expect.arrayContaining(['action.outcome_unknown', 'action.resend_failed', 'action.unresolved']));
    expect(await typesOf(id)).not.toContain('action.failed');
    // Humans hear of it even for a LOW action.
    const hook = await waitFor(() => hooks.find((x) => x.type === 'action.outcome_unresolved' && x.data.id === id));
    expect(hook.id).toBe(`msg_${id}_outcome_unresolved`);

    // The agent SDK reports it as its own settled state, not as a failure.
    const client = new AgentClient({ baseUrl: h.url, agentId: 'agent-1', privateKey: h.agentKey.export({ format: 'jwk' }) });
    const outcome = await client.waitForOutcome(id, { timeoutMs: 5000 });
    expect(outcome.status).toBe('outcome_unknown');
    expect(outcome.resendAt).toBeUndefined();
    expect(outcome.attempts).toBe(3);
    const overSse = await client.waitForOutcome(id, { timeoutMs: 5000, mode: 'sse' });
    expect(overSse.status).toBe('outcome_unknown');

    // Reconciliation: admins only, a reason, and it is logged.
    const asAgent = await h.as('agent', 'POST', `/v1/actions/${id}/reconcile`, { body: { outcome: 'executed', reason: 'x' } });
    expect(asAgent.status).toBe(403);
    const noReason = await h.as(admin, 'POST', `/v1/actions/${id}/reconcile`, { body: { outcome: 'executed', reason: ' ' } });
    expect(noReason.status).toBe(400);
    expect(((await noReason.json()) as { code: string }).code).toBe('RECONCILE_INVALID');
    const badOutcome = await h.as(admin, 'POST', `/v1/actions/${id}/reconcile`, { body: { outcome: 'maybe', reason: 'checked' } });
    expect(badOutcome.status).toBe(400);

    const cli = await runCli(
      ['action', 'reconcile', id, '--outcome', 'executed', '--reason', 'actuator ledger shows the status read', '--key', adminKeyFile, '--gateway', h.url],
      {},
    );
    expect(cli.code, cli.out).toBe(0);
    expect(cli.out).toContain(`action ${id} reconciled: executed`);
    const done = await view(id);
    expect(done.status).toBe('executed');
    expect(done.reconciliation).toMatchObject({ outcome: 'executed', by: 'root-admin', reason: 'actuator ledger shows the status read' });
    const last = (await h.log.entriesByActionId(id)).at(-1)!;
    expect(last.entry).toMatchObject({ type: 'action.executed', event: 'reconcile', by: 'root-admin', reason: 'actuator ledger shows the status read' });
    expect(last.index).toBe(done.reconciliation!.logIndex);
    expect(typeof (last.entry as { receipt?: unknown }).receipt).toBe('string');

    // Once settled it cannot be reconciled again.
    const again = await h.as(admin, 'POST', `/v1/actions/${id}/reconcile`, { body: { outcome: 'failed', reason: 'second thoughts' } });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('ACTION_NOT_RECONCILABLE');
  });

  it('a reconciliation while a resend is still scheduled is refused', async () => {
    answerAfterMs = 700;
    lateDeliveries = Infinity;
    // No scheduler: the resend stays due, so the actuator could still answer.
    h.gw.ctx.scheduler.stop();
    try {
      const { res, id } = await readStatus();
      const first = (await res.json()) as View;
      expect(first.status).toBe('outcome_unknown');
      expect(first.resendAt).toBeDefined();
      const early = await h.as(admin, 'POST', `/v1/actions/${id}/reconcile`, { body: { outcome: 'failed', reason: 'impatient' } });
      expect(early.status).toBe(409);
      expect(((await early.json()) as { code: string }).code).toBe('ACTION_RESEND_PENDING');
      expect((await view(id)).status).toBe('outcome_unknown');
      h.gw.ctx.scheduler.start();
      expect((await settled(id)).status).toBe('outcome_unknown');
    } finally {
      h.gw.ctx.scheduler.start();
    }
  });

  it('a definite refusal (422) is failed at once, with the answer recorded and relayed', async () => {
    answerStatus = 422;
    const { res, id } = await readStatus();
    expect(res.status).toBe(422);
    const v = await settled(id);
    expect(v).toMatchObject({ status: 'failed', error: 'UPSTREAM_REFUSED', result: { status: 422 } });
    expect(deliveries).toHaveLength(1);
  });

  it('a 500 answer is an unknown outcome, resent under the same key', async () => {
    answerStatus = 500;
    const { id } = await readStatus();
    const v = await settled(id);
    expect(v).toMatchObject({ status: 'outcome_unknown', error: 'UPSTREAM_ANSWER_INDEFINITE', result: { status: 500 } });
    expect(deliveries.filter((d) => d.key === id)).toHaveLength(3);
  });

  it('an actuator that cannot be reached at all: nothing was sent, so the action certainly failed', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const down = await startHarness({
      env: { UPSTREAM_TIMEOUT_MS: '300', MAX_DISPATCH_ATTEMPTS: '2' },
      editPolicy: (y) => y.replace(/(infra:\n\s+upstream: )\S+/, `$1http://127.0.0.1:${port}`),
    });
    try {
      const res = await down.as('agent', 'GET', '/proxy/infra/status', { headers: { 'idempotency-key': 'refused-1' } });
      const id = res.headers.get('analog-firewall-action') ?? '';
      const v = await waitFor(async () => {
        const a = (await (await down.as('agent', 'GET', `/v1/actions/${id}`)).json()) as View;
        return a.status === 'failed' || a.status === 'outcome_unknown' ? a : undefined;
      });
      expect(v).toMatchObject({ status: 'failed', error: 'UPSTREAM_UNREACHABLE' });
    } finally {
      await down.close();
    }
  });
});
