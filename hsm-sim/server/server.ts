/**
 * The device's listening end: a Unix domain socket (mode 0600, the default), plain TCP bound to a
 * loopback address, or TCP with mutual TLS on any address (./tls.ts). One connection is one
 * session; frames on it are answered in order.
 */
import { chmodSync, existsSync, lstatSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { DeviceLog } from '../log.ts';
import { isLoopback } from '../loopback.ts';
import { FrameDecoder, encodeFrame } from '../protocol/frame.ts';
import { deviceError } from '../protocol/error-codes.ts';
import type { Session, Token } from '../token/token.ts';
import { Dispatcher } from './dispatch.ts';
import { clientIdentity, isAllowed, loadAllowList, loadTlsMaterial, type ClientIdentity, type TlsServerFiles } from './tls.ts';

/** How long open sessions are kept (answering SESSION_CLOSED) once shutdown starts. */
const SHUTDOWN_GRACE_MS = 300;

export type Listen = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number; tls?: TlsServerFiles };

export interface ServerOptions {
  token: Token;
  log: DeviceLog;
  listen: Listen;
  maxFrameBytes: number;
  maxConnections?: number;
}

export interface RunningServer {
  address: { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number; tls: boolean };
  /**
   * Re-reads the TLS allow list (SIGHUP) and closes the sessions whose client is no longer on it.
   * Returns how many were closed. A list that no longer parses is refused and the old one kept.
   */
  reloadAllowList(): number;
  /** Stop listening; open sessions get `graceMs` (default 300) answering SESSION_CLOSED, then are closed. */
  close(graceMs?: number): Promise<void>;
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

  const tlsFiles = opts.listen.kind === 'tcp' ? opts.listen.tls : undefined;
  let allowList = tlsFiles === undefined ? undefined : loadAllowList(tlsFiles.allowedClients);
  const clients = new Map<Socket, ClientIdentity>();

  const openSession = (socket: Socket, client?: ClientIdentity): void => {
    sockets.add(socket);
    const session: Session = { id: nextSession++, role: 'public' };
    const decoder = new FrameDecoder(opts.maxFrameBytes);
    opts.log.debug({ event: 'session-open', session: session.id, ...(client === undefined ? {} : { client: client.commonName, fingerprint: client.fingerprint }) }, 'session opened');

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
      clients.delete(socket);
      // The session (and its login) ends with the connection, as a PKCS#11 session does.
      session.role = 'public';
      opts.log.debug({ event: 'session-close', session: session.id }, 'session closed');
    });
  };

  /** A client the CA vouches for but the allow list does not name gets one answer saying so, then the end. */
  const refuseClient = (socket: Socket, client: ClientIdentity): void => {
    opts.log.warn({ event: 'client-refused', client: client.commonName, fingerprint: client.fingerprint }, 'client certificate not on the allow list');
    const err = deviceError('CLIENT_NOT_AUTHORIZED', 'this client certificate is not on the device allow list');
    socket.end(encodeFrame({ id: null, ok: false, error: { code: err.code, message: err.message } }));
    // A peer that does not close its side is cut off.
    setTimeout(() => socket.destroy(), 500).unref();
  };

  let server: Server;
  if (tlsFiles === undefined) {
    server = createServer({ allowHalfOpen: false }, (socket) => openSession(socket));
  } else {
    const material = loadTlsMaterial(tlsFiles);
    server = createTlsServer({ ...material, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', allowHalfOpen: false }, (socket: TLSSocket) => {
      const client = clientIdentity(socket);
      if (client === undefined || allowList === undefined || !isAllowed(allowList, client)) {
        if (client === undefined) socket.destroy();
        else refuseClient(socket, client);
        return;
      }
      clients.set(socket, client);
      openSession(socket, client);
    });
    // Handshake failures. No certificate or TLS < 1.3 end with an alert the peer can read; a chain
    // that does not verify (unknown CA, expired) is found by Node after the handshake and the
    // socket destroyed without an alert, so the peer only sees a close: the log says why.
    server.on('tlsClientError', (e: NodeJS.ErrnoException, socket: TLSSocket) =>
      opts.log.warn({ event: 'tls-refused', code: e.code ?? 'error', ...(socket.authorizationError === undefined ? {} : { reason: String(socket.authorizationError) }) }, 'TLS handshake refused'),
    );
  }
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
    if (!isLoopback(host) && tlsFiles === undefined) throw new Error(`refusing to listen on ${host} without TLS: set HSM_SIM_TLS_CERT, HSM_SIM_TLS_KEY and HSM_SIM_TLS_CLIENT_CA`);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address();
    address = { kind: 'tcp', host, port: typeof a === 'object' && a !== null ? a.port : port, tls: tlsFiles !== undefined };
  }

  return {
    address,
    reloadAllowList: () => {
      if (tlsFiles === undefined) return 0;
      try {
        allowList = loadAllowList(tlsFiles.allowedClients);
      } catch (e) {
        opts.log.error({ event: 'allow-list-refused', err: (e as Error).message }, 'allow list not reloaded; the previous one stays');
        return 0;
      }
      let closed = 0;
      for (const [socket, client] of clients) {
        if (isAllowed(allowList, client)) continue;
        closed++;
        clients.delete(socket);
        // Nothing more from this session is executed, not even frames already in flight.
        socket.removeAllListeners('data');
        refuseClient(socket, client);
      }
      opts.log.info({ event: 'allow-list-reloaded', fingerprints: allowList.fingerprints.size, commonNames: allowList.commonNames.size, sessionsClosed: closed }, 'allow list reloaded');
      return closed;
    },
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
