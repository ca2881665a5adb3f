import { readEventStream } from '../../clients/agent/sse.ts';

export interface SseEvent {
  event: string | undefined;
  data: unknown;
}

/**
 * An event-stream response read as events: `next(match)` waits for the next event that matches
 * (skipping the others) and fails if the stream ends or `timeoutMs` passes first.
 */
export function readEvents(res: Response): { next(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent> } {
  if (res.status !== 200 || res.body === null) throw new Error(`not an event stream: HTTP ${res.status}`);
  const events = readEventStream(res.body);
  return {
    async next(match, timeoutMs = 20_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        for (;;) {
          const r = await Promise.race([events.next(), timeout]);
          if (r.done === true) throw new Error('the event stream ended');
          const e = { event: r.value.event, data: JSON.parse(r.value.data) as unknown };
          if (match(e)) return e;
        }
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
