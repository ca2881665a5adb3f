import { isTerminal } from '../core/action/status.ts';
import { ACTIONS_TOPIC, actionTopic, type EventHub } from './ports/event-hub.ts';
import type { Webhooks } from './ports/webhooks.ts';
import type { ActionRecord } from './action-record.ts';
import { actionView } from './action-view.ts';
import type { PolicyPort } from './ports/policy.ts';
import type { StatusBus } from './status-bus.ts';

const ACTION_PREFIX = actionTopic('');

/** States a human must hear about: something is waiting for them, or it ended while they could act. */
const HUMAN_STATES = new Set(['cooling', 'awaiting_signature', 'awaiting_quorum', 'vetoed', 'expired']);

/**
 * Tells humans and dashboards about action changes: an SSE topic per action and one for all
 * actions, and Standard Webhooks (signed through the HSM) for actions that wait for people.
 * LOW actions are not announced by webhook: they run at digital speed and are only recorded.
 * With several replicas every replica feeds its own streams with every change, wherever it was
 * made; the webhook goes once, from the replica that made the change.
 */
export function wireNotifications(o: {
  bus: StatusBus;
  policy: () => PolicyPort;
  hub: EventHub;
  webhooks: Webhooks;
  env: Record<string, string | undefined>;
}): { announce: (message: { id: string; type: string; data: unknown }) => void; announceWaiting: (records: readonly ActionRecord[]) => number } {
  const { hub, webhooks } = o;
  /** Sends a message to the policy's webhooks. */
  const announce = (message: { id: string; type: string; data: unknown }): void => {
    for (const w of o.policy().webhooks() as { url: string; secretEnv?: string }[]) {
      const secret = w.secretEnv === undefined ? undefined : o.env[w.secretEnv];
      webhooks.send({ url: w.url, ...(secret === undefined ? {} : { secret }), asymmetric: true }, message);
    }
  };
  /** The action's status to the people, if it is one they must hear about; whether it was. */
  const tellPeople = (a: ActionRecord, view: () => Record<string, unknown>): boolean => {
    // An unresolved outcome needs a person whatever the tier: only they can find out what happened.
    const unresolved = a.status === 'outcome_unknown' && a.dueAt === null;
    if (!((a.classification.tier !== 'LOW' && HUMAN_STATES.has(a.status)) || unresolved)) return false;
    // The id is stable per (action, status) so receivers can de-duplicate retries and announcements made again.
    announce(unresolved
      ? { id: `msg_${a.id}_outcome_unresolved`, type: 'action.outcome_unresolved', data: view() }
      : { id: `msg_${a.id}_${a.status}`, type: `action.${a.status}`, data: view() });
    return true;
  };
  o.bus.observe((a: ActionRecord, origin) => {
    // On the LOW hot path usually nobody listens: build the view only when someone will read it.
    let built: Record<string, unknown> | undefined;
    const view = () => (built ??= actionView(a));
    const topic = actionTopic(a.id);
    if (hub.subscriberCount(topic) > 0) hub.publish({ topic, event: 'status', data: view() });
    if (hub.subscriberCount(ACTIONS_TOPIC) > 0) hub.publish({ topic: ACTIONS_TOPIC, event: 'status', data: view() });
    if (isTerminal(a.status)) hub.end(topic);
    if (origin === 'remote') return;
    tellPeople(a, view);
  }, {
    follows: (c) => hub.subscriberCount(actionTopic(c.id)) > 0 || hub.subscriberCount(ACTIONS_TOPIC) > 0,
    followed: () => [...hub.topics()].filter((t) => t.startsWith(ACTION_PREFIX)).map((t) => t.slice(ACTION_PREFIX.length)),
    // The all-actions streams cannot be re-read action by action: they reconnect and start afresh.
    gap: () => hub.drop(ACTIONS_TOPIC),
  });
  /**
   * Announces again each of these actions that waits on people (WAITING_ON_PEOPLE), with the message
   * id it was first announced with. Webhooks are queued in memory: a process that stops (or is
   * killed) loses the deliveries still queued or retrying, so a starting gateway calls this with
   * what still waits. Returns how many were announced.
   */
  const announceWaiting = (records: readonly ActionRecord[]): number => records.filter((a) => tellPeople(a, () => actionView(a))).length;
  return { announce, announceWaiting };
}

/** The statuses in which an action may wait on people: what `announceWaiting` is given at start. */
export const WAITING_ON_PEOPLE = ['cooling', 'awaiting_signature', 'awaiting_quorum', 'outcome_unknown'] as const;
