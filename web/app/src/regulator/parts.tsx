import type { ComponentChildren } from 'preact';
import { Untrusted } from '../untrusted-text.tsx';
import { utc } from './format.ts';

/** A check's outcome, in words and colour (never colour alone). */
export function Verdict({ ok, children }: { ok: boolean | 'warn' | 'skip'; children: ComponentChildren }) {
  const cls = ok === true ? 'verdict pass' : ok === 'warn' ? 'verdict warn' : ok === 'skip' ? 'verdict skip' : 'verdict fail';
  const word = ok === true ? 'Verified' : ok === 'warn' ? 'Warning' : ok === 'skip' ? 'Not checked' : 'Failed';
  return (
    <span class={cls}>
      <strong>{word}</strong> <span>{children}</span>
    </span>
  );
}

/** Any value from a log entry: strings (which agents and people wrote) as untrusted text, the rest as formatted JSON text. */
export function Value({ v }: { v: unknown }) {
  if (typeof v === 'string') return <Untrusted value={v} />;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return <code>{String(v)}</code>;
  return (
    <pre class="params">
      <Untrusted value={JSON.stringify(v, null, 2)} multiline />
    </pre>
  );
}

/** Every field of a log entry (`ts` also as a date). Nothing is parsed as markup. */
export function EntryFields({ entry }: { entry: Record<string, unknown> }) {
  return (
    <dl class="fields">
      {Object.entries(entry).map(([k, v]) => (
        <div key={k} class="field">
          <dt>
            <Untrusted value={k} warn={false} />
          </dt>
          <dd>
            <Value v={v} />
            {k === 'ts' && typeof v === 'number' && <span class="hint">{utc(v)}</span>}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** The entry's JSON object, or null for text that is not one. */
export function parseEntry(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function ErrorText({ error }: { error: string | undefined }) {
  return error === undefined ? null : (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

/** What an auditor looks for first in an entry, on one line: who, what happened, why. */
const GIST = ['who', 'by', 'person', 'agent', 'role', 'event', 'tier', 'decision', 'rule', 'reason', 'code', 'from', 'status', 'receiptJti'] as const;

export function EntryGist({ entry }: { entry: Record<string, unknown> }) {
  const shown = GIST.filter((k) => typeof entry[k] === 'string' || typeof entry[k] === 'number');
  if (shown.length === 0) return null;
  return (
    <p class="summary">
      {shown.map((k) => (
        <span key={k} class="kv">
          <span class="label">{`${k} `}</span>
          {typeof entry[k] === 'string' ? <Untrusted value={entry[k]} /> : <code>{String(entry[k])}</code>}
        </span>
      ))}
    </p>
  );
}
