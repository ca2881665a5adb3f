import { useEffect, useState } from 'preact/hooks';
import { navigate } from '../../router.ts';
import { latestCheckpointNote } from '../console-api.ts';
import { checkAndRemember, type CheckedCheckpoint } from '../checkpoint-check.ts';
import { CheckpointPanel } from '../checkpoint-panel.tsx';
import { ErrorText } from '../parts.tsx';
import { RootPin } from '../root-pin.tsx';
import { sessionLost } from '../session.ts';
import { logKey, rootSummary, type CertificateSummary } from '../trust.ts';
import { failure } from '../verifier.ts';

/** The latest signed checkpoint, the HSM attestation chain of the key that signed it, and the pinned root. */
export function OverviewScreen() {
  const [checked, setChecked] = useState<CheckedCheckpoint | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [actionId, setActionId] = useState('');
  const [root, setRoot] = useState<CertificateSummary | null>(null);
  const load = async (refreshKey: boolean) => {
    setError(undefined);
    try {
      if (refreshKey) await logKey(true);
      setRoot(await rootSummary());
      setChecked(await checkAndRemember(await latestCheckpointNote()));
    } catch (e) {
      if (!sessionLost(e)) setError(`The checkpoint could not be checked: ${failure(e).message}`);
    }
  };
  useEffect(() => {
    void load(false);
  }, []);
  return (
    <section aria-labelledby="h-overview">
      <h1 id="h-overview" tabIndex={-1}>
        The log
      </h1>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (actionId.trim() !== '') navigate(`/regulator/actions/${encodeURIComponent(actionId.trim())}`);
        }}
      >
        <label for="go-action">Open an action's trail by its id</label>
        <div class="row">
          <input id="go-action" value={actionId} onInput={(e) => setActionId((e.target as HTMLInputElement).value)} placeholder="act_…" autocomplete="off" spellcheck={false} />
          <button type="submit" class="secondary">
            Open
          </button>
        </div>
      </form>
      <h2>Latest signed checkpoint</h2>
      <p class="hint">Checked in this browser with the log's Ed25519 key; the consistency proof from the checkpoint seen before is checked here too.</p>
      {checked === undefined ? <p class="status">{error === undefined ? 'Checking…' : ''}</p> : <CheckpointPanel c={checked} />}
      <ErrorText error={error} />
      <button type="button" class="secondary" onClick={() => void load(false)}>
        Check again
      </button>
      <h2>HSM attestation chain of the log key</h2>
      {checked !== undefined && (
        <ol class="chain">
          {checked.key.chain.map((c, i) => (
            <li key={c.sha256}>
              <p>
                <strong>{i === 0 ? 'Key certificate' : i === checked.key.chain.length - 1 ? 'Top of the chain' : 'Intermediate'}</strong>
                {`: ${c.subject}`}
                {root !== null && root.sha256 === c.sha256 && <strong class="ok">{' — the pinned root'}</strong>}
              </p>
              <p class="hint">{`issued by ${c.issuer}; valid ${c.notBefore.slice(0, 10)} to ${c.notAfter.slice(0, 10)}`}</p>
              <p class="hint">
                SHA-256 <code>{c.sha256}</code>
              </p>
            </li>
          ))}
        </ol>
      )}
      <h2>Trust anchor</h2>
      <RootPin onChange={() => void load(true)} />
    </section>
  );
}
