import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A screen loaded on demand (its own chunk), so what the inbox needs stays small: the comparator's
 * and the witness's screens carry the proof and statement code only they use.
 */
export function Lazy<P extends object>({ load, props }: { load: () => Promise<FunctionComponent<P>>; props: P }) {
  const [Screen, setScreen] = useState<FunctionComponent<P> | undefined>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    load().then(
      (s) => setScreen(() => s),
      () => setFailed(true),
    );
  }, [load]);
  if (failed) {
    return (
      <p class="error" role="alert">
        This screen could not be loaded. Check your connection and try again.
      </p>
    );
  }
  return Screen === undefined ? <p class="boot">Loading…</p> : <Screen {...props} />;
}
