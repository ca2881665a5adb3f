import { startAuthentication } from '@simplewebauthn/browser';
import { useEffect, useState } from 'preact/hooks';
import { descriptorDigest } from '../../../../src/core/signature/device-protocol.ts';
import { api, ApiError, signingDevice, type Me } from '../api.ts';
import { checkWitnessOptions } from '../cosign/statements.ts';
import { loadConfusables, Untrusted } from '../untrusted-text.tsx';
import { BackToInbox, ErrorAlert, usePasskeyStep } from './common.tsx';
import { ActionSummary, type SummaryDescriptor } from './action-summary.tsx';

interface WitnessChallenge {
  id: string;
  mode: string;
  person: string;
  actionId?: string;
  digest: string;
  state: string;
  expiresAt: string;
  descriptor?: SummaryDescriptor & Record<string, unknown>;
  summary?: { text: string; tier?: string };
}

type Options = Parameters<typeof checkWitnessOptions>[0] & { options: Parameters<typeof startAuthentication>[0]['optionsJSON'] };

/**
 * The institutional witness (docs/protocol.md §7, the fallback of §VI.2 Threat 2): a person who
 * can produce no modality authorises in front of a comparator, who confirms it with their own
 * passkey. The screen shows what the person authorises (checked against its digest), says what
 * the witness attests, and signs only once both confirmations are ticked and the statement the
 * gateway hands back is the one shown.
 */
export function WitnessScreen({ challengeId, me }: { challengeId: string; me: Me }) {
  const [c, setC] = useState<WitnessChallenge | undefined>();
  const { busy, error, setError, run } = usePasskeyStep('Nothing was witnessed.');
  const [met, setMet] = useState(false);
  const [heard, setHeard] = useState(false);
  const [done, setDone] = useState<string | undefined>();

  useEffect(() => {
    Promise.all([api<WitnessChallenge>('GET', `/challenges/${encodeURIComponent(challengeId)}`), loadConfusables()]).then(
      ([x]) => {
        // What you see is what you sign: the action shown must be the one the digest names.
        if (x.mode !== 'witness' || x.descriptor === undefined || descriptorDigest(x.descriptor) !== x.digest) setError('This request does not add up (its action does not match its digest). Do not witness it.');
        else setC(x);
      },
      (e: unknown) => setError(e instanceof ApiError ? e.message : 'This witness request could not be loaded.'),
    );
  }, [challengeId]);
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [c === undefined]);

  const credentialId = signingDevice(me);
  const confirm = () =>
    run(async () => {
      if (c === undefined || credentialId === undefined) return;
      const o = await api<Options>('POST', `/challenges/${encodeURIComponent(c.id)}/witness/options`, { credentialId });
      checkWitnessOptions(o, { challengeId: c.id, digest: c.digest, person: c.person, witness: me.id, credentialId });
      const credential = await startAuthentication({ optionsJSON: o.options });
      await api('POST', `/challenges/${encodeURIComponent(c.id)}/witness`, { credential });
      setDone('Witnessed. Your confirmation is recorded in the log and counts as their authorisation.');
    });

  return (
    <article aria-labelledby="h-witness" class="detail">
      <BackToInbox />
      <h1 id="h-witness" tabIndex={-1}>
        Witness request
      </h1>
      {c === undefined && error === undefined && <p class="boot">Loading…</p>}
      {c !== undefined && (
        <>
          <p>
            <Untrusted value={c.person} warn={false} />
            {' uses no signal a phone can measure. They can authorise this action in front of you, an independent witness.'}
          </p>
          <ActionSummary descriptor={c.descriptor!} digest={c.digest} tier={c.summary?.tier ?? ''} />
          <section aria-labelledby="h-attest" class="decide">
            <h2 id="h-attest">What you confirm</h2>
            <ol>
              <li>You are with them in person and you checked who they are.</li>
              <li>You read them the action above, with its fingerprint, and they authorise it.</li>
            </ol>
            <fieldset>
              <legend>Before you sign</legend>
              <label class="check">
                <input type="checkbox" checked={met} onChange={(e) => setMet((e.currentTarget as HTMLInputElement).checked)} />
                <span>
                  {'I am with '}
                  <Untrusted value={c.person} warn={false} />
                  {' in person and checked who they are.'}
                </span>
              </label>
              <label class="check">
                <input type="checkbox" checked={heard} onChange={(e) => setHeard((e.currentTarget as HTMLInputElement).checked)} />
                <span>They heard this action and its fingerprint, and they authorise it.</span>
              </label>
            </fieldset>
            {done !== undefined ? (
              <p class="ok" role="status">
                {done}
              </p>
            ) : (
              <button type="button" class="primary" onClick={confirm} disabled={busy || !met || !heard || credentialId === undefined}>
                {busy ? 'Waiting for your passkey…' : 'Confirm with passkey'}
              </button>
            )}
            <p class="hint">Expires {new Date(c.expiresAt).toLocaleString()}.</p>
          </section>
        </>
      )}
      <ErrorAlert text={error} />
    </article>
  );
}
