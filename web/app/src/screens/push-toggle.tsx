import { useEffect, useState } from 'preact/hooks';
import { api, type Me } from '../api.ts';

/** Web Push on this phone: the gateway then tells it, app closed, that something awaits (never what). */
export function PushToggle(_: { me: Me }) {
  const [key, setKey] = useState<string | undefined>();
  const [state, setState] = useState<'idle' | 'on' | 'denied' | 'failed'>('idle');
  useEffect(() => {
    void api<{ vapidPublicKey?: string }>('GET', '/config').then((c) => setKey(c.vapidPublicKey), () => undefined);
  }, []);
  if (key === undefined || !('PushManager' in window) || !('serviceWorker' in navigator)) return null;
  const enable = async () => {
    try {
      if ((await Notification.requestPermission()) !== 'granted') {
        setState('denied');
        return;
      }
      const reg = await navigator.serviceWorker.ready;
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: Uint8Array.from(atob(key.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)) });
      await api('POST', '/push/subscriptions', sub.toJSON());
      setState('on');
    } catch {
      setState('failed');
    }
  };
  return (
    <section class="push" aria-labelledby="h-push">
      <h2 id="h-push">Notifications</h2>
      {state === 'on' ? (
        <p role="status">This phone will be notified when something waits for you.</p>
      ) : (
        <button type="button" class="secondary" onClick={enable}>
          Notify me on this phone
        </button>
      )}
      {state === 'denied' && <p role="status">Notifications are blocked for this app in your browser settings.</p>}
      {state === 'failed' && <p role="status">This browser could not subscribe to notifications.</p>}
    </section>
  );
}
