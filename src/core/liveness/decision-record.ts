/**
 * Re-checking a recorded acceptance (docs/liveness.md §Acceptance, "Recorded decision"): the log's
 * liveness summary of an accepted session (gateway livenessSummary: per modality the failed check
 * ids, the session's failed check ids, and `decision` — the rule and, for fusion, the per-modality
 * margins, the fused sum and the parameters) must be one the rule accepts. The offline verifier
 * (clients/regulator) runs this on every `signature.verified` entry, so a gateway that records an
 * acceptance its own rule would refuse is caught without the samples (which are never logged).
 */
import { SOFT_CHECKS, WEAK_RESPONSE_CHECKS } from './fusion.ts';
import type { Modality } from './types.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const ids = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);

/**
 * Why a recorded acceptance does not follow its recorded rule, or null. Summaries recorded before
 * the rule was (no `decision`) and refusals are not re-checked. `supporting`: the session's
 * supporting modalities (the entry's `roles.supporting`).
 */
export function recordedDecisionProblem(summary: unknown, supporting: readonly string[] = []): string | null {
  if (!isObj(summary) || summary['accepted'] !== true || summary['decision'] === undefined) return null;
  const d = summary['decision'];
  if (!isObj(d)) return 'the liveness decision is not an object';
  const mods = summary['modalities'];
  if (!isObj(mods) || Object.keys(mods).length === 0) return 'the liveness summary lists no modality';
  const session = ids(summary['failedChecks']);
  if (session === undefined) return 'the liveness summary has no failedChecks list';
  if (session.length > 0) return `accepted although session check(s) failed: ${session.join(', ')}`;
  const names = Object.keys(mods);
  let sup = new Set(supporting.filter((m) => names.includes(m)));
  if (sup.size === names.length) sup = new Set();
  const required = names.filter((m) => !sup.has(m));
  const rule = d['rule'];
  if (rule !== 'all' && rule !== 'supporting' && rule !== 'fusion') return `unknown acceptance rule ${JSON.stringify(rule)}`;
  const softFailed = new Set<string>();
  for (const m of names) {
    const r = mods[m];
    const failed = isObj(r) ? ids(r['failedChecks']) : undefined;
    if (failed === undefined) return `the ${m} summary has no failedChecks list`;
    const weak = sup.has(m) ? (WEAK_RESPONSE_CHECKS[m as Modality] ?? []) : [];
    const hard = failed.filter((id) => !weak.includes(id) && !(rule === 'fusion' && SOFT_CHECKS.has(id)));
    if (hard.length > 0) return `accepted by rule ${rule} although hard check(s) failed: ${hard.join(', ')}`;
    if (failed.some((id) => !weak.includes(id))) softFailed.add(m);
  }
  if (rule !== 'fusion') return null;
  if (required.length < 2) return 'fusion decided a session with fewer than two primary modalities';
  const margins = d['margins'];
  const { floor, minFused, cap, fused } = d as Record<string, unknown>;
  if (!isObj(margins) || !num(floor) || !num(minFused) || !num(cap) || !num(fused)) return 'the fusion decision lacks its margins, fused sum or parameters';
  let sum = 0;
  for (const m of names) {
    const e = margins[m];
    if (!num(e)) return `the fusion decision has no margin for ${m}`;
    if (e < floor && softFailed.size > 0) return `${m} margin ${e} is below the floor ${floor}`;
    if (softFailed.has(m) && e >= 0) return `${m} failed soft checks but its recorded margin ${e} is not negative`;
    if (!softFailed.has(m) && e < 0) return `${m} failed no soft check but its recorded margin ${e} is negative`;
    sum += sup.has(m) ? Math.min(0, e) : Math.min(cap, e);
  }
  // Margins are recorded to 0.001.
  if (Math.abs(sum - fused) > 0.001 * (names.length + 1)) return `the fused sum ${fused} is not the sum of the recorded margins (${Math.round(sum * 1000) / 1000})`;
  // A session with no failed soft check passes the every-check rule, which fusion only relaxes.
  if (softFailed.size > 0 && fused < minFused) return `the fused evidence ${fused} is below ${minFused}`;
  return null;
}
