import { connect } from 'node:net';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventHub } from '../../src/adapters/notify/event-hub.ts';
import { ACTIONS_TOPIC, actionTopic } from '../../src/gateway/ports/event-hub.ts';
import { sseFrame } from '../../src/adapters/notify/sse-frame.ts';
import { listen } from './helpers/http.ts';

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Open an SSE stream and collect its events and raw text. */
async function open(url: string) {
  const ctrl = new AbortController();
  const res = await fetch(url, { signal: ctrl.signal, headers: { accept: 'text/event-stream' } });
  const events: EventSourceMessage[] = [];
  let raw = '';
  const parser = createParser({ onEvent: (e) => events.push(e) });
  const ended = (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'ended';
        raw += value;
        parser.feed(value);
      }
    } catch {
      return 'aborted';
    }
  })();
  return { res, events, raw: () => raw, ended, abort: () => ctrl.abort() };
}

describe('EventHub', () => {
  const hub = new EventHub({ heartbeatMs: 50, maxBufferedBytes: 64 * 1024 });
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const app = express();
    app.get('/v1/actions/:id/events', hub.handler((req) => actionTopic(String(req.params.id))));
    app.get('/v1/events', hub.handler(() => ACTIONS_TOPIC));
    app.get('/v1/both/:id', (req, res) => {
      hub.subscribe([ACTIONS_TOPIC, actionTopic(req.params.id)], req, res, { initial: [{ event: 'status', data: { id: req.params.id, status: 'cooling' } }] });
    });
    ({ url: base, close } = await listen(app));
  });
  afterAll(async () => {
    hub.close();
    await close();
  });

  it('delivers published events to the subscribers of their topic only, as JSON with ids', async () => {
    const one = await open(`${base}/v1/actions/a1/events`);
    const other = await open(`${base}/v1/actions/a2/events`);
    const dash = await open(`${base}/v1/events`);
    expect(one.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(one.res.headers.get('cache-control')).toBe('no-cache, no-transform');
    await until(() => hub.subscriberCount(actionTopic('a1')) === 1 && hub.subscriberCount(ACTIONS_TOPIC) === 1);

    expect(hub.publish({ topic: actionTopic('a1'), event: 'status', data: { id: 'a1', status: 'cooling' } })).toBe(1);
    hub.publish({ topic: ACTIONS_TOPIC, event: 'status', data: { id: 'a1', status: 'cooling', note: 'line1\nline2' } });
    hub.publish({ topic: actionTopic('a1'), event: 'status', data: { id: 'a1', status: 'executed' }, id: 'evt-9' });
    await until(() => one.events.length === 2 && dash.events.length === 1);

    expect(one.events.map((e) => [e.event, JSON.parse(e.data).status])).toEqual([
      ['status', 'cooling'],
      ['status', 'executed'],
    ]);
    expect(one.events[1]!.id).toBe('evt-9');
    expect(JSON.parse(dash.events[0]!.data).note).toBe('line1\nline2');
    expect(other.events).toEqual([]);
    expect(one.raw()).toContain('retry: 3000');

    // Terminal status: the gateway ends the action's topic; the client sees the stream end.
    hub.end(actionTopic('a1'));
    expect(await one.ended).toBe('ended');
    other.abort();
    dash.abort();
  });

  it('sends initial events first and can subscribe one stream to several topics', async () => {
    const s = await open(`${base}/v1/both/b1`);
    await until(() => s.events.length === 1);
    expect(JSON.parse(s.events[0]!.data)).toEqual({ id: 'b1', status: 'cooling' });
    hub.publish({ topic: ACTIONS_TOPIC, event: 'status', data: { id: 'zz' } });
    hub.publish({ topic: actionTopic('b1'), event: 'status', data: { id: 'b1', status: 'executed' } });
    await until(() => s.events.length === 3);
    // Ending one of its topics keeps the stream open for the other.
    hub.end(actionTopic('b1'));
    expect(hub.subscriberCount(ACTIONS_TOPIC)).toBe(1);
    s.abort();
    await until(() => hub.subscriberCount() === 0);
  });

  it('sends heartbeats and cleans up when the client disconnects', async () => {
    const s = await open(`${base}/v1/actions/c1/events`);
    await until(() => s.raw().includes(': keep-alive'), 1000);
    expect(hub.subscriberCount(actionTopic('c1'))).toBe(1);
    s.abort();
    await until(() => hub.subscriberCount(actionTopic('c1')) === 0 && hub.subscriberCount() === 0);
    expect(hub.publish({ topic: actionTopic('c1'), event: 'status', data: {} })).toBe(0);
  });

  it('drops a subscriber that does not read instead of buffering without bound', async () => {
    const { port } = new URL(base);
    const sock = connect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(`GET /v1/actions/slow/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    sock.pause(); // never read
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    await until(() => hub.subscriberCount(actionTopic('slow')) === 1);
    const big = 'x'.repeat(32 * 1024);
    let delivered = 0;
    for (let i = 0; i < 2000 && hub.subscriberCount(actionTopic('slow')) === 1; i++) {
      delivered += hub.publish({ topic: actionTopic('slow'), event: 'status', data: big });
    }
    expect(hub.subscriberCount(actionTopic('slow'))).toBe(0);
    expect(delivered).toBeLessThan(2000);
    sock.resume();
    await closed;
  });
});

describe('sseFrame', () => {
  it('formats one event and refuses names that would break the framing', () => {
    expect(sseFrame('status', { a: 1 }, '7')).toBe('id: 7\nevent: status\ndata: {"a":1}\n\n');
    expect(() => sseFrame('sta\ntus', {})).toThrow();
    expect(() => sseFrame('status', {}, 'a\rb')).toThrow();
  });
});
