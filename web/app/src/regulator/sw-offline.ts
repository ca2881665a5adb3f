/// <reference lib="webworker" />
/**
 * The service worker's part for the regulator console: keeps the console's shell and its hashed
 * code, as the page lists them, so that verifying a bundle works offline. Nothing else is kept:
 * no API answer, no log entry, nothing of the approver app (whose pages stay network only).
 */
const CACHE = 'af-regulator-console-v1';
const SHELL = '/app/regulator';
const ASSET = /^\/app\/assets\/[A-Za-z0-9._-]+\.(js|css)$/;

export function serveConsoleOffline(sw: ServiceWorkerGlobalScope): void {
  sw.addEventListener('message', (e) => {
    const data = e.data as { type?: unknown; assets?: unknown } | null;
    if (data?.type !== 'keep-console' || !Array.isArray(data.assets)) return;
    const assets = data.assets.filter((a): a is string => typeof a === 'string' && (ASSET.test(a) || a === '/app/icon.svg')).slice(0, 200);
    e.waitUntil(
      (async () => {
        const cache = await caches.open(CACHE);
        await cache.add(new Request(SHELL, { cache: 'no-cache', credentials: 'omit' }));
        await Promise.all(assets.map((a) => cache.add(new Request(a, { credentials: 'omit' }))));
        // Files of earlier builds go.
        const wanted = new Set([SHELL, ...assets].map((p) => new URL(p, sw.location.origin).href));
        for (const req of await cache.keys()) if (!wanted.has(req.url)) await cache.delete(req);
      })().catch(() => undefined),
    );
  });

  sw.addEventListener('fetch', (e) => {
    const url = new URL(e.request.url);
    if (e.request.method !== 'GET' || url.origin !== sw.location.origin) return;
    if (e.request.mode === 'navigate' && (url.pathname === SHELL || url.pathname.startsWith(`${SHELL}/`))) {
      // The network first (the gateway's current shell); the kept one when there is no network.
      e.respondWith(fetch(e.request).catch(async () => (await caches.match(SHELL, { cacheName: CACHE })) ?? Response.error()));
    } else if (ASSET.test(url.pathname)) {
      e.respondWith((async () => (await caches.match(e.request, { cacheName: CACHE })) ?? fetch(e.request))());
    }
  });
}
