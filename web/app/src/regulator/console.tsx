import { useEffect, useState } from 'preact/hooks';
import { navigate, usePath } from '../router.ts';
import { ConflictAlert } from './conflict-alert.tsx';
import { utc } from './format.ts';
import { ChartsScreen } from './screens/charts.tsx';
import { EnrolScreen } from './screens/enrol.tsx';
import { ExportScreen } from './screens/export.tsx';
import { OverviewScreen } from './screens/overview.tsx';
import { SearchScreen } from './screens/search.tsx';
import { ExpiredScreen, SignInScreen } from './screens/sign-in.tsx';
import { TrailScreen } from './screens/trail.tsx';
import { VerifyScreen } from './screens/verify.tsx';
import { signOut, useSession } from './session.ts';

const NAV: [string, string][] = [
  ['/regulator', 'Overview'],
  ['/regulator/search', 'Search'],
  ['/regulator/charts', 'Charts'],
  ['/regulator/export', 'Export'],
  ['/regulator/verify', 'Verify a bundle'],
];

function Link({ to, children }: { to: string; children: string }) {
  const path = usePath();
  return (
    <a
      href={`/app${to}`}
      aria-current={path === to ? 'page' : undefined}
      onClick={(e) => {
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

/**
 * The regulator console (docs/regulator.md §7): the log as an auditor reads it, every proof
 * checked in this browser. Verifying a dropped bundle needs no session and works offline; the
 * rest needs a passkey sign-in, whose scopes and expiry are those of a regulator access token.
 */
export function Console() {
  const path = usePath();
  const s = useSession();
  const [, tick] = useState(0);
  useEffect(() => {
    const h = document.querySelector<HTMLElement>('main h1');
    h?.focus();
  }, [path, s.kind]);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);

  let screen;
  if (path === '/regulator/enrol') screen = <EnrolScreen />;
  else if (path === '/regulator/verify') screen = <VerifyScreen />;
  else if (s.kind === 'loading') screen = <p class="boot">Loading…</p>;
  else if (s.kind === 'expired') screen = <ExpiredScreen at={s.at} />;
  else if (s.kind === 'none' || path === '/regulator/signin') screen = <SignInScreen />;
  else if (path === '/regulator/search') screen = <SearchScreen />;
  else if (path.startsWith('/regulator/actions/')) screen = <TrailScreen id={decodeURIComponent(path.slice('/regulator/actions/'.length))} />;
  else if (path === '/regulator/charts') screen = <ChartsScreen />;
  else if (path === '/regulator/export') screen = <ExportScreen session={s.session} />;
  else screen = <OverviewScreen />;

  const minutes = s.kind === 'active' ? Math.max(0, Math.ceil((s.session.exp * 1000 - Date.now()) / 60_000)) : 0;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="bar console-bar">
        <span class="brand" aria-hidden="true">
          ◉
        </span>
        <span class="app-name">Regulator console</span>
        {s.kind === 'active' && (
          <span class="who">
            <span>
              <span class="visually-hidden">Signed in as </span>
              {s.session.person}
              <span class="session-left">{` · ${s.session.scopes.map((x) => x.replace('log:', '')).join(', ')} · ends in ${minutes} min`}</span>
            </span>
            <button type="button" class="link" onClick={() => void signOut().then(() => navigate('/regulator/signin'))}>
              Sign out
            </button>
          </span>
        )}
      </header>
      <nav class="console-nav" aria-label="Console">
        <ul>
          {NAV.map(([to, label]) => (
            <li key={to}>
              <Link to={to}>{label}</Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" class="console">
        <ConflictAlert />
        {screen}
        {s.kind === 'active' && <p class="hint footnote">{`Session ${s.session.jti} ends at ${utc(s.session.exp * 1000)}. Every read is recorded in the log.`}</p>}
      </main>
    </>
  );
}
