import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { decodeJwt, importJWK, jwtVerify, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { EventHub } from '../../../src/adapters/notify/event-hub.ts';
import { ACTIONS_TOPIC, actionTopic } from '../../../src/gateway/ports/event-hub.ts';
import { canonicalDigest, sha256Hex } from '../../../src/core/canonical.ts';
import { listen } from './http.ts';

/**
 * A stand-in for the gateway's agent API (contract D in docs/agent-sdk.md), for SDK tests only.
 * Tiering is a toy: amount >= 10 000 → HIGH, >= 1 000 → MEDIUM, operation 'wipe' → blocked,
 * otherwise LOW. Proxy: GET is LOW (answered by a fake upstream), anything else MEDIUM.
 */

type Status =
  | 'received'
  | 'blocked'
  | 'cooling'
  | 'awaiting_signature'
  | 'awaiting_quorum'
  | 'authorised'
  | 'executing'
  | 'executed'
  | 'failed'
  | 'vetoed'
  | 'expired'
  | 'refused';
const TERMINAL: Status[] = ['blocked', 'executed', 'failed', 'vetoed', 'expired', 'refused'];

interface FakeAction {
  id: string;
  status: Status;
  tier: 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
  decision: string;
  digest: string;
  descriptor: Record<string, unknown>;
  reasons: string[];
  rule: string | null;
  policyHash: string;
  createdAt: string;
  notBefore?: string;
  links: { self: string; events: string };
  result?: { status: number; headers: Record<string, string>; body: string; bodyText?: string };
}

export interface AssertionSeen {
  method: string;
  url: string;
  claims: JWTPayload;
  header: { alg: string; kid?: string };
}

function problem(res: Response, status: number, code: string, detail: string, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(status).type('application/problem+json').send(
    JSON.stringify({ type: `https://analog-firewall.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`, title: code.replaceAll('_', ' '), status, detail, code }),
  );
}

export class FakeGateway {
  url = '';
  readonly hub = new EventHub({ heartbeatMs: 1000 });
  readonly agents = new Map<string, CryptoKey | Uint8Array>();
  readonly assertions: AssertionSeen[] = [];
  readonly actions = new Map<string, FakeAction>();
  coolingMs = 150;
  #jtis = new Set<string>();
  #idem = new Map<string, { hash: string; id: string }>();
  #waiters = new Map<string, Set<() => void>>();
  #throttle: { count: number; retryAfter: string; status: number } | undefined;
  #plain: { count: number; status: number } | undefined;
  #timers = new Set<NodeJS.Timeout>();
  #close: (() => Promise<void>) | undefined;

  static async start(): Promise<FakeGateway> {
    const gw = new FakeGateway();
    const srv = await listen(gw.#app());
    gw.url = srv.url;
    gw.#close = srv.close;
    return gw;
  }

  async register(agentId: string, publicJwk: JWK): Promise<void> {
    const alg = publicJwk.kty === 'EC' ? 'ES256' : 'EdDSA';
    this.agents.set(agentId, (await importJWK({ ...publicJwk, alg: undefined }, alg)) as CryptoKey);
  }

  /** The next `count` authenticated requests get `status` (429 by default) with Retry-After. */
  throttle(count: number, retryAfter = '0', status = 429): void {
    this.#throttle = { count, retryAfter, status };
  }

  /** The next `count` authenticated requests get a bare `status` with a text/plain body (no problem details). */
  failPlain(count: number, status = 502): void {
    this.#plain = { count, status };
  }

  approve(id: string): void {
    this.#authorise(this.actions.get(id)!);
  }

  veto(id: string): void {
    this.#set(this.actions.get(id)!, 'vetoed');
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.hub.close();
    await this.#close?.();
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #set(a: FakeAction, status: Status): void {
    if (TERMINAL.includes(a.status)) return;
    a.status = status;
    this.hub.publish({ topic: actionTopic(a.id), event: 'status', data: a });
    this.hub.publish({ topic: ACTIONS_TOPIC, event: 'status', data: a });
    if (TERMINAL.includes(status)) this.hub.end(actionTopic(a.id));
    const w = this.#waiters.get(a.id);
    if (w) for (const fn of [...w]) fn();
  }

  #execute(a: FakeAction, upstream?: { status: number; body: string }): void {
    const body = upstream?.body ?? JSON.stringify({ transfer: `tr_${a.id}`, state: 'settled' });
    a.result = { status: upstream?.status ?? 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body).toString('base64') };
    this.#set(a, 'executed');
  }

  #authorise(a: FakeAction): void {
    this.#set(a, 'authorised');
    this.#later(20, () => {
      this.#set(a, 'executing');
      this.#later(20, () => this.#execute(a));
    });
  }

  #create(agent: string, descriptor: Record<string, unknown>): FakeAction {
    const id = `act_${randomUUID().slice(0, 8)}`;
    const amount = typeof descriptor.amount === 'number' ? descriptor.amount : 0;
    const tier = amount >= 10_000 ? 'HIGH' : amount >= 1000 ? 'MEDIUM' : 'LOW';
    const a: FakeAction = {
      id,
      status: 'received',
      tier,
      decision: descriptor.operation === 'wipe' ? 'BLOCK' : tier === 'LOW' ? 'ALLOW' : tier === 'MEDIUM' ? 'COOL' : 'SIGN',
      digest: canonicalDigest({ ...descriptor, agent }),
      descriptor: { ...descriptor, agent },
      reasons: [`amount ${amount}`],
      rule: `tier-${tier.toLowerCase()}`,
      policyHash: sha256Hex('fake-policy'),
      createdAt: new Date().toISOString(),
      links: { self: `/v1/actions/${id}`, events: `/v1/actions/${id}/events` },
    };
    this.actions.set(id, a);
    if (a.decision === 'BLOCK') a.status = 'blocked';
    else if (tier === 'MEDIUM') {
      a.status = 'cooling';
      a.notBefore = new Date(Date.now() + this.coolingMs).toISOString();
      this.#later(this.coolingMs, () => this.#authorise(a));
    } else if (tier === 'HIGH') a.status = 'awaiting_signature';
    return a;
  }

  #auth = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const h = req.headers.authorization;
    if (!h?.startsWith('Bearer ')) return problem(res, 401, 'UNAUTHENTICATED', 'missing bearer client assertion');
    const jwt = h.slice(7);
    try {
      const iss = decodeJwt(jwt).iss;
      const key = iss === undefined ? undefined : this.agents.get(iss);
      if (!key) return problem(res, 401, 'UNAUTHENTICATED', 'unknown agent');
      const origin = this.url;
      const { payload, protectedHeader } = await jwtVerify(jwt, key, {
        issuer: iss,
        subject: iss,
        audience: origin,
        requiredClaims: ['iat', 'exp', 'jti', 'htm', 'htu'],
        maxTokenAge: 300,
      });
      if (payload.exp! - payload.iat! > 300) return problem(res, 401, 'UNAUTHENTICATED', 'assertion lives longer than 5 minutes');
      if (payload.htm !== req.method) return problem(res, 401, 'UNAUTHENTICATED', 'htm does not match');
      if (payload.htu !== origin + req.path) return problem(res, 401, 'UNAUTHENTICATED', `htu does not match ${origin + req.path}`);
      if (this.#jtis.has(`${iss}\0${payload.jti}`)) return problem(res, 401, 'ASSERTION_REPLAYED', 'jti already used');
      this.#jtis.add(`${iss}\0${payload.jti}`);
      this.assertions.push({ method: req.method, url: req.originalUrl, claims: payload, header: protectedHeader as AssertionSeen['header'] });
      res.locals.agent = iss;
    } catch (e) {
      return problem(res, 401, 'UNAUTHENTICATED', `bad client assertion: ${(e as Error).message}`);
    }
    if (this.#throttle && this.#throttle.count > 0) {
      this.#throttle.count--;
      return problem(res, this.#throttle.status, this.#throttle.status === 429 ? 'RATE_LIMITED' : 'UNAVAILABLE', 'slow down', { 'Retry-After': this.#throttle.retryAfter });
    }
    if (this.#plain && this.#plain.count > 0) {
      this.#plain.count--;
      return void res.status(this.#plain.status).type('text/plain').send('upstream connect error');
    }
    next();
  };

  #idempotency(req: Request, res: Response, hash: string): { replay?: FakeAction; key: string } | undefined {
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key.length < 1 || key.length > 200) {
      problem(res, 400, 'IDEMPOTENCY_KEY_REQUIRED', 'Idempotency-Key header of 1-200 characters is required');
      return undefined;
    }
    const k = `${res.locals.agent}\0${key}`;
    const seen = this.#idem.get(k);
    if (seen && seen.hash !== hash) {
      problem(res, 422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key was used with a different request');
      return undefined;
    }
    return { replay: seen ? this.actions.get(seen.id) : undefined, key: k };
  }

  #app(): express.Express {
    const app = express();
    app.post('/v1/actions', this.#auth, express.json(), (req, res) => {
      const b = req.body as Record<string, unknown> | undefined;
      if (!b || typeof b.actuator !== 'string' || typeof b.operation !== 'string' || typeof b.target !== 'string' || typeof b.reversibility !== 'string') {
        return problem(res, 400, 'INVALID_ACTION', 'actuator, operation, target and reversibility are required');
      }
      const idem = this.#idempotency(req, res, canonicalDigest(b));
      if (!idem) return;
      if (idem.replay) return void res.status(200).json(idem.replay);
      const a = this.#create(res.locals.agent as string, b);
      this.#idem.set(idem.key, { hash: canonicalDigest(b), id: a.id });
      if (a.tier === 'LOW' && a.status === 'received') {
        this.#set(a, 'authorised');
        this.#execute(a);
        return void res.status(201).json(a);
      }
      res.status(202).json(a);
    });
    app.get('/v1/actions/:id', this.#auth, (req, res) => {
      const a = this.actions.get(String(req.params.id));
      if (!a) return problem(res, 404, 'ACTION_NOT_FOUND', 'no such action');
      const wait = req.query.wait === undefined ? 0 : Number(req.query.wait);
      if (!Number.isInteger(wait) || wait < 0 || wait > 60) return problem(res, 400, 'INVALID_WAIT', 'wait must be 0-60');
      if (wait === 0 || TERMINAL.includes(a.status)) return void res.json(a);
      let set = this.#waiters.get(a.id);
      if (!set) this.#waiters.set(a.id, (set = new Set()));
      const done = (): void => {
        set.delete(done);
        clearTimeout(t);
        if (!res.headersSent) res.json(a);
      };
      const t = setTimeout(done, wait * 1000);
      set.add(done);
      res.on('close', () => {
        set.delete(done);
        clearTimeout(t);
      });
    });
    app.get('/v1/actions/:id/events', this.#auth, (req, res) => {
      const a = this.actions.get(String(req.params.id));
      if (!a) return problem(res, 404, 'ACTION_NOT_FOUND', 'no such action');
      this.hub.subscribe(actionTopic(a.id), req, res, { initial: [{ event: 'status', data: a }] });
      if (TERMINAL.includes(a.status)) this.hub.end(actionTopic(a.id));
    });
    app.all('/proxy/:actuator/{*rest}', this.#auth, express.raw({ type: () => true }), (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const path = req.originalUrl.slice(`/proxy/${req.params.actuator}`.length);
      const descriptor = { actuator: String(req.params.actuator), operation: req.method.toLowerCase(), target: path, reversibility: 'irreversible', parameters: {} };
      const idem = this.#idempotency(req, res, sha256Hex(`${req.method} ${path} ${sha256Hex(body)}`));
      if (!idem) return;
      if (req.method === 'GET') {
        this.#idem.set(idem.key, { hash: sha256Hex(`${req.method} ${path} ${sha256Hex(body)}`), id: 'none' });
        if (path.startsWith('/accepted')) return void res.status(202).json({ queued: true, id: 'job_1' });
        res.setHeader('x-upstream', 'fake-actuator');
        return void res.status(200).json({ method: req.method, path });
      }
      if (idem.replay) return void res.status(202).json(idem.replay);
      const a = this.#create(res.locals.agent as string, { ...descriptor, amount: 5000, bodyLength: body.length });
      this.#idem.set(idem.key, { hash: sha256Hex(`${req.method} ${path} ${sha256Hex(body)}`), id: a.id });
      res.status(202).json(a);
    });
    return app;
  }
}
