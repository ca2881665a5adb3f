import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { verifyWebhook } from '../clients/actuator/index.ts';
import { sendProblem } from '../clients/actuator/problem.ts';
import { FirewallError, isFirewallError } from '../src/core/errors.ts';

/**
 * The example webhook receiver of embedded defaults: the example policy notifies
 * http://127.0.0.1:9999/hook, and `npm start` listens there so that a newcomer sees what a
 * receiver gets (one log line per notification) instead of deliveries that fail. It does what a
 * real receiver must (docs/webhooks.md): checks the Standard Webhooks `v1a` signature against the
 * gateway's published webhook key, refuses anything else, and takes each message id once.
 */
export interface Notification {
  /** webhook-id: the same on every retry and on every announcement made again after a restart. */
  id: string;
  /** e.g. `action.awaiting_signature`. */
  type: string;
  /** The action it is about, when the data names one. */
  action: string | undefined;
}

export interface ExampleWebhookReceiver {
  url: string;
  server: Server;
  /** Each message taken, once, in order of arrival. */
  received: Notification[];
  /** How often the gateway's JWKS was fetched. */
  readonly keyFetches: number;
  close(): Promise<void>;
}

export interface ExampleWebhookReceiverOptions {
  /** Where the gateway publishes its keys (/.well-known/jwks.json below it). */
  gatewayUrl: string;
  port?: number;
  host?: string;
  /** Called once per new message, after its signature was checked. */
  onNotification?: (n: Notification) => void;
}

/** Message ids remembered for de-duplication; the oldest are forgotten beyond this. */
const REMEMBERED_IDS = 10_000;

/**
 * A signature that does not match the cached key fetches the JWKS again (a rotated key), at most
 * this often: forged deliveries must not turn into one request to the gateway each. A delivery
 * signed by a key newer than that is refused meanwhile, and the gateway's retry brings it again.
 */
const KEY_REFETCH_MS = 60_000;

/** Refused before any key is fetched: a body that is not a Standard Webhooks payload. */
function payload(body: Buffer): { type: string; action: string | undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new FirewallError('WEBHOOK_PAYLOAD_INVALID', 'the body is not JSON', { status: 400, cause: e });
  }
  const p = parsed as { type?: unknown; data?: { id?: unknown; actionId?: unknown } } | null;
  if (p === null || typeof p !== 'object' || typeof p.type !== 'string') {
    throw new FirewallError('WEBHOOK_PAYLOAD_INVALID', "the body must be an object with a string 'type'", { status: 400 });
  }
  const data = typeof p.data === 'object' && p.data !== null ? p.data : {};
  // action.* carry the action itself; others (signature.challenge_issued) name it in actionId.
  const action = p.type.startsWith('action.') ? data.id : data.actionId;
  return { type: p.type, action: typeof action === 'string' ? action : undefined };
}

export async function startExampleWebhookReceiver(o: ExampleWebhookReceiverOptions): Promise<ExampleWebhookReceiver> {
  const jwksUrl = new URL('/.well-known/jwks.json', o.gatewayUrl);
  let key: JsonWebKey | undefined;
  let fetchedAt = 0;
  let keyFetches = 0;
  /** The gateway's webhook key, fetched on first use and again (KEY_REFETCH_MS apart) when a signature does not match it. */
  const webhookKey = async (fresh: boolean): Promise<JsonWebKey> => {
    if (key !== undefined && !(fresh && Date.now() - fetchedAt >= KEY_REFETCH_MS)) return key;
    fetchedAt = Date.now();
    keyFetches++;
    const res = await fetch(jwksUrl, { signal: AbortSignal.timeout(5_000) }).catch((e: unknown) => {
      throw new FirewallError('WEBHOOK_KEY_UNAVAILABLE', `could not fetch ${jwksUrl.href}`, { status: 503, cause: e });
    });
    const jwks = (await res.json().catch(() => undefined)) as { keys?: unknown } | undefined;
    const found = Array.isArray(jwks?.keys) ? (jwks.keys as Record<string, unknown>[]).find((k) => k['af:purpose'] === 'webhook') : undefined;
    if (!res.ok || found === undefined) throw new FirewallError('WEBHOOK_KEY_UNAVAILABLE', `${jwksUrl.href} publishes no webhook key`, { status: 503 });
    key = found as JsonWebKey;
    return key;
  };
  const verify = async (headers: Record<string, string | string[] | undefined>, body: Buffer) => {
    try {
      return verifyWebhook(headers, body, { publicKey: await webhookKey(false) });
    } catch (e) {
      if (!isFirewallError(e) || e.code !== 'WEBHOOK_SIGNATURE_INVALID') throw e;
      const current = key;
      const again = await webhookKey(true);
      if (again === current) throw e;
      return verifyWebhook(headers, body, { publicKey: again });
    }
  };

  const received: Notification[] = [];
  const seen = new Set<string>();
  const app = express();
  app.post('/hook', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    void (async () => {
      const { type, action } = payload(body);
      const { id } = await verify(req.headers, body);
      if (!seen.has(id)) {
        seen.add(id);
        if (seen.size > REMEMBERED_IDS) seen.delete(seen.values().next().value!);
        const n = { id, type, action };
        received.push(n);
        o.onNotification?.(n);
      }
      res.status(204).end();
    })().catch((e: unknown) => sendProblem(res, e));
  });
  app.use((req, res) => sendProblem(res, new FirewallError('ROUTE_NOT_FOUND', `this receiver takes POST /hook only, not ${req.method} ${req.path.slice(0, 200)}`, { status: 404 })));
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = typeof (err as { status?: unknown } | null)?.status === 'number' ? (err as { status: number }).status : 400;
    sendProblem(res, new FirewallError('WEBHOOK_PAYLOAD_INVALID', 'the body could not be read (over 1 MiB, or a bad encoding)', { status, cause: err }));
  });

  const server = app.listen(o.port ?? 0, o.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    server,
    received,
    get keyFetches() {
      return keyFetches;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
