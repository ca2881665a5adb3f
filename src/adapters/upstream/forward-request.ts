import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { FirewallError } from '../../core/errors.ts';
import type { ForwardOptions, ForwardRequest, ForwardResponse } from '../../gateway/ports/upstream.ts';

// One keep-alive pool per scheme: a LOW action should not pay a TCP (or TLS) handshake.
// node:http rather than fetch: on the LOW hot path fetch's WHATWG stream layer cost about twice
// as much CPU per request (bench/results.json, low_tier_gateway_main_thread_cpu_us_per_action).
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 256 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
};

/**
 * Sends one request to an actuator and reads its answer. Never follows redirects (the receipt binds
 * one exact request). Fails with UPSTREAM_TIMEOUT when the deadline passes, UPSTREAM_UNREACHABLE
 * when no connection was made (nothing was sent) and UPSTREAM_CONNECTION_LOST for a transport error
 * after it was. Every failure carries `detail.requestSent`: false only when no byte of the request
 * can have reached the actuator (it was never connected), which is the one case the dispatcher may
 * treat as "certainly not executed".
 */
export const forwardRequest: ForwardRequest = (url: URL, o: ForwardOptions): Promise<ForwardResponse> => {
  const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
  if (send === undefined) {
    return Promise.reject(new FirewallError('UPSTREAM_UNREACHABLE', `unsupported upstream scheme ${url.protocol}`, { status: 502 }));
  }
  return new Promise<ForwardResponse>((resolve, reject) => {
    let settled = false;
    // Set once the connection (TLS included) is up: from then on the actuator may have read the request.
    let connected = false;
    const fail = (code: 'UPSTREAM_TIMEOUT' | 'UPSTREAM_UNREACHABLE', message: string, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      const finalCode = code === 'UPSTREAM_UNREACHABLE' && connected ? 'UPSTREAM_CONNECTION_LOST' : code;
      reject(new FirewallError(finalCode, message, { status: code === 'UPSTREAM_TIMEOUT' ? 504 : 502, cause, detail: { requestSent: connected } }));
    };
    const headers: Record<string, string | number> = { ...o.headers };
    if (o.body.length > 0 || (o.method !== 'GET' && o.method !== 'HEAD')) headers['content-length'] = o.body.length;
    const req = send(url, { method: o.method, headers, agent: agents[url.protocol as 'http:' | 'https:'] }, (res) => {
      const kept: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < o.maxBodyBytes) kept.push(chunk.subarray(0, o.maxBodyBytes - size));
        size += chunk.length;
      });
      res.on('error', (cause) => fail('UPSTREAM_UNREACHABLE', 'the actuator connection failed while answering', cause));
      res.on('close', () => {
        if (!res.complete) fail('UPSTREAM_UNREACHABLE', 'the actuator closed the connection mid-answer');
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(kept) });
      });
    });
    req.on('socket', (socket) => {
      // A pooled keep-alive socket is already connected; a new one says so when it is.
      if (!socket.connecting) connected = true;
      else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => (connected = true));
    });
    const timer = setTimeout(() => fail('UPSTREAM_TIMEOUT', `the actuator did not answer within ${o.timeoutMs} ms`), o.timeoutMs);
    req.on('error', (cause) => fail('UPSTREAM_UNREACHABLE', 'the actuator could not be reached', cause));
    req.end(o.body.length > 0 ? o.body : undefined);
  });
};
