import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { AgentClientError } from './agent-client-error.ts';

/** Read a text/event-stream response body as events, until the server ends it. */
export async function* readEventStream(body: ReadableStream<Uint8Array>, maxEventBytes = 1024 * 1024): AsyncGenerator<EventSourceMessage> {
  const queue: EventSourceMessage[] = [];
  let tooLarge = false;
  const parser = createParser({
    onEvent: (e) => {
      if (e.data.length > maxEventBytes) tooLarge = true;
      else queue.push(e);
    },
  });
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.feed(value);
      if (tooLarge) throw new AgentClientError('INVALID_RESPONSE', `event stream sent an event larger than ${maxEventBytes} bytes`);
      while (queue.length > 0) yield queue.shift()!;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
