import { Untrusted } from '../untrusted-text.tsx';
import { Verdict } from './parts.tsx';
import type { CheckResult, Finding, VerificationReport } from './verifier.ts';

const WORD: Record<CheckResult['status'], string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' };

/** Entries the findings name, in index order, with what each check found there. */
function byEntry(findings: Finding[]): [number, Finding[]][] {
  const m = new Map<number, Finding[]>();
  for (const f of findings) if (f.index !== undefined) m.set(f.index, [...(m.get(f.index) ?? []), f]);
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

/**
 * A verification report as the CLI prints it, per rule and per entry. Findings quote the bundle,
 * which whoever made it controls: shown as untrusted text.
 */
export function ReportView({ report, types }: { report: VerificationReport; types?: Map<number, string> }) {
  const failed = report.checks.filter((c) => c.status === 'fail');
  const entries = byEntry(report.findings);
  const general = report.findings.filter((f) => f.index === undefined);
  return (
    <div class="report">
      <p class={report.ok ? 'banner pass' : 'banner fail'} role="status">
        {report.ok ? 'RESULT: VERIFIED — every check passed.' : `RESULT: FAILED — ${failed.map((c) => c.id).join(', ')}`}
      </p>
      <dl class="fields">
        <div class="field">
          <dt>Log</dt>
          <dd>{report.origin === null ? '(unknown)' : <Untrusted value={report.origin} />}</dd>
        </div>
        {report.range !== null && (
          <div class="field">
            <dt>Range</dt>
            <dd>{`entries [${report.range.start}, ${report.range.end}), ${report.entryCount} in the bundle`}</dd>
          </div>
        )}
        {report.latestCheckpoint !== null && (
          <div class="field">
            <dt>Latest checkpoint</dt>
            <dd>
              {`size ${report.latestCheckpoint.size}, root `}
              <code>{report.latestCheckpoint.rootHash}</code>
            </dd>
          </div>
        )}
      </dl>
      <h3>Per rule</h3>
      <table class="checks-table">
        <caption class="visually-hidden">Every check of the verifier and its outcome</caption>
        <thead>
          <tr>
            <th scope="col">Result</th>
            <th scope="col">Check</th>
            <th scope="col">What it checks</th>
          </tr>
        </thead>
        <tbody>
          {report.checks.map((c) => (
            <tr key={c.id} class={`check-${c.status}`}>
              <td>
                <span class={`status status-${c.status}`}>{WORD[c.status]}</span>
              </td>
              <th scope="row">
                <code>{c.id}</code>
              </th>
              <td>
                {c.title}
                {c.errors > 0 && <span class="count">{` · ${c.errors} error${c.errors === 1 ? '' : 's'}`}</span>}
                {c.warnings > 0 && <span class="count">{` · ${c.warnings} warning${c.warnings === 1 ? '' : 's'}`}</span>}
                {c.note !== undefined && (
                  <span class="hint">
                    <Untrusted value={c.note} warn={false} />
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {general.length > 0 && (
        <>
          <h3>Findings about the whole bundle</h3>
          <ul class="findings">
            {general.map((f, i) => (
              <li key={i}>
                <Verdict ok={f.severity === 'error' ? false : 'warn'}>
                  <code>{f.check}</code>
                  {f.checkpoint !== undefined && ` (checkpoint ${f.checkpoint})`}
                  {': '}
                  <Untrusted value={f.message} />
                </Verdict>
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Per entry</h3>
      {entries.length === 0 ? (
        <p>{`No finding names an entry (${report.entryCount} entries in the bundle).`}</p>
      ) : (
        <>
          <p>{`${entries.length} of ${report.entryCount} entries have findings; the others have none.`}</p>
          <ul class="findings per-entry">
            {entries.map(([index, fs]) => (
              <li key={index} class="card">
                <p>
                  <strong>{`Entry ${index}`}</strong>
                  {types?.get(index) !== undefined && (
                    <>
                      {' '}
                      <code>
                        <Untrusted value={types.get(index)!} warn={false} />
                      </code>
                    </>
                  )}
                </p>
                <ul>
                  {fs.map((f, i) => (
                    <li key={i}>
                      <Verdict ok={f.severity === 'error' ? false : 'warn'}>
                        <code>{f.check}</code>
                        {': '}
                        <Untrusted value={f.message} />
                      </Verdict>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </>
      )}
      {report.omittedFindings > 0 && <p class="hint">{`${report.omittedFindings} further findings are counted but not listed.`}</p>}
    </div>
  );
}

/** The entry types of a bundle by index (for naming entries in the report); nothing is trusted, all is text. */
export function entryTypes(bundle: unknown): Map<number, string> {
  const m = new Map<number, string>();
  const b = bundle as { entries?: unknown; context?: unknown };
  for (const list of [b?.entries, b?.context]) {
    if (!Array.isArray(list)) continue;
    for (const x of list.slice(0, 100_000)) {
      const e = x as { index?: unknown; entry?: unknown };
      if (typeof e?.index !== 'number' || typeof e.entry !== 'string') continue;
      try {
        const t = (JSON.parse(e.entry) as { type?: unknown }).type;
        if (typeof t === 'string') m.set(e.index, t.slice(0, 100));
      } catch {
        // not JSON: the report says so
      }
    }
  }
  return m;
}
