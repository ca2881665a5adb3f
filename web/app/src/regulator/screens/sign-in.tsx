import { startAuthentication } from '@simplewebauthn/browser';
import { useState } from 'preact/hooks';
import { navigate, usePath } from '../../router.ts';
import { ApiError, consoleApi } from '../console-api.ts';
import { utc } from '../format.ts';
import { ErrorText } from '../parts.tsx';
import { refreshSession } from '../session.ts';

const LIFETIMES: [number, string][] = [
  [900, '15 minutes'],
  [1800, '30 minutes'],
  [3600, '1 hour'],
];

function SignInForm({ again }: { again: boolean }) {
  const path = usePath();
  const [exportScope, setExportScope] = useState(false);
  const [ttl, setTtl] = useState(900);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const signIn = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const { ceremonyId, options } = await consoleApi<{ ceremonyId: string; options: Parameters<typeof startAuthentication>[0]['optionsJSON'] }>('POST', '/session/options', {});
      const credential = await startAuthentication({ optionsJSON: options });
      await consoleApi('POST', '/session', { ceremonyId, credential, scopes: exportScope ? ['log:read', 'log:export'] : ['log:read'], ttlSeconds: ttl });
      await refreshSession();
      if (path === '/regulator/signin') navigate('/regulator', true);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The passkey was not used. Try again, or ask your administrator for an invitation.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={signIn}>
      <fieldset>
        <legend>What this session may do</legend>
        <label class="check">
          <input type="checkbox" checked disabled aria-describedby="hint-read" />
          <span>
            Read the log
            <span class="hint" id="hint-read">
              Search, action trails with their proofs, charts. Always included.
            </span>
          </span>
        </label>
        <label class="check">
          <input type="checkbox" checked={exportScope} onChange={(e) => setExportScope((e.target as HTMLInputElement).checked)} aria-describedby="hint-export" />
          <span>
            Export bundles
            <span class="hint" id="hint-export">
              Download signed extracts of the log for offline verification.
            </span>
          </span>
        </label>
      </fieldset>
      <fieldset>
        <legend>How long</legend>
        {LIFETIMES.map(([s, label]) => (
          <label class="check" key={s}>
            <input type="radio" name="ttl" checked={ttl === s} onChange={() => setTtl(s)} />
            <span>{label}</span>
          </label>
        ))}
        <span class="hint">A session is never extended; sign in again when it ends.</span>
      </fieldset>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Waiting for your passkey…' : again ? 'Sign in again with passkey' : 'Sign in with passkey'}
      </button>
      <ErrorText error={error} />
    </form>
  );
}

/** Sign-in with the passkey enrolled through a regulator invitation; the regulator chooses scopes and lifetime, as for an access token. */
export function SignInScreen() {
  return (
    <section aria-labelledby="h-signin">
      <h1 id="h-signin" tabIndex={-1}>
        Sign in to the regulator console
      </h1>
      <p>
        Use the passkey you created from your invitation. The session is a regulator access token: scoped, at most one hour, and recorded in the
        log with every read you make.
      </p>
      <SignInForm again={false} />
      <p class="hint">
        Verifying a bundle needs no sign-in: <a href="/app/regulator/verify">verify a bundle</a>.
      </p>
    </section>
  );
}

/** The session ended by its own expiry: said as such, never as an error of the page. */
export function ExpiredScreen({ at }: { at: string | undefined }) {
  return (
    <section aria-labelledby="h-expired">
      <h1 id="h-expired" tabIndex={-1}>
        Your session has expired
      </h1>
      <p class="expired" role="status">
        {at === undefined ? 'Your regulator session has ended.' : `Your regulator session ended at ${utc(Date.parse(at))}.`} Regulator sessions last at most an hour
        and are never extended; nothing was read with it since.
      </p>
      <SignInForm again />
    </section>
  );
}
