import type { EvidencePackage, EvidenceReport } from '../api.ts';
import { Untrusted } from '../untrusted-text.tsx';

/** NumericDate seconds (or ms) as local time. */
function when(at: number): string {
  return new Date(at < 1e11 ? at * 1000 : at).toLocaleString();
}

/** The liveness summary the proven `signature.verified` entry carries: modalities, score, accepted per modality. */
function liveness(entry: Record<string, unknown> | undefined): string {
  if (entry === undefined) return 'not proven';
  if (entry['mode'] === 'witness') return 'witnessed in person (no modality)';
  if (entry['mode'] === 'cosign') return 'co-signed this evidence with a passkey';
  const modalities = Array.isArray(entry['modalities']) ? (entry['modalities'] as unknown[]).filter((m): m is string => typeof m === 'string') : [];
  // signature.verified: liveness = { accepted, score, modalities: { <modality>: { accepted, score, … } } } (protocol.md §4).
  const lv = entry['liveness'] !== null && typeof entry['liveness'] === 'object' ? (entry['liveness'] as { modalities?: Record<string, { accepted?: unknown } | undefined> }) : {};
  const per = lv.modalities ?? {};
  const accepted = modalities.filter((m) => per[m]?.accepted === true);
  const score = typeof entry['score'] === 'number' ? `, score ${entry['score'].toFixed(2)}` : '';
  if (modalities.length === 0) return 'no biological signature';
  return `live ${modalities.join(' + ')}: ${accepted.length} of ${modalities.length} accepted${score}`;
}

/** The checks the page ran, failures first in words nobody can misread. */
export function Checks({ report }: { report: EvidenceReport }) {
  return (
    <section aria-labelledby="h-checks">
      <h2 id="h-checks">Checked in this browser</h2>
      {report.ok ? (
        <p class="ok verdict" role="status">
          ✓ Every check passed.
        </p>
      ) : (
        <p class="error verdict" role="alert">
          ✗ Verification failed. Do not co-sign: this evidence does not prove what it claims.
        </p>
      )}
      <ul class="checks">
        {report.checks.map((c) => (
          <li key={c.id} class={c.ok ? (c.warning === true ? 'warn' : 'pass') : 'fail'}>
            <span class="mark" aria-hidden="true">
              {c.ok ? (c.warning === true ? '!' : '✓') : '✗'}
            </span>
            <span class="visually-hidden">{c.ok ? (c.warning === true ? 'Passed, compare it yourself: ' : 'Passed: ') : 'Failed: '}</span>
            <strong>{c.label}</strong>
            {/* The verifier's own words (text, never markup). */}
            <span class="hint untrusted">{c.detail}</span>
          </li>
        ))}
      </ul>
      {report.anchor !== undefined && (
        <p>
          <span class="label">{report.anchor.kind === 'hsm-root' ? 'HSM root certificate (SHA-256) ' : 'Log key (SHA-256) '}</span>
          <code class="wrap">{report.anchor.fingerprint}</code>
          <span class="hint">Compare it with the fingerprint your institution pinned: the checks above rest on it.</span>
        </p>
      )}
    </section>
  );
}

/** Where the quorum stands, as far as a package that passed its checks says. */
function quorumNote(e: EvidencePackage, r: EvidenceReport): string {
  if (!r.ok) return 'What the package says about the quorum cannot be relied on: it failed its checks.';
  if (e.action.status !== 'awaiting_quorum') return `The action no longer awaits its quorum: it is ${e.action.status.replace(/_/g, ' ')}.`;
  return e.quorum?.quorumMet === true ? 'The approvers’ quorum is complete: your co-signature is what remains.' : 'The approvers’ quorum is not complete yet: you can co-sign once it is.';
}

/** Who approved, when, with what liveness, each against its proven log entry. */
export function Approvals({ evidence, report }: { evidence: EvidencePackage; report: EvidenceReport }) {
  return (
    <section aria-labelledby="h-approvals">
      <h2 id="h-approvals">Approvals so far</h2>
      {report.approvals.length === 0 ? (
        <p>Nobody has approved yet.</p>
      ) : (
        <ul class="cards">
          {report.approvals.map((p) => (
            <li key={`${p.approval.who}-${p.approval.logIndex ?? ''}`}>
              <article class="card" aria-label={`approval by ${p.approval.who}`}>
                <p>
                  <strong>
                    <Untrusted value={p.approval.who} warn={false} />
                  </strong>
                  <span class="label">{` · ${p.approval.role}${p.approval.group === undefined ? '' : ` in ${p.approval.group}`}`}</span>
                  {p.approval.onBehalfOf !== undefined && (
                    <>
                      <span class="label"> · for </span>
                      <Untrusted value={p.approval.onBehalfOf} warn={false} />
                    </>
                  )}
                </p>
                <p>{when(p.approval.at)}</p>
                <p>{liveness(p.entry)}</p>
                <p class="hint">
                  passkey <code>{p.approval.device.slice(0, 12)}…</code> · log entry {p.approval.logIndex ?? '—'}
                  {!p.counted && ' · recorded, not counted'}
                </p>
                <p class={p.ok ? 'ok' : 'error'}>{p.ok ? '✓ Proven in the signed log' : '✗ Not proven by the log'}</p>
              </article>
            </li>
          ))}
        </ul>
      )}
      {evidence.quorum !== null && <p class={!report.ok ? 'error' : evidence.quorum.quorumMet ? 'ok' : 'status'}>{quorumNote(evidence, report)}</p>}
    </section>
  );
}
