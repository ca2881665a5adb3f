import { FirewallError } from '../core/errors.ts';
import { parseArgs } from './args.ts';
import { gatewayOf, mintAssertion } from './token.ts';

/**
 * `action reconcile ID --outcome executed|failed --reason TEXT --key ADMIN_JWK [--id ADMIN] [--gateway URL]`:
 * settles an action whose outcome stayed unknown, through the running gateway's admin API (so the
 * decision is authenticated, checked and logged exactly as over HTTP).
 */
export async function runActionReconcile(argv: string[], out: (s: string) => void): Promise<number> {
  const { flags, positional } = parseArgs(argv, ['outcome', 'reason', 'key', 'id', 'gateway']);
  const [actionId] = positional;
  if (actionId === undefined || positional.length !== 1 || flags['outcome'] === undefined || flags['reason'] === undefined || flags['key'] === undefined) {
    throw new FirewallError('USAGE', 'usage: action reconcile ACTION_ID --outcome executed|failed --reason TEXT --key ADMIN_JWK_FILE [--id ID] [--gateway URL]', { status: 400 });
  }
  const gateway = gatewayOf(flags['gateway']);
  const path = `/v1/actions/${encodeURIComponent(actionId)}/reconcile`;
  const token = await mintAssertion({ keyFile: flags['key'], id: flags['id'], gateway, method: 'POST', path });
  let res: Response;
  try {
    res = await fetch(gateway + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, application/problem+json' },
      body: JSON.stringify({ outcome: flags['outcome'], reason: flags['reason'] }),
    });
  } catch (cause) {
    throw new FirewallError('GATEWAY_UNREACHABLE', `could not reach the gateway at ${gateway} (set --gateway or PUBLIC_URL)`, { status: 502, cause });
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    throw new FirewallError(typeof body['code'] === 'string' ? body['code'] : 'RECONCILE_REFUSED', `${res.status}: ${String(body['detail'] ?? body['title'] ?? 'refused')}`, { status: res.status });
  }
  const r = body['reconciliation'] as { logIndex?: number } | undefined;
  out(`action ${actionId} reconciled: ${String(body['status'])} (log index ${String(r?.logIndex)})`);
  return 0;
}
