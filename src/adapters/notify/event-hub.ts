import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { EventHub as EventHubPort, HubMessage, HubSubscription, SubscribeOptions } from '../../gateway/ports/event-hub.ts';
import { SSE_HEARTBEAT, sseFrame } from './sse-frame.ts';

/**
 * In-process fan-out of server-sent events. The gateway publishes `{ topic, event, data }`;
 * express handlers subscribe a response to one or more topics: `actionTopic(id)` for one action,
 * ACTIONS_TOPIC for the human dashboards that watch them all.
 *
 * Every stream gets a heartbeat comment; a closed connection is unsubscribed at once; a
 * subscriber that cannot keep up (more than `maxBufferedBytes` queued in its socket) is
 * disconnected rather than allowed to grow memory, and reconnects (EventSource does) to read the
 * current state again.
 */

export interface EventHubOptions {
  /** Interval of heartbeat comments, ms. Default 15 000. */
  heartbeatMs?: number;
  /** Per-subscriber bytes queued in the socket before it is dropped as too slow. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Reconnection delay hint sent to clients (`retry:`), ms. Default 3000. */
  retryMs?: number;
}

interface Subscriber {
  res: ServerResponse;
  topics: Set<string>;
  closed: boolean;
}

export class EventHub implements EventHubPort {
  readonly #heartbeatMs: number;
  readonly #maxBuffered: number;
  readonly #retryMs: number;
  readonly #byTopic = new Map<string, Set<Subscriber>>();
  readonly #all = new Set<Subscriber>();
  #heartbeat: NodeJS.Timeout | undefined;
  #seq = 0;

  constructor(options: EventHubOptions = {}) {
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.#retryMs = options.retryMs ?? 3000;
  }

  /** Deliver to every subscriber of `msg.topic`; returns how many received it. */
  publish(msg: HubMessage): number {
    const subs = this.#byTopic.get(msg.topic);
    if (!subs || subs.size === 0) return 0;
    const frame = sseFrame(msg.event, msg.data, msg.id ?? String(++this.#seq));
    let n = 0;
    for (const sub of [...subs]) if (this.#write(sub, frame)) n++;
    return n;
  }

  /** Turn `res` into an event stream subscribed to `topics`, until either side closes it. */
  subscribe(topics: string | string[], req: IncomingMessage, res: ServerResponse, options: SubscribeOptions = {}): HubSubscription {
    const sub: Subscriber = { res, topics: new Set(Array.isArray(topics) ? topics : [topics]), closed: false };
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${this.#retryMs}\n\n`);
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);

    const cleanup = (): void => this.#remove(sub);
    // The response's 'close' fires when the client goes away (req 'close' can fire earlier, once the
    // request body is consumed, so it is not a disconnect signal).
    res.on('close', cleanup);
    res.on('error', cleanup);

    for (const m of options.initial ?? []) {
      if (!this.#write(sub, sseFrame(m.event, m.data, m.id ?? String(++this.#seq)))) break;
    }
    if (!sub.closed) {
      for (const t of sub.topics) {
        let set = this.#byTopic.get(t);
        if (!set) this.#byTopic.set(t, (set = new Set()));
        set.add(sub);
      }
      this.#all.add(sub);
      this.#startHeartbeat();
    }
    return {
      topics: sub.topics,
      close: () => this.#end(sub),
    };
  }

  /** Express handler streaming the topics `topicsOf(req)` names. */
  handler(topicsOf: (req: Request) => string | string[]): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      let topics: string | string[];
      try {
        topics = topicsOf(req);
      } catch (e) {
        next(e);
        return;
      }
      this.subscribe(topics, req, res);
    };
  }

  /** Close the streams of `topic` (e.g. its action reached a terminal status), after what was published. */
  end(topic: string): void {
    const subs = this.#byTopic.get(topic);
    if (!subs) return;
    for (const sub of [...subs]) {
      sub.topics.delete(topic);
      subs.delete(sub);
      if (sub.topics.size === 0) this.#end(sub);
    }
    this.#byTopic.delete(topic);
  }

  /**
   * End every stream subscribed to `topic`, whatever else it follows: its client reconnects
   * (EventSource does) and reads the current state again, e.g. after messages may have been lost.
   */
  drop(topic: string): void {
    const subs = this.#byTopic.get(topic);
    if (!subs) return;
    for (const sub of [...subs]) this.#end(sub);
  }

  /** Topics with at least one subscriber now. */
  topics(): IterableIterator<string> {
    return this.#byTopic.keys();
  }

  subscriberCount(topic?: string): number {
    return topic === undefined ? this.#all.size : (this.#byTopic.get(topic)?.size ?? 0);
  }

  /** End every stream and stop the heartbeat. */
  close(): void {
    for (const sub of [...this.#all]) this.#end(sub);
    this.#stopHeartbeat();
  }

  #write(sub: Subscriber, chunk: string): boolean {
    if (sub.closed) return false;
    const res = sub.res;
    if (res.writableEnded || res.destroyed) {
      this.#remove(sub);
      return false;
    }
    if (res.writableLength + Buffer.byteLength(chunk) > this.#maxBuffered) {
      // Too slow: drop it rather than buffer without bound. end() would wait for the same backlog.
      this.#remove(sub);
      res.destroy();
      return false;
    }
    res.write(chunk);
    return true;
  }

  #end(sub: Subscriber): void {
    if (sub.closed) return;
    this.#remove(sub);
    if (!sub.res.writableEnded) sub.res.end();
  }

  #remove(sub: Subscriber): void {
    if (sub.closed) return;
    sub.closed = true;
    for (const t of sub.topics) {
      const set = this.#byTopic.get(t);
      if (!set) continue;
      set.delete(sub);
      if (set.size === 0) this.#byTopic.delete(t);
    }
    this.#all.delete(sub);
    if (this.#all.size === 0) this.#stopHeartbeat();
  }

  #startHeartbeat(): void {
    if (this.#heartbeat !== undefined || this.#heartbeatMs <= 0) return;
    this.#heartbeat = setInterval(() => {
      for (const sub of [...this.#all]) this.#write(sub, SSE_HEARTBEAT);
    }, this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat === undefined) return;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
