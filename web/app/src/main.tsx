import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Me } from './api.ts';
import { navigate, usePath } from './router.ts';
import { ActionScreen } from './screens/action.tsx';
import { EnrolScreen } from './screens/enrol.tsx';
import { InboxScreen } from './screens/inbox.tsx';
import { SignInScreen } from './screens/sign-in.tsx';
import { SignScreen } from './screens/sign.tsx';
import { Lazy } from './screens/lazy.tsx';
import './styles.css';

// Loaded on demand: only a comparator or a witness needs them (and the proof code they bring).
const comparatorScreen = () => import('./screens/comparator.tsx').then((m) => m.ComparatorScreen);
const witnessScreen = () => import('./screens/witness.tsx').then((m) => m.WitnessScreen);

function App() {
  const path = usePath();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const refreshMe = () =>
    api<Me>('GET', '/me').then(
      (m) => setMe(m),
      () => setMe(null),
    );
  useEffect(() => {
    void refreshMe();
  }, []);
  // Each screen names itself: the title changes and focus moves to its heading (screen readers hear the new page).
  useEffect(() => {
    const h = document.querySelector<HTMLElement>('main h1');
    h?.focus();
  }, [path, me === undefined]);

  const signOut = async () => {
    await api('DELETE', '/session').catch(() => undefined);
    setMe(null);
    navigate('/signin');
  };

  let screen;
  if (path === '/enrol') screen = <EnrolScreen onSignedIn={refreshMe} />;
  else if (me === undefined) screen = <p class="boot">Loading…</p>;
  else if (me === null || path === '/signin') screen = <SignInScreen onSignedIn={async () => { await refreshMe(); navigate('/inbox', true); }} />;
  else if (path.startsWith('/actions/')) screen = <ActionScreen id={decodeURIComponent(path.slice(9))} me={me} />;
  else if (path.startsWith('/sign/')) screen = <SignScreen challengeId={decodeURIComponent(path.slice(6))} />;
  else if (path.startsWith('/comparator/')) screen = <Lazy load={comparatorScreen} props={{ id: decodeURIComponent(path.slice(12)), me }} />;
  else if (path.startsWith('/witness/')) screen = <Lazy load={witnessScreen} props={{ challengeId: decodeURIComponent(path.slice(9)), me }} />;
  else screen = <InboxScreen me={me} />;

  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="bar">
        <span class="brand" aria-hidden="true">◉</span>
        <span class="app-name">Analog Firewall</span>
        {me && path !== '/enrol' && (
          <span class="who">
            <span class="visually-hidden">Signed in as </span>
            {me.id}
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </span>
        )}
      </header>
      <main id="main">{screen}</main>
    </>
  );
}

if ('serviceWorker' in navigator) {
  // Installable and reachable by Web Push; the worker caches nothing that carries data.
  void navigator.serviceWorker.register('/app/sw.js', { scope: '/app/', type: 'module' }).catch(() => undefined);
}
const root = document.getElementById('root')!;
root.textContent = ''; // the static "Loading…" of the shell
render(<App />, root);
