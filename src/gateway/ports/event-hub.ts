import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Server-sent event streams (adapters/notify/event-hub.ts): the gateway publishes
 * `{ topic, event, data }`; the HTTP entrances subscribe a response to topics. A subscriber that
 * cannot keep up is dropped (it reconnects and reads the current state again).
 */

export const ACTIONS_TOPIC = 'actions';
export function actionTopic(actionId: string): string {
  return `action:${actionId}`;
}

export interface HubMessage {
  topic: string;
  /** SSE event name, e.g. 'status'. */
  event: string;
  /** Sent as JSON. */
  data: unknown;
  /** SSE id; default a hub-wide sequence number. */
  id?: string;
}

export interface SubscribeOptions {
  /** Events written first (e.g. the action's current state), before any published one. */
  initial?: Array<Omit<HubMessage, 'topic'>>;
}

export interface HubSubscription {
  readonly topics: ReadonlySet<string>;
  /** End this stream. */
  close(): void;
}

export interface EventHub {
  /** Delivers to every subscriber of `msg.topic`; returns how many received it. */
  publish(msg: HubMessage): number;
  /** Turns `res` into an event stream subscribed to `topics`, until either side closes it. */
  subscribe(topics: string | string[], req: IncomingMessage, res: ServerResponse, options?: SubscribeOptions): HubSubscription;
  /** Closes the streams of `topic` (its action reached a terminal status), after what was published. */
  end(topic: string): void;
  /**
   * Ends every stream subscribed to `topic`, whatever else it follows: its client reconnects and
   * reads the current state again (after status changes from other replicas may have been lost).
   */
  drop(topic: string): void;
  /** Topics with at least one subscriber now. */
  topics(): IterableIterator<string>;
  subscriberCount(topic?: string): number;
  /** Ends every stream. */
  close(): void;
}
