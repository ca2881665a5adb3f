import { useEffect, useMemo, useState } from 'preact/hooks';
import { utc } from './format.ts';
import { forgetLog, historyOf, HISTORY_CHANGED, type Conflict, type SeenCheckpoint } from './history.ts';
import { logKey } from './trust.ts';

/** Two signed checkpoints that cannot both be true, as a file the regulator can keep and show. */
function evidenceUrl(origin: string, c: Conflict): string {
  const doc = { kind: 'analog-firewall.dev/checkpoint-conflict/v1', origin, detectedAt: new Date(c.detectedAt).toISOString(), conflict: c.kind, message: c.message, earlier: c.earlier, later: c.later };
  return URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
}

function Seen({ label, c }: { label: string; c: SeenCheckpoint }) {
  return (
    <div class="field">
      <dt>{label}</dt>
      <dd>
        {`size ${c.size}, seen ${utc(c.seenAt)}, root `}
        <code>{c.rootHash}</code>
      </dd>
    </div>
  );
}

/**
 * On every screen while it stands: the log showed this browser two histories. It stays until the
 * regulator decides to forget what this browser saw (after downloading the two signed notes).
 */
export function ConflictAlert() {
  const [origin, setOrigin] = useState<string | undefined>();
  const [conflict, setConflict] = useState<Conflict | undefined>();
  useEffect(() => {
    logKey().then(
      (k) => setOrigin(k.origin),
      () => undefined,
    );
  }, []);
  useEffect(() => {
    if (origin === undefined) return;
    const read = () => setConflict(historyOf(origin).conflict);
    read();
    addEventListener(HISTORY_CHANGED, read);
    return () => removeEventListener(HISTORY_CHANGED, read);
  }, [origin]);
  const evidence = useMemo(() => (origin === undefined || conflict === undefined ? undefined : evidenceUrl(origin, conflict)), [origin, conflict]);
  useEffect(() => () => evidence !== undefined && URL.revokeObjectURL(evidence), [evidence]);
  if (origin === undefined || conflict === undefined) return null;
  return (
    <section class="conflict" role="alert" aria-labelledby="h-conflict">
      <h2 id="h-conflict">The log's history was rewritten</h2>
      <p>{`${conflict.message.charAt(0).toUpperCase()}${conflict.message.slice(1)}.`}</p>
      <dl class="fields">
        <Seen label="Seen before" c={conflict.earlier} />
        <Seen label="Seen now" c={conflict.later} />
      </dl>
      <p>Both checkpoints carry the log key's signature: together they prove that the operator showed two different histories.</p>
      <div class="actions">
        <a class="button secondary" href={evidence ?? '#'} download="checkpoint-conflict.json">
          Download the evidence
        </a>
        <button type="button" class="secondary" onClick={() => forgetLog(origin)}>
          Forget what this browser saw
        </button>
      </div>
    </section>
  );
}
