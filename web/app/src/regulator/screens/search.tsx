import { useState } from 'preact/hooks';
import { navigate } from '../../router.ts';
import { Untrusted } from '../../untrusted-text.tsx';
import { consoleApi, query } from '../console-api.ts';
import { fromLocalInput, utc } from '../format.ts';
import { EntryGist, ErrorText, parseEntry } from '../parts.tsx';
import { sessionLost } from '../session.ts';
import { failure } from '../verifier.ts';

const TEXT_FIELDS: [key: string, label: string, hint: string][] = [
  ['actionId', 'Action', 'Its id, act_…'],
  ['person', 'Person', 'Who approved, vetoed, signed, or was asked'],
  ['agent', 'Agent', 'The agent that asked for the action'],
  ['rule', 'Policy rule', 'The rule that classified or blocked it'],
];
const TYPES = ['action.received', 'action.classified', 'action.passed', 'action.cooling', 'action.awaiting_signature', 'action.awaiting_quorum', 'action.blocked', 'action.authorised', 'action.dispatched', 'action.executed', 'action.failed', 'action.vetoed', 'action.expired', 'signature.verified', 'signature.refused', 'policy.activated', 'regulator.token_issued', 'regulator.read', 'regulator.export'];
const PAGE = 50;

interface Row {
  index: number;
  text: string;
}

/** Search the log by action, person, agent, rule, tier, decision, type and time; each hit opens its action's trail. */
export function SearchScreen() {
  const [f, setF] = useState<Record<string, string>>({});
  const [rows, setRows] = useState<Row[] | undefined>();
  const [more, setMore] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const set = (k: string) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  const params = (after?: number) => query({ ...Object.fromEntries(TEXT_FIELDS.map(([k]) => [k, f[k]?.trim()])), tier: f['tier'], decision: f['decision'], type: f['type'], since: fromLocalInput(f['since'] ?? ''), until: fromLocalInput(f['until'] ?? ''), limit: PAGE, after });
  const run = async (after?: number) => {
    setBusy(true);
    setError(undefined);
    try {
      const got = (await consoleApi<{ entries: Row[] }>('GET', `/entries${params(after)}`)).entries;
      setRows(after === undefined ? got : [...(rows ?? []), ...got]);
      setMore(got.length === PAGE);
      // A new search takes the reader to its results (on a phone they are below the form).
      if (after === undefined) requestAnimationFrame(() => document.getElementById('h-results')?.focus());
    } catch (e) {
      if (!sessionLost(e)) setError(failure(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="h-search">
      <h1 id="h-search" tabIndex={-1}>
        Search the log
      </h1>
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        {TEXT_FIELDS.map(([k, label, hint]) => (
          <label key={k} class="field-input">
            <span>{label}</span>
            <input value={f[k] ?? ''} onInput={set(k)} autocomplete="off" spellcheck={false} aria-describedby={`hint-${k}`} />
            <span class="hint" id={`hint-${k}`}>
              {hint}
            </span>
          </label>
        ))}
        <label class="field-input">
          <span>Tier</span>
          <select value={f['tier'] ?? ''} onChange={set('tier')}>
            <option value="">any</option>
            {['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label class="field-input">
          <span>Decision</span>
          <select value={f['decision'] ?? ''} onChange={set('decision')}>
            <option value="">any</option>
            <option>ALLOW</option>
            <option>BLOCK</option>
          </select>
        </label>
        <label class="field-input">
          <span>Entry type</span>
          <select value={f['type'] ?? ''} onChange={set('type')}>
            <option value="">any</option>
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label class="field-input">
          <span>From (UTC)</span>
          <input type="datetime-local" value={f['since'] ?? ''} onInput={set('since')} />
        </label>
        <label class="field-input">
          <span>Until (UTC)</span>
          <input type="datetime-local" value={f['until'] ?? ''} onInput={set('until')} />
        </label>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Searching…' : 'Search'}
          </button>
        </div>
      </form>
      <ErrorText error={error} />
      {rows !== undefined && (
        <>
          <h2 id="h-results" tabIndex={-1}>{`${rows.length}${more ? '+' : ''} ${rows.length === 1 ? 'entry' : 'entries'}`}</h2>
          <ol class="results" aria-labelledby="h-results">
            {rows.map((r) => {
              const e = parseEntry(r.text) ?? {};
              const id = typeof e['actionId'] === 'string' ? e['actionId'] : undefined;
              return (
                <li key={r.index} class="card">
                  <p>
                    <strong>{`#${r.index} `}</strong>
                    <code>{String(e['type'] ?? '?')}</code>
                    {typeof e['ts'] === 'number' && <span class="hint">{utc(e['ts'])}</span>}
                  </p>
                  <EntryGist entry={e} />
                  {id !== undefined && (
                    <p>
                      <a
                        href={`/app/regulator/actions/${encodeURIComponent(id)}`}
                        onClick={(ev) => {
                          ev.preventDefault();
                          navigate(`/regulator/actions/${encodeURIComponent(id)}`);
                        }}
                      >
                        {'Trail of '}
                        <Untrusted value={id} warn={false} />
                      </a>
                    </p>
                  )}
                </li>
              );
            })}
          </ol>
          {more && (
            <button type="button" class="secondary" disabled={busy} onClick={() => void run(rows[rows.length - 1]!.index)}>
              More
            </button>
          )}
        </>
      )}
    </section>
  );
}
