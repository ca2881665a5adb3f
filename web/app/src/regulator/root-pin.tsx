import { useEffect, useState } from 'preact/hooks';
import { failure } from './verifier.ts';
import { pinRoot, rootSummary, unpinRoot, type CertificateSummary } from './trust.ts';
import { ErrorText } from './parts.tsx';

/** Pinning the HSM root: a PEM or DER file the regulator got out of band (from the HSM's vendor or operator), kept in this browser. */
export function RootPin({ onChange }: { onChange?: () => void }) {
  const [root, setRoot] = useState<CertificateSummary | null | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    void rootSummary().then(setRoot);
  }, []);
  const choose = async (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file === undefined) return;
    setError(undefined);
    try {
      setRoot(await pinRoot(new Uint8Array(await file.arrayBuffer())));
      onChange?.();
    } catch (err) {
      setError(`Not pinned: ${failure(err).message}`);
    }
  };
  if (root === undefined) return null;
  return (
    <div class="root-pin">
      {root === null ? (
        <p>
          <strong>No HSM root is pinned in this browser.</strong> Until one is, nothing proves that the log's key is held by the HSM.
        </p>
      ) : (
        <dl class="fields">
          <div class="field">
            <dt>Pinned HSM root</dt>
            <dd>
              <code>{root.subject}</code>
            </dd>
          </div>
          <div class="field">
            <dt>SHA-256 fingerprint (compare it with the one you were given)</dt>
            <dd>
              <code>{root.sha256}</code>
            </dd>
          </div>
          <div class="field">
            <dt>Valid</dt>
            <dd>{`${root.notBefore.slice(0, 10)} to ${root.notAfter.slice(0, 10)}`}</dd>
          </div>
        </dl>
      )}
      <label class="file">
        <span>{root === null ? 'Pin the HSM root certificate (PEM or DER file)' : 'Replace the pinned root (PEM or DER file)'}</span>
        <input type="file" accept=".pem,.der,.crt,.cer,application/x-pem-file,application/pkix-cert" onChange={choose} />
      </label>
      {root !== null && (
        <button
          type="button"
          class="link"
          onClick={() => {
            unpinRoot();
            setRoot(null);
            onChange?.();
          }}
        >
          Unpin the root
        </button>
      )}
      <ErrorText error={error} />
    </div>
  );
}
