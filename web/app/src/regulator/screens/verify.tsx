import { useEffect, useState } from 'preact/hooks';
import { offlineReady } from '../offline.ts';
import { ErrorText } from '../parts.tsx';
import { entryTypes, ReportView } from '../report-view.tsx';
import { RootPin } from '../root-pin.tsx';
import { pinnedRoot } from '../trust.ts';
import { failure, verifyBundle, type VerificationReport } from '../verifier.ts';

/** Largest bundle read into the page (a regulator export of 250,000 entries is well under it). */
const MAX_BYTES = 512 * 1024 * 1024;

/**
 * Verify a bundle dropped on the page (or chosen) with the very rules of the CLI verifier
 * (clients/regulator), against the pinned HSM root. Needs no session and no network.
 */
export function VerifyScreen() {
  const [rootSet, setRootSet] = useState(() => pinnedRoot() !== null);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [result, setResult] = useState<{ name: string; report: VerificationReport; types: Map<number, string> } | undefined>();
  const [offline, setOffline] = useState(false);
  useEffect(() => {
    void offlineReady().then(setOffline);
  }, []);

  const verify = async (file: File) => {
    setError(undefined);
    setResult(undefined);
    const root = pinnedRoot();
    if (root === null) {
      setError('Pin the HSM root first: a bundle is checked against it.');
      return;
    }
    if (file.size > MAX_BYTES) {
      setError(`This file is ${Math.round(file.size / 1048576)} MB; the page reads at most ${MAX_BYTES / 1048576} MB. Use the command-line verifier.`);
      return;
    }
    setBusy(`Verifying ${file.name}…`);
    try {
      const text = await file.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // the verifier names it (bundle.format)
      }
      setResult({ name: file.name, report: await verifyBundle(parsed, { rootPem: root }), types: entryTypes(parsed) });
    } catch (e) {
      setError(`The file could not be read: ${failure(e).message}`);
    } finally {
      setBusy(undefined);
    }
  };
  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer?.files[0];
    if (f !== undefined) void verify(f);
  };
  return (
    <section aria-labelledby="h-verify">
      <h1 id="h-verify" tabIndex={-1}>
        Verify a bundle
      </h1>
      <p>
        The same rules as the command-line verifier, run in this browser: signatures, the HSM attestation, every proof, and what the entries say
        happened. Nothing leaves this page.
        {offline && ' The console is stored on this device: this works without a network.'}
      </p>
      {!rootSet && <RootPin onChange={() => setRootSet(pinnedRoot() !== null)} />}
      <div
        class={over ? 'dropzone over' : 'dropzone'}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
      >
        <p>Drop an export bundle (.json) here, or</p>
        <label class="file">
          <span>Choose a bundle file</span>
          <input
            type="file"
            accept=".json,application/json"
            onChange={(e) => {
              const f = (e.target as HTMLInputElement).files?.[0];
              if (f !== undefined) void verify(f);
            }}
          />
        </label>
      </div>
      {busy !== undefined && (
        <p class="status" role="status">
          {busy}
        </p>
      )}
      <ErrorText error={error} />
      {result !== undefined && (
        <>
          <h2>{`Report for ${result.name}`}</h2>
          <ReportView report={result.report} types={result.types} />
        </>
      )}
    </section>
  );
}
