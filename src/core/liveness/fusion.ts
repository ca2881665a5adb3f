/**
 * Acceptance of a multi-modality session (docs/liveness.md §Acceptance).
 *
 * Every check is hard or soft. A hard check is evidence of an attack or an impossibility (implausible
 * values, signals too regular or too clean, a copy, re-used elements, a stream ahead of or behind real
 * time, truncation, the wrong words, keys no keyboard produced, contradicting modalities, a seam where
 * two recordings were cut together): one failure rejects, under every rule. A soft check is
 * statistical (SOFT_CHECKS): a genuine person falls somewhat outside a modelled range now and then,
 * and requiring every soft check of every modality to pass compounds those rare misses modality by
 * modality. So, with two or more primary modalities, the soft checks are fused at score level
 * (Kittler et al. 1998, sum rule; Ross & Jain 2003; ISO/IEC TR 24722): each modality's soft evidence
 * is one margin e_m (margins.ts) —
 *
 *   e_m = sum of the margins of its failed soft checks         if any failed (negative)
 *       = min(cap, smallest margin of its passed soft checks)  otherwise (cap when it has none)
 *
 * — and the session is accepted when no hard check failed and either no soft check failed (every
 * e_m >= 0: fusion only relaxes the every-check rule) or every e_m >= floor (no modality may be
 * absent or garbage and carried by the others) and
 *
 *   F = sum over primaries of min(cap, e_m) + sum over supporting modalities of min(0, e_m)  >=  minFused
 *
 * (supporting modalities never carry a session; their weak-response checks are left out as before).
 */
import type { FusionConfig } from './config.ts';
import type { AcceptanceDecision, Check, Modality, ModalityResult } from './types.ts';

/** Checks that fail when a live person's response is weak or absent (not evidence of an attack); tolerated for supporting modalities. */
export const WEAK_RESPONSE_CHECKS: Readonly<Record<Modality, readonly string[]>> = {
  hrv: ['hrv.coupling', 'hrv.coupling-sustained'],
  motion: ['motion.coupling', 'motion.unprompted'],
  typing: ['typing.text'],
  gaze: ['gaze.coupling'],
  voice: ['voice.coupling', 'voice.unprompted', 'voice.syllables', 'voice.latency-consistency'],
  // (and an unusual latency of a weak supporting response)
  eda: ['eda.coupling', 'eda.unprompted', 'eda.latency-consistency', 'eda.profile-latency'],
};

/**
 * The soft checks: a statistic a genuine person may miss by a little (coupling strength and counts,
 * rhythm, syllables, latency spread, one-person-throughout scans, the enrolled profile). Every check
 * not listed is hard, including checks added later (fail closed). A listed check whose verifier gave
 * no finite margin (the lead side of gaze lag, the copy side of gaze residual, nothing to measure)
 * counts as hard too.
 */
export const SOFT_CHECKS: ReadonlySet<string> = new Set([
  'motion.coupling', 'motion.unprompted', 'motion.stationarity', 'motion.profile',
  'typing.rhythm-structure', 'typing.stationarity', 'typing.profile',
  'gaze.coupling', 'gaze.lag', 'gaze.gain', 'gaze.residual', 'gaze.stationarity', 'gaze.profile',
  'voice.coupling', 'voice.unprompted', 'voice.latency-consistency', 'voice.syllables', 'voice.stationarity', 'voice.profile', 'voice.profile-naming',
  'hrv.coupling', 'hrv.coupling-sustained', 'hrv.stationarity', 'hrv.profile', 'hrv.profile-rsa',
  'eda.coupling', 'eda.unprompted', 'eda.latency-consistency', 'eda.stationarity', 'eda.profile', 'eda.profile-latency',
]);

/** Does this check carry usable soft evidence? A failed soft check must sit outside its threshold. */
export function isSoft(c: Check): boolean {
  return SOFT_CHECKS.has(c.id) && typeof c.margin === 'number' && Number.isFinite(c.margin) && (c.passed ? c.margin >= 0 : c.margin < 0);
}

/** A modality's soft evidence e_m (module comment); `ignore`: ids left out (weak-response checks of a supporting modality). */
export function modalityMargin(checks: readonly Check[], cap: number, ignore: readonly string[] = []): number {
  let deficit = 0, failed = false, least = cap;
  for (const c of checks) {
    if (ignore.includes(c.id) || !isSoft(c)) continue;
    if (!c.passed) {
      failed = true;
      deficit += c.margin!;
    } else least = Math.min(least, c.margin!);
  }
  return failed ? deficit : least;
}

export interface DecisionInput {
  modalities: readonly Modality[];
  results: Partial<Record<Modality, ModalityResult>>;
  /** Session checks (cross-modal, duplicate, reuse, timing): all hard. */
  checks: readonly Check[];
  supporting: ReadonlySet<Modality>;
  /** The fusion parameters, or false for the every-check rule. */
  fusion: FusionConfig | false;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Decide a session. Fusion when at least two modalities are primary (not supporting) and fusion is
 * enabled; otherwise every check must pass, less the weak-response checks of supporting modalities
 * (rule `supporting`) — the single-primary rule, kept: with one primary there is no second body of
 * evidence to outweigh a miss.
 */
export function decideAcceptance(input: DecisionInput): AcceptanceDecision & { accepted: boolean } {
  const { modalities, results } = input;
  const supporting = new Set(modalities.filter((m) => input.supporting.has(m)));
  const required = modalities.filter((m) => !supporting.has(m));
  // All supporting: then all are required (a session is never carried by supporting modalities alone).
  if (required.length === 0) return decideAcceptance({ ...input, supporting: new Set() });
  const ignored = (m: Modality): readonly string[] => (supporting.has(m) ? WEAK_RESPONSE_CHECKS[m] : []);
  const fuse = input.fusion !== false && required.length >= 2;
  const hardFailures: string[] = input.checks.filter((c) => !c.passed).map((c) => c.id);
  for (const m of modalities) {
    const res = results[m];
    if (res === undefined) {
      hardFailures.push(`${m}.format`);
      continue;
    }
    for (const c of res.checks) if (!c.passed && !ignored(m).includes(c.id) && !(fuse && isSoft(c))) hardFailures.push(c.id);
    if (res.checks.length === 0) hardFailures.push(`${m}.format`);
  }
  if (!fuse) return { accepted: hardFailures.length === 0, rule: supporting.size > 0 ? 'supporting' : 'all', hardFailures };
  const f = input.fusion as FusionConfig;
  const margins: Partial<Record<Modality, number>> = {};
  let fused = 0, low = Infinity;
  for (const m of modalities) {
    const e = modalityMargin(results[m]?.checks ?? [], f.cap, ignored(m));
    margins[m] = r3(e);
    low = Math.min(low, e);
    fused += supporting.has(m) ? Math.min(0, e) : Math.min(f.cap, e);
  }
  // Fusion only relaxes: a session whose every check passed is accepted whatever its fused sum (a
  // positive minFused must not refuse what the every-check rule accepts).
  const accepted = hardFailures.length === 0 && (low >= 0 || (low >= f.floor && fused >= f.minFused));
  return { accepted, rule: 'fusion', hardFailures, margins, fused: r3(fused), minFused: f.minFused, floor: f.floor, cap: f.cap };
}
