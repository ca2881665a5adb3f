import { startAuthentication } from '@simplewebauthn/browser';
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';

/** Sign-in with the passkey enrolled through an invitation: no user name, no password. */
export function SignInScreen({ onSignedIn }: { onSignedIn: () => Promise<void> | void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const signIn = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const { ceremonyId, options } = await api<{ ceremonyId: string; options: Parameters<typeof startAuthentication>[0]['optionsJSON'] }>('POST', '/session/options', {});
      const credential = await startAuthentication({ optionsJSON: options });
      await api('POST', '/session', { ceremonyId, credential });
      await onSignedIn();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The passkey was not used. Try again, or ask your administrator for an invitation.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="h-signin">
      <h1 id="h-signin" tabIndex={-1}>
        Sign in
      </h1>
      <p>Use the passkey you created when you were invited. Your phone asks for your fingerprint, face or screen lock.</p>
      <button type="button" class="primary" onClick={signIn} disabled={busy}>
        {busy ? 'Waiting for your passkey…' : 'Sign in with passkey'}
      </button>
      {error !== undefined && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="hint">No passkey yet? Open the invitation link your administrator sent you.</p>
    </section>
  );
}
