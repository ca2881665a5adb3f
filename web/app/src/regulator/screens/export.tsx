import { useEffect, useState } from 'preact/hooks';
import { navigate } from '../../router.ts';
import { ApiError, query, type ConsoleSession } from '../console-api.ts';
import { fromLocalInput, localInput } from '../format.ts';
import { ErrorText } from '../parts.tsx';
import { entryTypes, ReportView } from '../report-view.tsx';
import { sessionLost } from '../session.ts';
import { pinnedRoot } from '../trust.ts';
import { failure, verifyBundle, type VerificationReport } from '../verifier.ts';

interface Exported {
  name: string;
  url: string;
  bytes: number;
  report: VerificationReport | undefined;
  types: Map<number, string>;
}

/** The export's bytes, as the gateway sent them (problem+json refusals become ApiError). */
async function download(params: string): Promise<{ name: string; blob: Blob }> {
  const res = await fetch(`/app/api/regulator/export${params}`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!res.ok) {
    const p = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
    throw new ApiError(p.code ?? `HTTP_${res.status}`, res.status, p.detail ?? `the gateway answered ${res.status}`, p as Record<string, unknown>);
  }
  const name = /filename="([A-Za-z0-9._-]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'log-export.json';
  return { name, blob: await res.blob() };
}

/** Export a range as a signed bundle; it is verified here before it is saved, with the rules any verifier applies. */
export function ExportScreen({ session }: { session: ConsoleSession }) {
  const now = Date.now();
  const [mode, setMode] = useState<'time' | 'index'>('time');
  const [since, setSince] = useState(localInput(now - 24 * 3600_000));
  const [until, setUntil] = useState(localInput(now + 60_000));
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<Exported | undefined>();
  useEffect(() => () => done !== undefined && URL.revokeObjectURL(done.url), [done]);
  const canExport = session.scopes.includes('log:export');

  const run = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setDone(undefined);
    setBusy('Exporting…');
    try {
      const params = mode === 'time' ? query({ since: fromLocalInput(since), until: fromLocalInput(until) }) : query({ fromIndex: from.trim(), toIndex: to.trim() });
      const { name, blob } = await download(params);
      const root = pinnedRoot();
      setBusy('Verifying the bundle in this browser…');
      const text = await blob.text();
      const parsed: unknown = JSON.parse(text);
      const report = root === null ? undefined : await verifyBundle(parsed, { rootPem: root });
      setDone({ name, url: URL.createObjectURL(blob), bytes: blob.size, report, types: entryTypes(parsed) });
    } catch (err) {
      if (!sessionLost(err)) setError(failure(err).message);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section aria-labelledby="h-export">
      <h1 id="h-export" tabIndex={-1}>
        Export a bundle
      </h1>
      {!canExport ? (
        <>
          <p role="status">This session may read the log but not export it. Sign in again and tick “Export bundles”.</p>
          <button type="button" class="secondary" onClick={() => navigate('/regulator/signin')}>
            Sign in again
          </button>
        </>
      ) : (
        <form onSubmit={run}>
          <p>
            A bundle holds the entries of the range, the signed checkpoints, the proofs, the keys with their HSM attestation, the policies in force
            and the earlier entries of every action in the range. The export itself is recorded in the log.
          </p>
          <fieldset>
            <legend>Range</legend>
            <label class="check">
              <input type="radio" name="mode" checked={mode === 'time'} onChange={() => setMode('time')} />
              <span>By time (UTC)</span>
            </label>
            <label class="check">
              <input type="radio" name="mode" checked={mode === 'index'} onChange={() => setMode('index')} />
              <span>By log index</span>
            </label>
            {mode === 'time' ? (
              <div class="row">
                <label class="field-input">
                  <span>From</span>
                  <input type="datetime-local" value={since} onInput={(e) => setSince((e.target as HTMLInputElement).value)} />
                </label>
                <label class="field-input">
                  <span>Until</span>
                  <input type="datetime-local" value={until} onInput={(e) => setUntil((e.target as HTMLInputElement).value)} />
                </label>
              </div>
            ) : (
              <div class="row">
                <label class="field-input">
                  <span>From index</span>
                  <input inputMode="numeric" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} aria-describedby="hint-from" />
                  <span class="hint" id="hint-from">
                    Empty: from the first entry
                  </span>
                </label>
                <label class="field-input">
                  <span>To index (not included)</span>
                  <input inputMode="numeric" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} aria-describedby="hint-to" />
                  <span class="hint" id="hint-to">
                    Empty: to the latest entry
                  </span>
                </label>
              </div>
            )}
          </fieldset>
          <button type="submit" class="primary" disabled={busy !== undefined}>
            Export and verify
          </button>
        </form>
      )}
      {busy !== undefined && (
        <p class="status" role="status">
          {busy}
        </p>
      )}
      <ErrorText error={error} />
      {done !== undefined && (
        <>
          <h2>{done.name}</h2>
          <p>
            <a class="button primary" href={done.url} download={done.name}>
              {`Save the bundle (${Math.max(1, Math.round(done.bytes / 1024))} KB)`}
            </a>
          </p>
          {done.report === undefined ? <p role="status">Not verified here: pin the HSM root on the overview first.</p> : <ReportView report={done.report} types={done.types} />}
        </>
      )}
    </section>
  );
}
