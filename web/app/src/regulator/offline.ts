/**
 * Offline verification: once the console has loaded, its service worker keeps its shell and
 * code (never an API answer, nothing from the log), so a bundle can be verified with the
 * network gone. The page tells the worker which files it loaded (web/app/src/regulator/sw-offline.ts).
 */
export async function keepForOffline(): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  try {
    const reg = await navigator.serviceWorker.register('/app/sw.js', { scope: '/app/', type: 'module' });
    const worker = reg.active ?? (await navigator.serviceWorker.ready).active;
    const assets = performance
      .getEntriesByType('resource')
      .map((e) => new URL(e.name))
      .filter((u) => u.origin === location.origin && (u.pathname.startsWith('/app/assets/') || u.pathname === '/app/icon.svg'))
      .map((u) => u.pathname);
    worker?.postMessage({ type: 'keep-console', assets: [...new Set(assets)] });
  } catch {
    // No worker (private mode, an old browser): the console still works online.
  }
}

/** Whether the service worker has the console stored (the page says so to the auditor). */
export async function offlineReady(): Promise<boolean> {
  try {
    return (await caches.keys()).includes('af-regulator-console-v1') && (await (await caches.open('af-regulator-console-v1')).match('/app/regulator')) !== undefined;
  } catch {
    return false;
  }
}
