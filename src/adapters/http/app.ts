import express, { type Express, type Request, type Response } from 'express';
import { FirewallError } from '../../core/errors.ts';
import type { GatewayContext } from '../../gateway/context.ts';
import { problemHandler, sendProblem } from './problem.ts';
import { actionsRouter, humanEventsRouter } from './routes/actions.ts';
import { sessionsRouter } from './routes/sessions.ts';
import { systemRouter } from './routes/system.ts';

/** Extra routers other capabilities mount (signatures, quorum, log, regulator access). */
export type RouterMount = { path: string; router: express.Router };

export function createApp(ctx: GatewayContext, mounts: RouterMount[] = []): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  // /proxy is served in front of this app, without it (proxy-entrance.ts): the LOW hot path.
  app.use(systemRouter(ctx));
  app.use('/v1/sessions', sessionsRouter(ctx));
  app.use('/v1/actions', actionsRouter(ctx));
  app.use('/v1/events', humanEventsRouter(ctx));
  for (const m of mounts) app.use(m.path, m.router);
  app.use((req: Request, res: Response) => {
    sendProblem(res, new FirewallError('ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`, { status: 404 }), req.originalUrl);
  });
  app.use(problemHandler(ctx.log));
  return app;
}
