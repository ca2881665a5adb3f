import type { StimulusDrbg } from './drbg.ts';
import type { BreathingSegment, HrvStimulus, RevealEvent } from './types.ts';

/**
 * Paced breathing whose rate hops at every breath. Response: respiratory sinus arrhythmia (RSA)
 * imprints the guided breathing onto the RR intervals (heart rate rises on inhalation and falls on
 * exhalation; Hirsch & Bishop 1981, Lehrer & Gevirtz 2014).
 *
 * Why a new rate every breath: a breathing guide is band-limited (0.1-0.25 Hz), so 30 s hold only a
 * handful of degrees of freedom. With a constant rate for 7-11 s, two challenges' guides often
 * correlate by chance (tuning corpus: ~25 % of recordings answering another challenge passed a
 * threshold that 96 % of genuine answers meet). Random breath-by-breath durations (random-interval
 * breathing, as used to identify the RSA transfer function; Berger, Saul & Cohen 1989) make the guide
 * aperiodic and roughly halve that. Rates 6-15 breaths/min are comfortable to follow and keep RSA
 * large (it peaks near 6/min; Vaschillo et al. 2002); consecutive breaths differ by >= 3/min.
 *
 * Derivation (label "hrv"):
 *   phase0 = int(1000) / 1000; rate = 6 + 0.5*int(19); t = 0
 *   first breath: [0, t1) with t1 = round((1 - phase0) * 60000 / rate), phaseAtStart = phase0
 *   each next breath: repeat r = 6 + 0.5*int(19) while |r - rate| < 3; rate = r;
 *                     [t, t + round(60000 / rate)), phaseAtStart = 0
 *   the breath that reaches D is cut at D.
 */
export const BREATH_RATE_MIN = 6;
export const BREATH_RATE_STEPS = 19;
export const MIN_HOP_BPM = 3;

export function deriveHrv(rng: StimulusDrbg, durationMs: number): HrvStimulus {
  const phase0 = rng.int(1000) / 1000;
  let rate = BREATH_RATE_MIN + 0.5 * rng.int(BREATH_RATE_STEPS);
  const segments: BreathingSegment[] = [];
  let t = 0;
  let phase = phase0;
  for (;;) {
    const len = Math.max(1, Math.round(((1 - phase) * 60000) / rate));
    const end = Math.min(durationMs, t + len);
    segments.push({ startMs: t, endMs: end, rateBpm: rate, phaseAtStart: phase });
    if (end >= durationMs) break;
    t = end;
    phase = 0;
    let r: number;
    do r = BREATH_RATE_MIN + 0.5 * rng.int(BREATH_RATE_STEPS);
    while (Math.abs(r - rate) < MIN_HOP_BPM);
    rate = r;
  }
  return { kind: 'paced-breathing', segments };
}

function segmentAt(segments: readonly { startMs: number }[], tMs: number): number {
  let lo = 0, hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid]!.startMs <= tMs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Guide phase (cycles from the breath start) and lung-volume target in [0, 1] at time t. */
export function breathingGuide(s: HrvStimulus, tMs: number): { phase: number; volume: number; rateBpm: number } {
  const seg = s.segments[segmentAt(s.segments, tMs)]!;
  const phase = seg.phaseAtStart + (seg.rateBpm / 60000) * (tMs - seg.startMs);
  return { phase, volume: (1 - Math.cos(2 * Math.PI * phase)) / 2, rateBpm: seg.rateBpm };
}

export function revealHrv(s: HrvStimulus): RevealEvent[] {
  return s.segments.map((g, index) => ({
    modality: 'hrv' as const,
    index,
    revealAt: g.startMs,
    dueAt: g.startMs,
    payload: { type: 'breathing-rate' as const, startMs: g.startMs, rateBpm: g.rateBpm, phaseAtStart: g.phaseAtStart },
  }));
}

/** Device side: the guide as far as it has been revealed (the device never sees the stimulus object). */
export function breathingGuideFromReveals(revealed: readonly RevealEvent[], tMs: number): { phase: number; volume: number; rateBpm: number } | null {
  let last: { startMs: number; rateBpm: number; phaseAtStart: number } | null = null;
  for (const e of revealed) {
    if (e.payload.type === 'breathing-rate' && e.payload.startMs <= tMs && (last === null || e.payload.startMs >= last.startMs)) last = e.payload;
  }
  if (last === null) return null;
  const phase = last.phaseAtStart + (last.rateBpm / 60000) * (tMs - last.startMs);
  return { phase, volume: (1 - Math.cos(2 * Math.PI * phase)) / 2, rateBpm: last.rateBpm };
}
