import { startRegistration } from '@simplewebauthn/browser';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { navigate } from '../router.ts';
import { NoticeText } from '../notice-text.tsx';
import { SigningHost } from './signing-host.tsx';

type Step = 'checking' | 'invalid' | 'passkey' | 'privacy' | 'modalities' | 'calibrate' | 'done';

const MODALITY_TEXT: Record<string, { label: string; hint: string }> = {
  motion: { label: 'Movement', hint: 'You can hold and move your phone as asked.' },
  typing: { label: 'Typing', hint: 'You can type a few words on a keyboard.' },
  voice: { label: 'Voice', hint: 'You can say a few words aloud. Only pitch and loudness leave your phone, never the sound.' },
  hrv: { label: 'Heart rhythm', hint: 'You wear a Bluetooth chest strap or watch that reports heart beats.' },
  gaze: { label: 'Eye movement', hint: 'Needs a native app or an eye-tracking device; not available in the browser.' },
  eda: { label: 'Skin conductance', hint: 'Needs a wearable with its own app; not available in the browser.' },
};

/** Enrolment by invitation: passkey, privacy notice and consent, modalities, calibration. */
export function EnrolScreen({ onSignedIn }: { onSignedIn: () => Promise<void> | void }) {
  const [token] = useState(() => location.hash.slice(1));
  const [step, setStep] = useState<Step>('checking');
  const [person, setPerson] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ text: string; sha256: string } | undefined>();
  const [consent, setConsent] = useState(false);
  const [chosen, setChosen] = useState<string[]>([]);
  const [witness, setWitness] = useState(false);
  const [challengeId, setChallengeId] = useState<string | undefined>();

  useEffect(() => {
    // The token stays in memory only: out of the address bar and the history.
    history.replaceState(null, '', '/app/enrol');
    api<{ person: string }>('POST', '/invitation', { token }).then(
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

  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await f();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : e instanceof Error && e.name === 'NotAllowedError' ? 'The passkey was not created (cancelled or timed out). Try again.' : 'Something went wrong; try again.');
    } finally {
      setBusy(false);
    }
  };

  const createPasskey = () =>
    run(async () => {
      const { ceremonyId, options } = await api<{ ceremonyId: string; options: Parameters<typeof startRegistration>[0]['optionsJSON'] }>('POST', '/enrol/options', { token });
      const credential = await startRegistration({ optionsJSON: options });
      await api('POST', '/enrol', { token, ceremonyId, credential });
      await onSignedIn();
      setNotice(await api<{ text: string; sha256: string }>('GET', '/privacy'));
      setStep('privacy');
    });
  const agree = () =>
    run(async () => {
      await api('POST', '/me/consent', { consent: true, noticeSha256: notice!.sha256 });
      setStep('modalities');
    });
  const declare = () =>
    run(async () => {
      if (chosen.length === 0 && !witness) throw new ApiError('CHOOSE', 400, 'Choose at least one, or the witness option.');
      await api('PUT', '/me/modalities', { modalities: witness ? [] : chosen });
      setStep(witness ? 'done' : 'calibrate');
    });
  const calibrate = () =>
    run(async () => {
      const c = await api<{ id: string }>('POST', '/me/calibration', { modalities: chosen });
      setChallengeId(c.id);
    });

  const total = 4;
  const stepNo = { checking: 0, invalid: 0, passkey: 1, privacy: 2, modalities: 3, calibrate: 4, done: 4 }[step];
  return (
    <section aria-labelledby="h-enrol">
      {step === 'checking' && (
        <h1 id="h-enrol" tabIndex={-1}>
          Checking your invitation…
        </h1>
      )}
      {step === 'invalid' && (
        <>
          <h1 id="h-enrol" tabIndex={-1}>
            Invitation not valid
          </h1>
          <p class="error" role="alert">
            {error}
          </p>
        </>
      )}
      {stepNo > 0 && <p class="step">{`Step ${stepNo} of ${total}`}</p>}
      {step === 'passkey' && (
        <>
          <h1 id="h-enrol" tabIndex={-1}>
            Welcome, <span class="untrusted">{person}</span>
          </h1>
          <p>You were invited to approve what AI agents want to do. First, create a passkey on this phone: it replaces passwords, and only you can use it (fingerprint, face or screen lock).</p>
          <button type="button" class="primary" onClick={createPasskey} disabled={busy}>
            {busy ? 'Creating your passkey…' : 'Create passkey'}
          </button>
        </>
      )}
      {step === 'privacy' && notice !== undefined && (
        <>
          <h1 id="h-enrol" tabIndex={-1}>
            Your privacy
          </h1>
          <p>Before anything is measured, read what is kept and for how long. Only features are kept, never recordings; you can ask for erasure at any time.</p>
          <div class="notice" tabIndex={0} role="region" aria-label="Privacy notice">
            <NoticeText text={notice.text} />
          </div>
          <label class="check">
            <input type="checkbox" checked={consent} onChange={(e) => setConsent((e.currentTarget as HTMLInputElement).checked)} />
            <span>I have read the privacy notice and consent to my biometric features being used and kept as it describes.</span>
          </label>
          <button type="button" class="primary" onClick={agree} disabled={busy || !consent}>
            Agree and continue
          </button>
        </>
      )}
      {step === 'modalities' && (
        <>
          <h1 id="h-enrol" tabIndex={-1}>
            How can you sign?
          </h1>
          <p>Choose what you can do reliably, every time, including on a bad day. Nobody is excluded: if none fits, a witness confirms you in person instead.</p>
          <fieldset>
            <legend>Signals you can produce</legend>
            {Object.entries(MODALITY_TEXT).map(([m, t]) => {
              const unavailable = m === 'gaze' || m === 'eda';
              return (
                <label class="check" key={m}>
                  <input
                    type="checkbox"
                    name="modality"
                    value={m}
                    disabled={witness || unavailable}
                    checked={chosen.includes(m)}
                    onChange={(e) => {
                      const on = (e.currentTarget as HTMLInputElement).checked;
                      setChosen(on ? [...chosen, m] : chosen.filter((x) => x !== m));
                    }}
                    aria-describedby={`hint-${m}`}
                  />
                  <span>
                    {t.label}
                    <span class="hint" id={`hint-${m}`}>
                      {t.hint}
                    </span>
                  </span>
                </label>
              );
            })}
          </fieldset>
          <label class="check">
            <input type="checkbox" checked={witness} onChange={(e) => setWitness((e.currentTarget as HTMLInputElement).checked)} />
            <span>
              None of these works for me: use an institutional witness
              <span class="hint">A compliance officer meets you and confirms with their own passkey.</span>
            </span>
          </label>
          <button type="button" class="primary" onClick={declare} disabled={busy}>
            Continue
          </button>
        </>
      )}
      {step === 'calibrate' && (
        <>
          <h1 id="h-enrol" tabIndex={-1}>
            Calibration
          </h1>
          <p>A few practice sessions teach the firewall how your signals usually look. Each takes about 30 seconds; nothing is authorised. Two sessions on different days are best.</p>
          {challengeId === undefined ? (
            <>
              <button type="button" class="primary" onClick={calibrate} disabled={busy}>
                Start a calibration session
              </button>
              <button type="button" class="secondary" onClick={() => setStep('done')}>
                Later
              </button>
            </>
          ) : (
            <>
              <SigningHost challengeId={challengeId} purpose="enrolment" onDone={(r) => r.accepted && setStep('done')} />
              {/* Calibration is best spread over days: the person may leave it at any point. */}
              <button type="button" class="secondary" onClick={() => setStep('done')}>
                Finish calibration later
              </button>
            </>
          )}
        </>
      )}
      {step === 'done' && (
        <>
          <h1 id="h-enrol" tabIndex={-1}>
            You are enrolled
          </h1>
          <p>When an agent asks for something that needs you, it appears in your inbox{witness ? ', and a witness will meet you to confirm it' : ''}.</p>
          <button type="button" class="primary" onClick={() => navigate('/inbox', true)}>
            Open my inbox
          </button>
        </>
      )}
      {error !== undefined && step !== 'invalid' && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
