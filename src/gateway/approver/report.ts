import { randomUUID } from 'node:crypto';
import { FirewallError } from '../../core/errors.ts';
import { entry } from '../audit-entries.ts';
import type { GatewayContext } from '../context.ts';

/**
 * A person reports an action as suspicious: an `action.reported_suspicious` log entry, and a
 * Standard Webhook (`action.reported_suspicious`) to the policy's endpoints, where administrators
 * listen. Reporting does not stop the action; vetoing or declining does.
 */
export async function reportSuspicious(ctx: GatewayContext, person: string, actionId: string, reason: string): Promise<{ reported: true; at: string }> {
  const a = actionId.length <= 100 ? await ctx.store.getAction(actionId) : undefined;
  if (a === undefined) throw new FirewallError('ACTION_NOT_FOUND', `no action '${actionId.slice(0, 100)}'`, { status: 404 });
  const now = ctx.clock.now();
  const text = reason.slice(0, 500);
  await ctx.store.tx(async (tx) => {
    await tx.audit([entry('action.reported_suspicious', now, a, { by: person, reason: text })]);
  });
  ctx.announce?.({ id: `msg_${randomUUID()}`, type: 'action.reported_suspicious', data: { actionId: a.id, digest: a.digest, by: person, reason: text, at: new Date(now).toISOString() } });
  return { reported: true, at: new Date(now).toISOString() };
}
