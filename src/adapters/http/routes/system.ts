import express, { type Request, type Response, type Router } from 'express';
import type { KeyPurpose } from '../../../core/signer.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { OPENAPI } from '../openapi.ts';

/** Keys a relying party may need: receipts (actuators), checkpoints (regulators), tokens, webhooks. */
const PUBLISHED: KeyPurpose[] = ['receipt', 'checkpoint', 'token', 'webhook'];

export function systemRouter(ctx: GatewayContext): Router {
  const r = express.Router();

  r.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });

  r.get('/readyz', async (_req: Request, res: Response) => {
    const rd = await ctx.readiness();
    res.status(rd.ready ? 200 : 503).json({ status: rd.ready ? 'ready' : 'not_ready', checks: rd.checks });
  });

  r.get('/metrics', async (_req: Request, res: Response) => {
    const counts = await ctx.store.countByStatus();
    ctx.metrics.coolingDepth.set(counts['cooling'] ?? 0);
    ctx.metrics.awaitingDepth.set({ status: 'awaiting_signature' }, counts['awaiting_signature'] ?? 0);
    ctx.metrics.awaitingDepth.set({ status: 'awaiting_quorum' }, counts['awaiting_quorum'] ?? 0);
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });

  r.get('/.well-known/jwks.json', async (_req: Request, res: Response) => {
    const keys = [];
    for (const purpose of PUBLISHED) {
      const k = await ctx.signer.publicKey(purpose);
      keys.push({ ...k.jwk, kid: k.kid, alg: k.alg, use: 'sig', key_ops: ['verify'], 'af:purpose': purpose, ...(k.x5c.length > 0 ? { x5c: k.x5c } : {}) });
    }
    res.setHeader('cache-control', 'public, max-age=300');
    res.json({ keys });
  });

  r.get('/openapi.json', (_req: Request, res: Response) => {
    res.json(OPENAPI);
  });
  return r;
}
