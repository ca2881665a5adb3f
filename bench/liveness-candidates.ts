/**
 * Threshold candidates for leave-one-family-out selection (bench/eval-liveness.ts). Per modality a
 * few values of the thresholds marked *tuned* in src/core/liveness/config.ts, crossed with the
 * one-person-throughout scan's threshold at x1 and x1.6. The evaluation picks, on the training
 * family, the candidate with the lowest BPCER whose every signal-level attack class stays at
 * APCER <= 1 %, and reports that candidate on the held-out family. Candidate 0 is the shipped config.
 */
import { DEFAULT_CONFIG, type ConfigOverrides, type FusionConfig } from '../src/core/liveness/config.ts';
import type { Modality } from '../src/core/policy/modality.ts';

export interface Candidate { label: string; overrides: ConfigOverrides }

const scan = (m: Modality, k: number): ConfigOverrides => {
  const c = (DEFAULT_CONFIG[m] as { consistency?: { maxStat: number } }).consistency!;
  return { [m]: { consistency: { ...c, maxStat: c.maxStat * k } } } as ConfigOverrides;
};

const merge = (a: ConfigOverrides, b: ConfigOverrides): ConfigOverrides => {
  const out: Record<string, object> = { ...(a as Record<string, object>) };
  for (const [k, v] of Object.entries(b as Record<string, object>)) out[k] = { ...(out[k] ?? {}), ...v };
  return out as ConfigOverrides;
};

const KNOBS: Record<Modality, { label: string; overrides: ConfigOverrides }[]> = {
  hrv: [0.55, 0.45, 0.65].map((v) => ({ label: `minCorrelation ${v}`, overrides: { hrv: { minCorrelation: v } } })),
  motion: [12, 9, 16].map((v) => ({ label: `tiltMinDeg ${v}`, overrides: { motion: { tiltMinDeg: v } } })),
  typing: [0.8, 0.3, 1.2].map((v) => ({ label: `minRhythmScore ${v}`, overrides: { typing: { minRhythmScore: v } } })),
  gaze: [0.7, 0.6, 0.8].map((v) => ({ label: `minCorrelation ${v}`, overrides: { gaze: { minCorrelation: v } } })),
  voice: [0.6, 0.4, 0.75].map((v) => ({ label: `minSyllableMatch ${v}`, overrides: { voice: { minSyllableMatch: v } } })),
  eda: [0.5, 0.34, 0.67].map((v) => ({ label: `minHitFraction ${v}`, overrides: { eda: { minHitFraction: v } } })),
};

/** Candidates for one modality: each knob value at the shipped scan threshold and at x1.6. */
export function candidates(m: Modality): Candidate[] {
  const out: Candidate[] = [];
  for (const k of [1, 1.6]) for (const knob of KNOBS[m]) out.push({ label: `${knob.label}, scan x${k}`, overrides: merge(knob.overrides, k === 1 ? {} : scan(m, k)) });
  return out;
}

/** The overrides of the chosen candidate per modality, merged into one config. */
export function chosenConfig(chosen: Partial<Record<Modality, number>>): ConfigOverrides {
  let out: ConfigOverrides = {};
  for (const [m, i] of Object.entries(chosen) as [Modality, number][]) out = merge(out, candidates(m)[i]!.overrides);
  return out;
}

/**
 * Acceptance-rule candidates for sessions with two or more primaries (src/core/liveness/fusion.ts),
 * chosen like the thresholds: on the training family, the lowest combined BPCER whose every
 * signal-level pair-attack class stays at APCER <= 1 %; ties go to the earlier (stricter) one.
 * Candidate 0 is the every-check rule (no fusion).
 */
export interface FusionCandidate { label: string; fusion: FusionConfig | false }

export const FUSION_CANDIDATES: readonly FusionCandidate[] = [
  { label: 'every check', fusion: false },
  ...[[-0.5, 0.5], [-0.5, 0], [-1, 0.5], [-1, 0], [-1.5, 0], [-2, 0]].map(([floor, minFused]): FusionCandidate => ({ label: `fusion floor ${floor}, fused >= ${minFused}`, fusion: { floor: floor!, minFused: minFused!, cap: 1 } })),
];
