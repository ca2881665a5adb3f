import { startRegistration } from '@simplewebauthn/browser';
import { useEffect, useState } from 'preact/hooks';
import { navigate } from '../../router.ts';
import { ApiError, consoleApi } from '../console-api.ts';
import { ErrorText } from '../parts.tsx';

type Step = 'checking' | 'invalid' | 'passkey' | 'done';

/** A regulator's passkey from an invitation link (the token in the fragment, kept in memory only). */
export function EnrolScreen() {
  const [token] = useState(() => location.hash.slice(1));
  const [step, setStep] = useState<Step>('checking');
  const [person, setPerson] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    history.replaceState(null, '', '/app/regulator/enrol');
    consoleApi<{ person: string }>('POST', '/invitation', { token }).then(
      (d) => {
        setPerson(d.person);
        setStep('passkey');
      },
      (e: unknown) => {
        setError(e instanceof ApiError ? e.message : 'This invitation link could not be checked.');
        setStep('invalid');
      },
    );
  }, []);
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [step]);

  const create = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const { ceremonyId, options } = await consoleApi<{ ceremonyId: string; options: Parameters<typeof startRegistration>[0]['optionsJSON'] }>('POST', '/enrol/options', { token });
      const credential = await startRegistration({ optionsJSON: options });
      await consoleApi('POST', '/enrol', { token, ceremonyId, credential });
      setStep('done');
    } catch (e) {
      setError(e instanceof ApiError ? e.message : e instanceof Error && e.name === 'NotAllowedError' ? 'The passkey was not created (cancelled or timed out). Try again.' : 'Something went wrong; try again.');
    } finally {
      setBusy(false);
    }
  };

  if (step === 'checking') return <p class="boot">Checking your invitation…</p>;
  if (step === 'invalid')
    return (
      <section aria-labelledby="h-enrol">
        <h1 id="h-enrol" tabIndex={-1}>
          Invitation not valid
        </h1>
        <ErrorText error={error} />
      </section>
    );
  if (step === 'done')
    return (
      <section aria-labelledby="h-enrol">
        <h1 id="h-enrol" tabIndex={-1}>
          Your passkey is ready
        </h1>
        <p>It opens the regulator console only: it approves nothing and signs nothing for the firewall.</p>
        <button type="button" class="primary" onClick={() => navigate('/regulator/signin')}>
          Sign in now
        </button>
      </section>
    );
  return (
    <section aria-labelledby="h-enrol">
      <h1 id="h-enrol" tabIndex={-1}>
        {`Welcome, ${person}`}
      </h1>
      <p>
        You were invited to the regulator console of this Analog Firewall: read its transparency log, check its proofs in this browser, export
        signed extracts. Create a passkey on this device to sign in; your device asks for your fingerprint, face or screen lock.
      </p>
      <button type="button" class="primary" onClick={create} disabled={busy}>
        {busy ? 'Waiting for your device…' : 'Create passkey'}
      </button>
      <ErrorText error={error} />
    </section>
  );
}
