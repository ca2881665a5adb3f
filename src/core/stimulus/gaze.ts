import type { StimulusDrbg } from './drbg.ts';
import type { GazeStimulus, RevealEvent, SineComponent } from './types.ts';

/**
 * Smooth-pursuit target: per axis, three sinusoids with random phases, one from each frequency band
 * (0.05-0.12, 0.12-0.22, 0.22-0.40 Hz), so the path is smooth but not predictable from its past, and
 * two challenges' paths are nearly uncorrelated. Amplitudes sum to 0.35 screen units per axis, so the
 * target stays in [0.15, 0.85] and its speed stays below 2*pi*0.4*0.35 = 0.88 units/s (about 11 deg/s
 * at 12 deg per screen width), well inside smooth-pursuit range (gain ~0.9 up to ~30 deg/s; Lisberger 2010).
 *
 * Derivation (label "gaze"): for axis x then y, for band k in order:
 *   freqHz = lo_k + (hi_k - lo_k) * float(); phase = 2*pi*float(); w_k = 0.5 + 0.5*float()
 *   then amp_k = 0.35 * w_k / (w_1 + w_2 + w_3)
 * Reveal: segment j covers [1000 j, 1000 (j+1)), sent at max(0, 1000 j - 200) with target points every
 * 20 ms (rounded to 1e-4), so the device can render it smoothly and never knows more than 1.2 s ahead.
 */
export const GAZE_BANDS: readonly [number, number][] = [[0.05, 0.12], [0.12, 0.22], [0.22, 0.40]];
export const GAZE_AMPLITUDE = 0.35;

function axis(rng: StimulusDrbg): SineComponent[] {
  const raw = GAZE_BANDS.map(([lo, hi]) => ({ freqHz: lo + (hi - lo) * rng.float(), phase: 2 * Math.PI * rng.float(), w: 0.5 + 0.5 * rng.float() }));
  const sum = raw.reduce((a, c) => a + c.w, 0);
  return raw.map((c) => ({ freqHz: c.freqHz, amp: (GAZE_AMPLITUDE * c.w) / sum, phase: c.phase }));
}

export function deriveGaze(rng: StimulusDrbg): GazeStimulus {
  const x = axis(rng);
  const y = axis(rng);
  return { kind: 'pursuit', center: { x: 0.5, y: 0.5 }, x, y, segmentMs: 1000, leadMs: 200, pointStepMs: 20 };
}

export function gazeTarget(s: GazeStimulus, tMs: number): { x: number; y: number } {
  const ts = tMs / 1000;
  let x = s.center.x;
  let y = s.center.y;
  for (const c of s.x) x += c.amp * Math.sin(2 * Math.PI * c.freqHz * ts + c.phase);
  for (const c of s.y) y += c.amp * Math.sin(2 * Math.PI * c.freqHz * ts + c.phase);
  return { x, y };
}

export function revealGaze(s: GazeStimulus, durationMs: number): RevealEvent[] {
  const out: RevealEvent[] = [];
  for (let j = 0; j * s.segmentMs < durationMs; j++) {
    const from = j * s.segmentMs;
    const to = Math.min(durationMs, from + s.segmentMs);
    const points: [number, number][] = [];
    for (let t = from; t < to; t += s.pointStepMs) {
      const p = gazeTarget(s, t);
      points.push([Math.round(p.x * 1e4) / 1e4, Math.round(p.y * 1e4) / 1e4]);
    }
    out.push({ modality: 'gaze', index: j, revealAt: Math.max(0, from - s.leadMs), dueAt: from, payload: { type: 'target-path', fromMs: from, stepMs: s.pointStepMs, points } });
  }
  return out;
}

/** Device side: the target at time t from the path segments revealed so far (null if not yet known). */
export function gazeTargetFromReveals(revealed: readonly RevealEvent[], tMs: number): { x: number; y: number } | null {
  for (let i = revealed.length - 1; i >= 0; i--) {
    const p = revealed[i]!.payload;
    if (p.type !== 'target-path') continue;
    const k = (tMs - p.fromMs) / p.stepMs;
    if (k < 0 || k > p.points.length - 1) {
      if (k >= p.points.length - 1 && k < p.points.length) return { x: p.points[p.points.length - 1]![0], y: p.points[p.points.length - 1]![1] };
      continue;
    }
    const i0 = Math.floor(k);
    const f = k - i0;
    const a = p.points[i0]!;
    const b = p.points[Math.min(i0 + 1, p.points.length - 1)]!;
    return { x: a[0] + (b[0] - a[0]) * f, y: a[1] + (b[1] - a[1]) * f };
  }
  return null;
}
