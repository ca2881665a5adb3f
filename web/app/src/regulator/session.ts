import { useEffect, useState } from 'preact/hooks';
import { ApiError, consoleApi, type ConsoleSession } from './console-api.ts';

export type SessionState =
  | { kind: 'loading' }
  | { kind: 'none' }
  | { kind: 'expired'; at?: string }
  | { kind: 'active'; session: ConsoleSession };

type Listener = (s: SessionState) => void;
const listeners = new Set<Listener>();
let current: SessionState = { kind: 'loading' };

function set(s: SessionState): void {
  current = s;
  for (const l of listeners) l(s);
}

/** What a refusal says about the session: expired, or gone (signed out, revoked). */
export function sessionLost(e: unknown): boolean {
  if (!(e instanceof ApiError)) return false;
  if (e.code === 'REGULATOR_SESSION_EXPIRED') {
    const at = typeof e.extra['expiredAt'] === 'string' ? e.extra['expiredAt'] : current.kind === 'active' ? new Date(current.session.exp * 1000).toISOString() : undefined;
    set(at === undefined ? { kind: 'expired' } : { kind: 'expired', at });
  }
  else if (e.code === 'SESSION_REQUIRED' || e.code === 'AUTH_INVALID') set({ kind: 'none' });
  else return false;
  return true;
}

export async function refreshSession(): Promise<void> {
  try {
    set({ kind: 'active', session: await consoleApi<ConsoleSession>('GET', '/session') });
  } catch (e) {
    if (!sessionLost(e)) set({ kind: 'none' });
  }
}

export async function signOut(): Promise<void> {
  await consoleApi('DELETE', '/session').catch(() => undefined);
  set({ kind: 'none' });
}

/** The console's session, kept current: re-read on demand, marked expired when its time has come. */
export function useSession(): SessionState {
  const [s, setS] = useState<SessionState>(current);
  useEffect(() => {
    listeners.add(setS);
    if (current.kind === 'loading') void refreshSession();
    return () => void listeners.delete(setS);
  }, []);
  useEffect(() => {
    if (s.kind !== 'active') return;
    // The page's own clock says when the hour is up; the gateway says it too on the next request.
    const ms = s.session.exp * 1000 - Date.now();
    const t = setTimeout(() => set({ kind: 'expired', at: new Date(s.session.exp * 1000).toISOString() }), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    return () => clearTimeout(t);
  }, [s]);
  return s;
}
