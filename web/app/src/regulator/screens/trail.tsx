import { useEffect, useState } from 'preact/hooks';
import { Untrusted } from '../../untrusted-text.tsx';
import { consoleApi } from '../console-api.ts';
import { checkAndRemember, type CheckedCheckpoint } from '../checkpoint-check.ts';
import { CheckpointPanel } from '../checkpoint-panel.tsx';
import { duration, utc } from '../format.ts';
import { EntryFields, EntryGist, ErrorText, parseEntry, Value, Verdict } from '../parts.tsx';
import { sessionLost } from '../session.ts';
import { failure, verifyEntryInclusion } from '../verifier.ts';

interface TrailAnswer {
  actionId: string;
  checkpoint: { note: string; size: number };
  entries: { index: number; text: string; inclusion: string[] | null }[];
}

type Proof = { ok: true } | { ok: false; code: string; message: string } | { ok: 'skip'; message: string };

interface CheckedEntry {
  index: number;
  text: string;
  value: Record<string, unknown> | null;
  proof: Proof;
}

const FINAL = new Set(['action.executed', 'action.failed', 'action.vetoed', 'action.expired', 'action.blocked', 'action.unresolved', 'action.outcome_unknown']);

function proofOf(e: TrailAnswer['entries'][number], c: CheckedCheckpoint): Proof {
  if (!c.signature.ok) return { ok: 'skip', message: 'the checkpoint did not verify, so nothing is proven against it' };
  if (e.inclusion === null) return { ok: 'skip', message: 'newer than the checkpoint; check again in a few seconds' };
  try {
    verifyEntryInclusion(e.text, e.index, e.inclusion, c.signature.checkpoint);
    return { ok: true };
  } catch (err) {
    return { ok: false, ...failure(err) };
  }
}

function ActionSummary({ entries }: { entries: CheckedEntry[] }) {
  const v = (type: string) => entries.find((e) => e.value?.['type'] === type || (e.value?.['type'] === 'action.passed' && ['action.received', 'action.classified', 'action.authorised'].includes(type)))?.value ?? undefined;
  const received = v('action.received');
  const classified = v('action.classified');
  const authorised = v('action.authorised');
  const last = [...entries].reverse().find((e) => typeof e.value?.['type'] === 'string' && FINAL.has(e.value['type'] as string))?.value;
  const d = (received?.['descriptor'] ?? {}) as Record<string, unknown>;
  const start = typeof received?.['ts'] === 'number' ? (received['ts'] as number) : undefined;
  const approvals = Array.isArray(authorised?.['approvals']) ? (authorised['approvals'] as Record<string, unknown>[]) : [];
  const row = (label: string, value: unknown) =>
    value === undefined ? null : (
      <div class="field">
        <dt>{label}</dt>
        <dd>
          <Value v={value} />
        </dd>
      </div>
    );
  return (
    <dl class="fields summary-fields">
      {row('Outcome', last?.['type'] ?? 'still in progress')}
      {row('Tier', classified?.['tier'])}
      {row('Decision', classified?.['decision'])}
      {row('Rule', classified?.['rule'])}
      {row('Agent', received?.['agent'])}
      {row('Operation', d['operation'])}
      {row('Actuator', d['actuator'])}
      {row('Target', d['target'])}
      {row('Amount', d['amount'] === undefined ? undefined : `${String(d['amount'])} ${typeof d['currency'] === 'string' ? d['currency'] : ''}`)}
      {approvals.length > 0 && (
        <div class="field">
          <dt>Approvals</dt>
          <dd>
            <ul>
              {approvals.map((a, i) => (
                <li key={i}>
                  <Untrusted value={String(a['who'] ?? '?')} />
                  {` as ${String(a['role'] ?? '?')}`}
                  {typeof a['group'] === 'string' && ` (group ${a['group']})`}
                  {typeof (a['liveness'] as Record<string, unknown> | undefined)?.['modality'] === 'string' && ` · live ${String((a['liveness'] as Record<string, unknown>)['modality'])}`}
                </li>
              ))}
            </ul>
          </dd>
        </div>
      )}
      {start !== undefined && typeof last?.['ts'] === 'number' && row('From request to outcome', duration((last['ts'] as number) - start))}
    </dl>
  );
}

/** An action's whole trail, each entry's inclusion proof checked here against a checkpoint whose signature is checked here. */
export function TrailScreen({ id }: { id: string }) {
  const [checked, setChecked] = useState<{ cp: CheckedCheckpoint; entries: CheckedEntry[] } | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setChecked(undefined);
    setError(undefined);
    (async () => {
      const t = await consoleApi<TrailAnswer>('GET', `/actions/${encodeURIComponent(id)}/trail`);
      const cp = await checkAndRemember(t.checkpoint.note);
      setChecked({ cp, entries: t.entries.map((e) => ({ index: e.index, text: e.text, value: parseEntry(e.text), proof: proofOf(e, cp) })) });
    })().catch((e: unknown) => {
      if (!sessionLost(e)) setError(failure(e).message);
    });
  }, [id]);

  const proven = checked?.entries.filter((e) => e.proof.ok === true).length ?? 0;
  const failed = checked?.entries.filter((e) => e.proof.ok === false).length ?? 0;
  const all = checked !== undefined && proven === checked.entries.length && checked.cp.key.attestation.state === 'verified' && checked.cp.history?.state !== 'conflict';
  return (
    <section aria-labelledby="h-trail">
      <h1 id="h-trail" tabIndex={-1}>
        {'Trail of '}
        <Untrusted value={id} warn={false} />
      </h1>
      <ErrorText error={error} />
      {checked === undefined && error === undefined && <p class="status">Reading and checking…</p>}
      {checked !== undefined && (
        <>
          <p class={all ? 'banner pass' : failed > 0 || checked.cp.history?.state === 'conflict' || !checked.cp.signature.ok ? 'banner fail' : 'banner warn'} role="status">
            {all
              ? `Every proof verified: all ${proven} entries are in the log's signed tree of size ${checked.cp.signature.ok ? checked.cp.signature.checkpoint.size : '?'}, whose key the HSM attests.`
              : failed > 0
                ? `${failed} of ${checked.entries.length} entries FAILED their inclusion proof: the log does not hold them as shown.`
                : `${proven} of ${checked.entries.length} entries verified; see below what could not be.`}
          </p>
          <ActionSummary entries={checked.entries} />
          <h2>The checkpoint the proofs are checked against</h2>
          <CheckpointPanel c={checked.cp} />
          <h2>{`Entries (${checked.entries.length})`}</h2>
          <ol class="trail">
            {checked.entries.map((e) => (
              <li key={e.index} class={`card entry ${e.proof.ok === true ? 'proven' : e.proof.ok === false ? 'unproven' : ''}`}>
                <h3>
                  <code>{String(e.value?.['type'] ?? 'not a JSON object')}</code>
                  <span class="index">{` #${e.index}`}</span>
                </h3>
                {typeof e.value?.['ts'] === 'number' && <p class="hint">{utc(e.value['ts'] as number)}</p>}
                {e.value !== null && <EntryGist entry={e.value} />}
                <p class="proof">
                  {e.proof.ok === true && <Verdict ok>{`inclusion proof: entry ${e.index} is in the signed tree.`}</Verdict>}
                  {e.proof.ok === false && <Verdict ok={false}>{`inclusion proof: ${e.proof.code}: ${e.proof.message}`}</Verdict>}
                  {e.proof.ok === 'skip' && <Verdict ok="skip">{e.proof.message}</Verdict>}
                </p>
                <details>
                  <summary>All fields</summary>
                  {e.value === null ? <Untrusted value={e.text} /> : <EntryFields entry={e.value} />}
                </details>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
