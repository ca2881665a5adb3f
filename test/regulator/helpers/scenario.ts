import type { Harness } from '../../helpers/harness.ts';
import { waitFor } from '../../helpers/harness.ts';
import { authoriseWithApprovals, nowSec } from './approve.ts';

export interface ScenarioAction {
  id: string;
  digest: string;
}

export interface Scenario {
  low: ScenarioAction;
  medium: ScenarioAction;
  vetoed: ScenarioAction;
  high: ScenarioAction;
  expired: ScenarioAction;
  critical: ScenarioAction;
}

/** The receipt form of the example policy's delete-cluster quorum. */
export const DELETE_CLUSTER_QUORUM = { all_of: [{ group: 'platform', min: 2 }, { group: 'risk', min: 1 }], comparator: 'compliance' };

async function submit(h: Harness, method: string, path: string, key: string, body?: unknown): Promise<ScenarioAction & { status: number; state: string }> {
  const res = await h.as('agent', method, path, { ...(body === undefined ? {} : { body }), headers: { 'idempotency-key': key } });
  const id = res.headers.get('analog-firewall-action');
  if (id === null) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  const action = (await (await h.as('alice', 'GET', `/v1/actions/${id}`)).json()) as { id: string; digest: string; status: string };
  return { id: action.id, digest: action.digest, status: res.status, state: action.status };
}

async function statusOf(h: Harness, id: string): Promise<string> {
  return ((await (await h.as('alice', 'GET', `/v1/actions/${id}`)).json()) as { status: string }).status;
}

async function until(h: Harness, id: string, status: string): Promise<void> {
  await waitFor(async () => ((await statusOf(h, id)) === status ? true : undefined), 15_000);
}

/**
 * A real gateway run through every tier and outcome: LOW executed at once, MEDIUM executed after
 * cooling, MEDIUM vetoed, HIGH signed and executed, HIGH expired, CRITICAL with a full quorum.
 */
export async function runScenario(h: Harness): Promise<Scenario> {
  const low = await submit(h, 'GET', '/proxy/payments/balances/acc-1', 'reg-low');
  await until(h, low.id, 'executed');

  const medium = await submit(h, 'POST', '/proxy/payments/transfers', 'reg-medium', { payee: 'DE01', amount: 80, currency: 'EUR' });
  const vetoed = await submit(h, 'POST', '/proxy/payments/transfers', 'reg-vetoed', { payee: 'DE02', amount: 90, currency: 'EUR' });
  const veto = await h.as('alice', 'POST', `/v1/actions/${vetoed.id}/veto`, { body: { reason: 'not expected' } });
  if (veto.status !== 200) throw new Error(`veto failed: ${veto.status} ${await veto.text()}`);
  await until(h, medium.id, 'executed');

  const high = await submit(h, 'POST', '/proxy/payments/transfers', 'reg-high', { payee: 'DE03', amount: 5000, currency: 'EUR' });
  if (high.state !== 'awaiting_signature') throw new Error(`expected HIGH, got ${high.state}`);
  await authoriseWithApprovals(h, high.id, [{ who: 'alice', device: 'alice-watch', role: 'authorizer', at: nowSec(), liveness: { modality: 'hrv', score: 0.97 } }]);

  const expired = await submit(h, 'POST', '/proxy/payments/transfers', 'reg-expired', { payee: 'DE04', amount: 6000, currency: 'EUR' });
  // Let the signature window run out now rather than in 15 minutes.
  await h.gw.ctx.store.tx(async (tx) => tx.updateAction(expired.id, ['awaiting_signature'], { dueAt: Date.now() - 1 }));
  await until(h, expired.id, 'expired');

  const critical = await submit(h, 'DELETE', '/proxy/infra/clusters/c1', 'reg-critical');
  if (critical.state !== 'awaiting_quorum') throw new Error(`expected CRITICAL, got ${critical.state}`);
  const at = nowSec();
  await authoriseWithApprovals(
    h,
    critical.id,
    [
      { who: 'bob', device: 'bob-phone', role: 'authorizer', at, group: 'platform', liveness: { modality: 'motion', score: 0.91 } },
      { who: 'carol', device: 'carol-watch', role: 'authorizer', at, group: 'platform', liveness: { modality: 'hrv', score: 0.93 } },
      { who: 'dave', device: 'dave-phone', role: 'authorizer', at, group: 'risk', liveness: { modality: 'typing', score: 0.88 } },
      // The institutional comparator verifies after the authorizers met the quorum.
      { who: 'erin', device: 'erin-desk', role: 'comparator', at: at + 1, group: 'compliance' },
    ],
    DELETE_CLUSTER_QUORUM,
  );
  return { low, medium, vetoed, high, expired, critical };
}
