import { clientAddress } from './client-address.ts';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import { isFirewallError } from '../../core/errors.ts';
import { LIMITS } from '../../core/signature/schemas.ts';
import type { GatewayContext } from '../../gateway/context.ts';
import type { SignatureService } from '../../gateway/signatures/service.ts';
import type { PrincipalRecord } from '../../gateway/ports/principals.ts';
import { ChallengeSocket, HUMAN_ROLES, SESSION_PATH } from './challenge-socket.ts';
import { upgradeSessionPrincipal, type AppSessionSource } from './person-credential.ts';
import { authRefusal } from './auth-refusal.ts';
import { PROBLEM_BASE } from './problem.ts';

function rejectUpgrade(socket: Duplex, status: number, code: string, detail: string): void {
  const body = JSON.stringify({ type: PROBLEM_BASE + code.toLowerCase().replace(/_/g, '-'), title: String(status), status, detail, code });
  const reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : status === 429 ? 'Too Many Requests' : status === 503 ? 'Service Unavailable' : 'Bad Request';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * Serves `GET /v1/challenges/{id}/session` as a WebSocket (ws) on the gateway's own HTTP server.
 * Authentication, first that applies: the person's client assertion (htm GET, htu = PUBLIC_URL +
 * path) in the upgrade's Authorization header; the approver app's session cookie
 * (docs/approver-app.md §Sessions); the client assertion in `hello.authorization` (clients that
 * cannot set headers). An upgrade with an Origin (every browser sends one) must come from one of
 * the WebAuthn origins: a page elsewhere could not complete the passkey assertion anyway, and must
 * not ride on a person's cookie (cross-site WebSocket hijacking).
 */
export function attachChallengeSockets(
  server: Server,
  ctx: GatewayContext,
  service: SignatureService,
  o: { monotonic?: () => number; appSessions?: AppSessionSource } = {},
): { close(): Promise<void> } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxChunkBytes, perMessageDeflate: false });
  const connects = ctx.limits.limiter({ name: 'sig-connect', points: service.config.connectsPerChallenge, durationSec: 600 });
  const monotonic = o.monotonic ?? (() => performance.now());
  const appSessions = o.appSessions ?? (() => undefined);
  const sessions = new Set<ChallengeSocket>();

  const authenticate = async (req: IncomingMessage, socket: Duplex, path: string, address: string): Promise<{ principal: PrincipalRecord | undefined } | undefined> => {
    const origin = req.headers.origin;
    if (origin !== undefined && !service.config.origins.includes(origin)) {
      rejectUpgrade(socket, 403, 'ORIGIN_REFUSED', 'a signature session from a browser must come from one of the gateway\'s WebAuthn origins');
      return undefined;
    }
    if (req.headers.authorization !== undefined) {
      let principal: PrincipalRecord;
      try {
        principal = await ctx.auth.verify(req.headers.authorization, 'GET', path);
      } catch (e) {
        const r = await authRefusal(ctx, address, e);
        rejectUpgrade(socket, r.status, r.code, r.message);
        return undefined;
      }
      if (!principal.roles.some((r) => HUMAN_ROLES.has(r))) {
        rejectUpgrade(socket, 403, 'ROLE_FORBIDDEN', 'signature sessions are for people, never agents');
        return undefined;
      }
      return { principal };
    }
    const app = await upgradeSessionPrincipal({ origin, host: req.headers.host, cookie: req.headers.cookie }, appSessions);
    if (app === undefined) return { principal: undefined }; // the hello brings the client assertion
    if ('refused' in app) {
      rejectUpgrade(socket, app.refused.status, app.refused.code, app.refused.detail);
      return undefined;
    }
    // The app's people are authorizers or comparators; anyone else never signs (as with an assertion).
    if (!app.principal.roles.some((r) => HUMAN_ROLES.has(r))) {
      rejectUpgrade(socket, 403, 'ROLE_FORBIDDEN', 'signature sessions are for people, never agents');
      return undefined;
    }
    return { principal: app.principal };
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    const m = SESSION_PATH.exec(path);
    if (m === null) {
      // Nobody else upgrades on this server: answer rather than leave the socket hanging.
      if (server.listenerCount('upgrade') <= 1) rejectUpgrade(socket, 404, 'ROUTE_NOT_FOUND', `no WebSocket route ${path.slice(0, 200)}`);
      return;
    }
    void (async () => {
      const address = clientAddress(ctx, req);
      try {
        await ctx.limits.checkAuthLock(address);
        await connects.consume(m[1]!);
      } catch (e) {
        // Shared counters that cannot be reached refuse (fail closed), saying so.
        if (isFirewallError(e) && e.status === 503) rejectUpgrade(socket, 503, e.code, e.message);
        else rejectUpgrade(socket, 429, 'RATE_LIMITED', 'too many attempts; try later');
        return;
      }
      const auth = await authenticate(req, socket, path, address);
      if (auth === undefined) return;
      wss.handleUpgrade(req, socket, head, (ws) => {
        const s = new ChallengeSocket(ws, { ctx, service, challengeId: m[1]!, path, address, principal: auth.principal, monotonic });
        sessions.add(s);
        ws.on('close', () => sessions.delete(s));
      });
    })().catch((e: unknown) => {
      ctx.log.error({ err: (e as Error).message }, 'signature session upgrade failed');
      socket.destroy();
    });
  };
  server.on('upgrade', onUpgrade);
  return {
    async close() {
      server.off('upgrade', onUpgrade);
      for (const s of sessions) s.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}
