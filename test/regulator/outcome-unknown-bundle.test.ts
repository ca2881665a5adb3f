import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import { verifyBundle, type VerificationReport } from '../../clients/regulator/verify-bundle.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { createTestPki, type TestPki } from '../log/helpers/pki.ts';
import { AttestedSigner } from './helpers/attested-signer.ts';
import { editEntry, errorsOf, indexOf, removeEntry } from './helpers/bundle-edit.ts';
import { addPrincipal, exportWith, issueToken, type Principal } from './helpers/regulator.ts';

/**
 * The offline verifier on a real run with unknown outcomes: an action resolved by its resend, one
 * reconciled to failed and one to executed by an admin. The honest bundle passes; a gateway that
 * calls an unknown outcome `failed` on its own, or reconciles without a reason or before giving
 * up, is named.
 */
let pki: TestPki;
let h: Harness;
let honest: ExportBundle;
let lateDeliveries = 0;
const seen = new Map<string, number>();
let upstream: Server;
const ids: Record<'resolved' | 'failed' | 'executed', string> = { resolved: '', failed: '', executed: '' };

function slow(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  const key = String(req.headers['idempotency-key']);
  const n = (seen.get(key) ?? 0) + 1;
  seen.set(key, n);
  const answer = () => !res.destroyed && res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  if (n <= lateDeliveries) setTimeout(answer, 700);
  else answer();
}

async function submit(key: string): Promise<string> {
  const res = await h.as('agent', 'GET', '/proxy/infra/status', { headers: { 'idempotency-key': key } });
  return res.headers.get('analog-firewall-action') ?? '';
}

async function settle(id: string): Promise<{ status: string; resendAt?: string }> {
  return waitFor(async () => {
    const v = (await (await h.as('agent', 'GET', `/v1/actions/${id}`)).json()) as { status: string; resendAt?: string };
    return v.status === 'executed' || (v.status === 'outcome_unknown' && v.resendAt === undefined) ? v : undefined;
  }, 20_000);
}

beforeAll(async () => {
  pki = createTestPki();
  upstream = createServer(slow);
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  h = await startHarness({
    signer: new AttestedSigner(pki),
    env: { UPSTREAM_TIMEOUT_MS: '300', MAX_DISPATCH_ATTEMPTS: '2' },
    editPolicy: (y) => y.replace(/(infra:\n\s+upstream: )\S+/, `$1${url}`),
  });
  const admin: Principal = await addPrincipal(h, 'ada', ['admin']);
  const rita = await addPrincipal(h, 'rita', ['regulator']);

  lateDeliveries = 1;
  ids.resolved = await submit('u-resolved');
  expect((await settle(ids.resolved)).status).toBe('executed');
  lateDeliveries = Infinity;
  ids.failed = await submit('u-failed');
  ids.executed = await submit('u-executed');
  for (const id of [ids.failed, ids.executed]) expect((await settle(id)).status).toBe('outcome_unknown');
  for (const [id, outcome] of [[ids.failed, 'failed'], [ids.executed, 'executed']] as const) {
    const res = await h.as({ id: admin.id, key: admin.key }, 'POST', `/v1/actions/${id}/reconcile`, { body: { outcome, reason: `checked the actuator's ledger: ${outcome}` } });
    expect(res.status).toBe(200);
  }
  const token = (await issueToken(h, rita, { scopes: ['log:read', 'log:export'] })).access_token;
  honest = await exportWith(h, token);
});
afterAll(async () => {
  await h.close();
  upstream.closeAllConnections();
  upstream.close();
  pki.dispose();
});

const verify = (b: unknown): Promise<VerificationReport> => verifyBundle(b, { rootPem: pki.rootPem });
const lifecycle = async (b: ExportBundle) => errorsOf(await verify(b), 'action.lifecycle');

describe('unknown outcomes in the offline verifier', () => {
  it('the honest bundle (resolved by a resend, reconciled failed, reconciled executed) passes every check', async () => {
    const types = (id: string) => honest.entries.map((e) => JSON.parse(e.entry) as { type: string; actionId?: string }).filter((e) => e.actionId === id).map((e) => e.type);
    expect(types(ids.resolved)).toEqual(expect.arrayContaining(['action.outcome_unknown', 'action.executed']));
    expect(types(ids.failed).slice(-3)).toEqual(['action.resend_failed', 'action.unresolved', 'action.failed']);
    expect(types(ids.executed).slice(-3)).toEqual(['action.resend_failed', 'action.unresolved', 'action.executed']);
    const r = await verify(honest);
    expect(r.findings).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('a gateway that marks an unknown outcome failed without a person is named', async () => {
    const at = indexOf(honest, 'action.failed', ids.failed);
    const b = editEntry(honest, at, (v) => {
      v['event'] = 'upstream_failed';
      delete v['by'];
      delete v['reason'];
    });
    expect(await lifecycle(b)).toEqual([{ index: at, message: expect.stringMatching(/was unresolved; only an admin's reconciliation/) }]);
  });

  it('a failure straight after an unknown outcome (the unresolved entry rewritten) is named', async () => {
    const at = indexOf(honest, 'action.unresolved', ids.failed);
    const b = editEntry(honest, at, (v) => {
      v['type'] = 'action.failed';
      v['event'] = 'upstream_failed';
    });
    expect(await lifecycle(b)).toContainEqual({ index: at, message: expect.stringMatching(/action.failed\) may not follow status 'outcome_unknown'/) });
  });

  it('a reconciliation before the resends were given up (action.unresolved removed) is named', async () => {
    const unresolved = indexOf(honest, 'action.unresolved', ids.executed);
    const at = indexOf(honest, 'action.executed', ids.executed);
    expect(await lifecycle(removeEntry(honest, unresolved))).toEqual([{ index: at, message: expect.stringMatching(/a reconciliation of action .* in status 'outcome_unknown'/) }]);
  });

  it('a reconciliation without a reason is named', async () => {
    const at = indexOf(honest, 'action.executed', ids.executed);
    const b = editEntry(honest, at, (v) => {
      delete v['reason'];
    });
    expect(await lifecycle(b)).toEqual([{ index: at, message: expect.stringMatching(/names no admin \('by'\) or no 'reason'/) }]);
  });
});
