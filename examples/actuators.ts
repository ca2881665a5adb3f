import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import { analogFirewall } from '../clients/actuator/index.ts';

/**
 * Two example actuators for the tour and the tests: a payments API and an infrastructure API.
 * Both sit behind the actuator middleware (no receipt, no effect) and honour Idempotency-Key,
 * which is how "never executed twice" holds even when the gateway resends after a crash.
 */
export interface ExampleActuator {
  name: string;
  server: Server;
  url: string;
  /** Every effect actually carried out, in order (one per idempotency key). */
  executions: { key: string; method: string; path: string; body: unknown; tier: string }[];
  /** Requests that arrived again with a key already executed. */
  duplicates: number;
  close(): Promise<void>;
}

export interface ExampleActuatorOptions {
  name: 'payments' | 'infra';
  gatewayUrl: string;
  issuer: string;
  port?: number;
  host?: string;
  /** Serve the API below this path (e.g. `/pfx`), as behind a policy `upstream: http://host/pfx`. */
  prefix?: string;
  /** Answer this long after carrying out the effect (tests: a crash while the answer is on its way). */
  responseDelayMs?: number;
}

export async function startExampleActuator(o: ExampleActuatorOptions): Promise<ExampleActuator> {
  const app = express();
  const executions: ExampleActuator['executions'] = [];
  const answered = new Map<string, { status: number; body: unknown }>();
  const state = { duplicates: 0 };
  const balances = new Map<string, number>([['acc-1', 12_500], ['acc-2', 310]]);

  // Mounted below the prefix: req.originalUrl, which the receipt's `p` must equal, keeps it.
  const api = express.Router();
  app.use(o.prefix ?? '/', api);
  api.use(analogFirewall({ jwks: new URL('/.well-known/jwks.json', o.gatewayUrl), issuer: o.issuer, audience: o.name }));

  /** Runs an effect once per idempotency key; a resend gets the first answer back. */
  const once_ = (req: Request, res: Response, effect: () => { status: number; body: unknown }) => {
    const key = req.get('idempotency-key') ?? '';
    const prior = answered.get(key);
    if (prior !== undefined) {
      state.duplicates++;
      res.status(prior.status).json(prior.body);
      return;
    }
    const out = effect();
    answered.set(key, out);
    executions.push({ key, method: req.method, path: req.originalUrl, body: req.body, tier: req.analogFirewall?.tier ?? '?' });
    const reply = () => res.status(out.status).json(out.body);
    if (o.responseDelayMs) setTimeout(reply, o.responseDelayMs);
    else reply();
  };

  if (o.name === 'payments') {
    api.get('/balances/:account', (req, res) => {
      once_(req, res, () => ({ status: 200, body: { account: req.params['account'], balance: balances.get(String(req.params['account'])) ?? 0, currency: 'EUR' } }));
    });
    api.post('/transfers', (req, res) => {
      const b = req.body as { payee?: string; amount?: number; currency?: string };
      once_(req, res, () => ({ status: 201, body: { transfer: `tr-${executions.length + 1}`, payee: b.payee, amount: b.amount, currency: b.currency, state: 'settled' } }));
    });
  } else {
    api.get('/status', (req, res) => {
      once_(req, res, () => ({ status: 200, body: { cluster: 'prod-eu-1', healthy: true, nodes: 12 } }));
    });
    api.post('/deployments/:name/scale', (req, res) => {
      const b = req.body as { replicas?: number };
      once_(req, res, () => ({ status: 200, body: { deployment: req.params['name'], replicas: b.replicas } }));
    });
    api.delete('/clusters/:name', (req, res) => {
      once_(req, res, () => ({ status: 202, body: { cluster: req.params['name'], state: 'deleting' } }));
    });
    api.post('/ca/rotate-root', (req, res) => {
      once_(req, res, () => ({ status: 200, body: { rotated: true } }));
    });
  }
  // Descriptor-mode actions (POST /v1/actions) arrive here with the canonical descriptor fields.
  api.post('/analog-firewall/execute', (req, res) => {
    const b = req.body as { operation?: string; target?: string };
    once_(req, res, () => ({ status: 200, body: { executed: b.operation, target: b.target } }));
  });

  const server = app.listen(o.port ?? 0, o.host ?? '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address() as AddressInfo;
  return {
    name: o.name,
    server,
    url: `http://127.0.0.1:${addr.port}${o.prefix ?? ''}`,
    executions,
    get duplicates() {
      return state.duplicates;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
