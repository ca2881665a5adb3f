import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI } from '../../src/adapters/http/openapi.ts';
import { PROXY_ROUTE } from '../../src/adapters/http/proxy-entrance.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

interface LayerLike {
  rawPath?: unknown;
  route?: { path: string | RegExp; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
}

/** Every (METHOD, path) the express app answers, in OpenAPI path syntax. */
function routesOf(stack: LayerLike[], prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    const raw = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    if (layer.route !== undefined) {
      // A RegExp route like /^\/log\/tile\/.+$/ is documented as /log/tile/{path}.
      const own = layer.route.path instanceof RegExp ? layer.route.path.source.replace(/^\^/, '').replace(/\.\+\$$/, '{path}').replace(/\\\//g, '/') : layer.route.path;
      const path = (prefix + (own === '/' ? '' : own)).replace(/:(\w+)/g, '{$1}').replace('{*rest}', '{path}') || '/';
      const methods = Object.keys(layer.route.methods).filter((m) => m !== '_all');
      if (layer.route.methods['_all']) methods.push('get', 'post', 'put', 'patch', 'delete');
      for (const m of methods) out.push(`${m.toUpperCase()} ${path}`);
    } else if (layer.handle?.stack !== undefined) {
      out.push(...routesOf(layer.handle.stack, prefix + raw));
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  it('is served and is OpenAPI 3.1', async () => {
    const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents exactly the routes the app serves', () => {
    const app = h.gw.app as unknown as { router: { stack: LayerLike[] } };
    // The proxy entrance serves /proxy in front of the app, every method.
    const served = new Set([...routesOf(app.router.stack), ...['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => `${m} ${PROXY_ROUTE}`)]);
    const documented = new Set(
      Object.entries(OPENAPI.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)),
    );
    expect([...served].filter((r) => !documented.has(r)).sort()).toEqual([]);
    expect([...documented].filter((r) => !served.has(r)).sort()).toEqual([]);
    expect(served.size).toBeGreaterThan(10);
  });
});
