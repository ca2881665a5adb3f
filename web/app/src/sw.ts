/// <reference lib="webworker" />
/**
 * The approver app's service worker: makes the app installable and shows Web Push notifications.
 * It caches nothing of the approver's: every screen shows the gateway's current state, and nothing
 * an action or a person supplied is kept on the phone (it keeps only the regulator console's code,
 * for offline verification). A push says only that something waits (never what).
 */
import { serveConsoleOffline } from './regulator/sw-offline.ts';

const sw = self as unknown as ServiceWorkerGlobalScope;

sw.addEventListener('install', () => void sw.skipWaiting());
sw.addEventListener('activate', (e) => e.waitUntil(sw.clients.claim()));
// A fetch handler (network only) is part of what makes the app installable in some browsers.
sw.addEventListener('fetch', () => undefined);
// The regulator console's shell and code, for offline verification (never data).
serveConsoleOffline(sw);

sw.addEventListener('push', (e) => {
  let kind = 'signature';
  try {
    kind = (e.data?.json() as { kind?: string } | undefined)?.kind ?? kind;
  } catch {
    /* an unreadable payload still means: look at the inbox */
  }
  const body = kind === 'veto' ? 'An action is cooling; you may veto it.' : 'An action waits for your decision.';
  e.waitUntil(sw.registration.showNotification('Analog Firewall', { body, tag: 'inbox', icon: '/app/icon-192.png' }));
});

sw.addEventListener('notificationclick', (e) => {
  e.notification.close();
  e.waitUntil(sw.clients.openWindow('/app/inbox'));
});
