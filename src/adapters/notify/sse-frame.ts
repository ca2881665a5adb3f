import { FirewallError } from '../../core/errors.ts';

/**
 * One server-sent event in the text/event-stream format (WHATWG HTML §9.2). `data` is sent as
 * JSON (a string is JSON too); JSON.stringify never emits a raw line break, so it is one `data:`
 * line. Event names and ids must not contain CR or LF (or NUL, for ids).
 */
export function sseFrame(event: string, data: unknown, id?: string): string {
  if (event.length === 0 || /[\r\n]/.test(event)) {
    throw new FirewallError('SSE_EVENT_INVALID', 'SSE event name must be non-empty without line breaks', { status: 500 });
  }
  if (id !== undefined && /[\r\n\0]/.test(id)) {
    throw new FirewallError('SSE_EVENT_INVALID', 'SSE event id must not contain line breaks or NUL', { status: 500 });
  }
  const json = JSON.stringify(data ?? null);
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${json}\n\n`;
}

/** A comment line: keeps proxies and load balancers from closing an idle stream. */
export const SSE_HEARTBEAT = ': keep-alive\n\n';
