/**
 * Client end of the hsm-sim protocol: one connection (= one device session), pipelined requests
 * matched by id, lazy connect and reconnect. While the device is unreachable every request fails
 * at once with SIGNER_UNAVAILABLE; the next request after it returns reconnects (and re-runs
 * `onConnect`, typically the login, since a session's login dies with its connection).
 */
import { createConnection, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { FirewallError } from '../../src/core/errors.ts';
import { FrameDecoder, encodeFrame, parseFrameBody } from '../protocol/frame.ts';

export type Endpoint = { socketPath: string } | { host: string; port: number; tls?: ClientTls };

/**
 * Mutual TLS to a networked device (docs/hsm.md "TLS"): the server certificate must chain to `ca`
 * (the only trust anchor: the system store is not used) and name `servername` (default: the host,
 * checked against the certificate's DNS or IP subjectAltName); this client shows `cert`/`key`.
 */
export interface ClientTls {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
  servername?: string;
}

export interface ConnectionOptions {
  endpoint: Endpoint;
  /** Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Default 30000 ms. */
  requestTimeoutMs?: number;
  /** Largest response accepted. Default 64 MiB. */
  maxFrameBytes?: number;
  /** Runs after every (re)connect, before queued requests: log in here. */
  onConnect?: (send: RawRequest) => Promise<void>;
}

export type RawRequest = <T = Record<string, unknown>>(op: string, fields?: Record<string, unknown>) => Promise<T>;

interface Pending {
  socket: Socket;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
}

/** Device codes that mean "the device cannot serve", mapped to 503 like an unreachable device. */
const UNAVAILABLE_CODES = new Set(['DEVICE_ZEROIZED', 'SESSION_CLOSED']);

export function describeEndpoint(e: Endpoint): string {
  return 'socketPath' in e ? `unix:${e.socketPath}` : `${e.tls === undefined ? 'tcp' : 'tls'}:${e.host}:${e.port}`;
}

export class HsmSimConnection {
  readonly #opts: Required<Omit<ConnectionOptions, 'onConnect'>> & Pick<ConnectionOptions, 'onConnect'>;
  #socket: Socket | undefined;
  #connecting: Promise<Socket> | undefined;
  #pending = new Map<number, Pending>();
  /** Records why the device refused this connection, for the error that fails its requests. */
  #onRefusal = new WeakMap<Socket, (code: string) => void>();
  #nextId = 1;
  #closed = false;

  constructor(opts: ConnectionOptions) {
    this.#opts = { connectTimeoutMs: 2000, requestTimeoutMs: 30_000, maxFrameBytes: 64 * 1024 * 1024, ...opts };
  }

  get connected(): boolean {
    return this.#socket !== undefined && !this.#socket.destroyed;
  }

  async request<T = Record<string, unknown>>(op: string, fields: Record<string, unknown> = {}): Promise<T> {
    if (this.#closed) throw new FirewallError('SIGNER_UNAVAILABLE', 'the hsm-sim connection has been closed', { status: 503 });
    const socket = await this.#ensure();
    return this.#send<T>(socket, op, fields);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const s = this.#socket;
    this.#socket = undefined;
    if (s !== undefined && !s.destroyed) {
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      });
    }
  }

  /** `reason`: the system or TLS error code, or the device's refusal, as `detail.reason`. */
  #unavailable(why: string, cause?: unknown, reason?: string): FirewallError {
    return new FirewallError('SIGNER_UNAVAILABLE', `hsm-sim at ${describeEndpoint(this.#opts.endpoint)} is unavailable: ${why}`, {
      status: 503,
      cause,
      ...(reason === undefined ? {} : { detail: { reason } }),
    });
  }

  #ensure(): Promise<Socket> {
    if (this.#socket !== undefined && !this.#socket.destroyed) return Promise.resolve(this.#socket);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<Socket> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const ep = this.#opts.endpoint;
      const tls = 'socketPath' in ep ? undefined : ep.tls;
      const s =
        'socketPath' in ep
          ? createConnection(ep.socketPath)
          : tls === undefined
            ? createConnection({ host: ep.host, port: ep.port })
            : connectTls({
                host: ep.host,
                port: ep.port,
                ca: tls.ca,
                cert: tls.cert,
                key: tls.key,
                // SNI only carries DNS names; an IP host is still checked against the IP SANs.
                ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
                minVersion: 'TLSv1.3',
                rejectUnauthorized: true,
              });
      const timer = setTimeout(() => {
        s.destroy();
        reject(this.#unavailable(`no connection within ${this.#opts.connectTimeoutMs} ms`));
      }, this.#opts.connectTimeoutMs);
      // For TLS, the session is usable once the server certificate has been verified.
      s.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(this.#unavailable(e.code ?? e.message, e, e.code));
      });
    });
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(this.#opts.maxFrameBytes);
    socket.on('data', (chunk: Buffer) => {
      let events;
      try {
        events = decoder.push(chunk);
      } catch (e) {
        socket.destroy(e as Error);
        return;
      }
      for (const ev of events) {
        if (ev.kind === 'oversized') {
          socket.destroy(new Error(`response of ${ev.length} bytes exceeds ${this.#opts.maxFrameBytes}`));
          return;
        }
        this.#onResponse(socket, ev.body);
      }
    });
    // Why the connection ended, for the operator: with TLS 1.3 the device judges our certificate
    // after our side of the handshake is done, so its refusal (an alert, or CLIENT_NOT_AUTHORIZED)
    // arrives as an error or a frame on an already open connection.
    let reason: string | undefined;
    socket.on('error', (e: NodeJS.ErrnoException) => {
      reason ??= e.code ?? e.message;
      /* 'close' follows and fails whatever is pending */
    });
    let answered = false;
    socket.once('data', () => (answered = true));
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      // A device that does not trust our certificate closes right after the handshake, without an
      // alert (Node verifies the chain after it): name that case rather than a bare "closed".
      if (reason === undefined && !answered && 'tls' in this.#opts.endpoint && this.#opts.endpoint.tls !== undefined) reason = 'CLOSED_BEFORE_ANSWER';
      this.#failAll(socket, reason === undefined ? this.#unavailable('the connection closed') : this.#unavailable(`the connection closed (${reason})`, undefined, reason));
    });
    this.#onRefusal.set(socket, (code) => (reason ??= code));
    if (this.#opts.onConnect !== undefined) {
      try {
        await this.#opts.onConnect((op, fields) => this.#send(socket, op, fields ?? {}));
      } catch (e) {
        socket.destroy();
        throw e;
      }
    }
    if (this.#closed) {
      socket.destroy();
      throw this.#unavailable('the connection has been closed');
    }
    this.#socket = socket;
    return socket;
  }

  #send<T>(socket: Socket, op: string, fields: Record<string, unknown>): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(this.#unavailable(`no answer to ${op} within ${this.#opts.requestTimeoutMs} ms`));
        // Answers on this connection can no longer be matched safely: start afresh.
        socket.destroy();
      }, this.#opts.requestTimeoutMs);
      this.#pending.set(id, { socket, resolve: resolve as (v: unknown) => void, reject, timer });
      if (socket.destroyed) {
        this.#settle(id)?.reject(this.#unavailable('the connection closed'));
        return;
      }
      socket.write(encodeFrame({ ...fields, id, op }));
    });
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (p === undefined) return undefined;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    return p;
  }

  #failAll(socket: Socket, e: FirewallError): void {
    for (const [id, p] of [...this.#pending]) if (p.socket === socket) this.#settle(id)?.reject(e);
  }

  #oldest(socket: Socket): number | undefined {
    for (const [id, p] of this.#pending) if (p.socket === socket) return id;
    return undefined;
  }

  #onResponse(socket: Socket, body: Buffer): void {
    let msg: Record<string, unknown>;
    try {
      msg = parseFrameBody(body);
    } catch {
      return;
    }
    // The device refuses this client's certificate (not, or no longer, on its allow list): it
    // says so once, unprompted, and closes. Whatever was pending fails as unavailable, naming why.
    if (msg.id === null && (msg.error as { code?: unknown } | undefined)?.code === 'CLIENT_NOT_AUTHORIZED') {
      this.#onRefusal.get(socket)?.('CLIENT_NOT_AUTHORIZED');
      socket.destroy();
      return;
    }
    // Frame-level errors carry id null; answers come in order, so they belong to the oldest request.
    const id = typeof msg.id === 'number' ? msg.id : this.#oldest(socket);
    if (id === undefined) return;
    const p = this.#settle(id);
    if (p === undefined) return;
    if (msg.ok === true) {
      p.resolve(msg.result);
      return;
    }
    const err = (msg.error ?? {}) as { code?: unknown; message?: unknown; detail?: unknown };
    const code = typeof err.code === 'string' ? err.code : 'INTERNAL_ERROR';
    const detail = typeof err.detail === 'object' && err.detail !== null ? (err.detail as Record<string, unknown>) : {};
    p.reject(
      new FirewallError(code, `hsm-sim: ${typeof err.message === 'string' ? err.message : code}`, {
        status: UNAVAILABLE_CODES.has(code) ? 503 : 500,
        detail: { ...detail, device: 'hsm-sim' },
      }),
    );
  }
}
