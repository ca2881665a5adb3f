import type { GatewayContext } from '../context.ts';
import { personTopic } from './views.ts';

/**
 * Tells a person's devices (their SSE topic) and, when `webhook` is given, the notification
 * webhooks: challenges issued and closed, lock notices (docs/protocol.md §Endpoints).
 */
export function notifyPerson(ctx: GatewayContext, personId: string, event: string, data: Record<string, unknown>, webhook?: { id: string; type: string }): void {
  ctx.hub.publish({ topic: personTopic(personId), event, data });
  if (webhook !== undefined) ctx.announce?.({ id: webhook.id, type: webhook.type, data: { person: personId, ...data } });
}
