import { FirewallError } from '../../core/errors.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { GatewayContext } from '../context.ts';
import { READ_ROLES } from './action-detail.ts';
import type { TrailItem } from './trail-item.ts';

export type { TrailItem } from './trail-item.ts';

/** What the trail reads: the transparency log's entries of one action (TransparencyLog.query). */
export interface ActionLogReader {
  query(q: { actionId: string; limit: number }): Promise<{ index: number; type: string; ts: number | null; entry: Record<string, unknown> }[]>;
}

const MAX_ITEMS = 500;
const str = (v: unknown, max = 500): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);

/**
 * An action's trail as the app shows it (docs/approver-app.md §Trail): every log entry bound to the
 * action, oldest first, reduced to what a person reads (type, time, who, reason, code). The log
 * itself is the record; proofs are on the comparator's evidence package, not here.
 */
export async function actionTrail(ctx: Pick<GatewayContext, 'store'>, log: ActionLogReader, p: PrincipalRecord, id: string): Promise<{ items: TrailItem[]; truncated: boolean }> {
  const a = id.length <= 100 ? await ctx.store.getAction(id) : undefined;
  if (a === undefined || !p.roles.some((r) => READ_ROLES.has(r))) throw new FirewallError('ACTION_NOT_FOUND', `no action '${id.slice(0, 100)}'`, { status: 404 });
  const entries = await log.query({ actionId: a.id, limit: MAX_ITEMS + 1 });
  const items = entries.slice(0, MAX_ITEMS).map((e): TrailItem => {
    const x = e.entry;
    const item: TrailItem = { logIndex: e.index, type: e.type };
    if (e.ts !== null) item.at = new Date(e.ts).toISOString();
    const who = str(x['who'], 200) ?? str(x['by'], 200) ?? str(x['person'], 200);
    if (who !== undefined) item.who = who;
    const reason = str(x['reason']) ?? str(x['message']);
    if (reason !== undefined) item.reason = reason;
    const role = str(x['role'], 50);
    if (role !== undefined) item.role = role;
    const code = str(x['code'], 100);
    if (code !== undefined) item.code = code;
    const from = str(x['from'], 50);
    if (from !== undefined) item.from = from;
    return item;
  });
  return { items, truncated: entries.length > MAX_ITEMS };
}
