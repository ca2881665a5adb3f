import type { LivenessResult } from '../../core/liveness/index.ts';

/** JSON (and RFC 8785) cannot carry NaN or infinities: a feature that could not be computed is null. */
function finite(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map(finite);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, finite(x)]));
  return v;
}

/** Liveness, reduced to what the log and a profile may keep: decisions (and the rule that made them), scores, features, failed check ids. */
export function livenessSummary(r: LivenessResult): Record<string, unknown> {
  const modalities: Record<string, unknown> = {};
  for (const [m, res] of Object.entries(r.modalities)) {
    if (res === undefined) continue;
    modalities[m] = { accepted: res.accepted, score: finite(res.score), features: finite(res.features), failedChecks: res.checks.filter((c) => !c.passed).map((c) => c.id) };
  }
  // The rule that decided (and, for fusion, the per-modality margins it fused): the offline verifier
  // re-checks an acceptance against it (core/liveness/decision-record.ts).
  const { hardFailures: _, ...decision } = r.decision;
  return { accepted: r.accepted, score: finite(r.score), modalities, failedChecks: r.checks.filter((c) => !c.passed).map((c) => c.id), decision: finite(decision) };
}

/** Detail fields of a refusal that describe the person's body: never logged once the person is erased. */
export const BIOMETRIC_DETAIL: ReadonlySet<string> = new Set(['liveness', 'score', 'reasons']);
