/**
 * The device's listening end: a Unix domain socket (mode 0600, the default) or TCP bound to a
 * loopback address. One connection is one session; frames on it are answered in order.
 */
import { chmodSync, existsSync, lstatSync, rmSync } from 'node:fs';
import { createConnection, createServer, isIP, type Server, type Socket } from 'node:net';
import type { DeviceLog } from '../log.ts';
import { FrameDecoder, encodeFrame } from '../protocol/frame.ts';
import { deviceError } from '../protocol/error-codes.ts';
import type { Session, Token } from '../token/token.ts';
import { Dispatcher } from './dispatch.ts';

/** How long open sessions are kept (answering SESSION_CLOSED) once shutdown starts. */
const SHUTDOWN_GRACE_MS = 300;

export type Listen = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export interface ServerOptions {
  token: Token;
  log: DeviceLog;
  listen: Listen;
  maxFrameBytes: number;
  maxConnections?: number;
}

export interface RunningServer {
  address: { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };
  /** Stop listening; open sessions get `graceMs` (default 300) answering SESSION_CLOSED, then are closed. */
  close(graceMs?: number): Promise<void>;
}

/** Only loopback: the device must never be reachable from another machine. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** A socket file left by a crashed device is removed; one a live device answers on is not. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new Error(`another device is already listening on ${path}`);
  rmSync(path, { force: true });
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const dispatcher = new Dispatcher(opts.token, opts.log);
  const sockets = new Set<Socket>();
  let nextSession = 1;
  let closing = false;

  const server: Server = createServer({ allowHalfOpen: false }, (socket) => {
    sockets.add(socket);
    const session: Session = { id: nextSession++, role: 'public' };
    const decoder = new FrameDecoder(opts.maxFrameBytes);
    opts.log.debug({ event: 'session-open', session: session.id }, 'session opened');

    const send = (message: unknown): void => {
      if (socket.destroyed) return;
      // Back-pressure: stop reading requests while the peer is not reading answers.
      if (!socket.write(encodeFrame(message))) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    };

    socket.on('data', (chunk: Buffer) => {
      const answers: unknown[] = [];
      let end = false;
      for (const ev of decoder.push(chunk)) {
        if (closing) {
          answers.push({ id: null, ok: false, error: { code: 'SESSION_CLOSED', message: deviceError('SESSION_CLOSED', 'the device is shutting down; the session is closed').message } });
          end = true;
          break;
        }
        answers.push(ev.kind === 'oversized' ? dispatcher.oversized(session, ev.length, opts.maxFrameBytes) : dispatcher.handle(session, ev.body));
      }
      // Audit entries reach the file before any answer leaves: nothing is acknowledged unrecorded.
      opts.token.auditLog.flush();
      for (const a of answers) send(a);
      if (end) socket.end();
    });
    socket.on('error', (e) => opts.log.debug({ event: 'session-error', session: session.id, code: (e as NodeJS.ErrnoException).code }, 'session socket error'));
    socket.on('close', () => {
      sockets.delete(socket);
      // The session (and its login) ends with the connection, as a PKCS#11 session does.
      session.role = 'public';
      opts.log.debug({ event: 'session-close', session: session.id }, 'session closed');
    });
  });
  server.maxConnections = opts.maxConnections ?? 256;

  let address: RunningServer['address'];
  if (opts.listen.kind === 'unix') {
    const path = opts.listen.path;
    await clearStaleSocket(path);
    // Create the socket file 0600 from the start; chmod afterwards would leave a window.
    const previous = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(previous);
    }
    chmodSync(path, 0o600);
    address = { kind: 'unix', path };
  } else {
    const { host, port } = opts.listen;
    if (!isLoopback(host)) throw new Error(`refusing to listen on ${host}: TCP is allowed on loopback addresses only`);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address();
    address = { kind: 'tcp', host, port: typeof a === 'object' && a !== null ? a.port : port };
  }

  return {
    address,
    close: (graceMs = SHUTDOWN_GRACE_MS) =>
      new Promise<void>((resolve) => {
        closing = true;
        if (opts.listen.kind === 'unix') rmSync(opts.listen.path, { force: true });
        let serverClosed = false;
        const done = () => {
          if (serverClosed && sockets.size === 0) resolve();
        };
        server.close(() => {
          serverClosed = true;
          done();
        });
        // Open sessions get a short grace period in which any request is answered SESSION_CLOSED
        // (rather than meeting a reset), then are ended, then cut if the peer does not close.
        for (const s of sockets) {
          s.once('close', done);
          setTimeout(() => s.end(), graceMs).unref();
          setTimeout(() => s.destroy(), graceMs + 500).unref();
        }
      }),
  };
}
