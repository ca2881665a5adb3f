import { keyboardProfile } from './keyboard.ts';
import type { LivenessResult, PersonProfile } from './types.ts';

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

function range(results: readonly LivenessResult[], m: keyof PersonProfile, feature: string, widen: (lo: number, hi: number) => [number, number]): [number, number] | undefined {
  const v = results.map((r) => num(r.modalities[m]?.accepted ? r.modalities[m]?.features[feature] : null)).filter((x): x is number => x !== null);
  if (v.length === 0) return undefined;
  return widen(Math.min(...v), Math.max(...v));
}

/**
 * Per-person reference ranges from accepted enrolment sessions (at least two recommended, on
 * different days). Each range is the enrolment min..max widened by the day-to-day variability of the
 * feature, so the same person on another day passes while a clearly different person does not:
 *   resting HR +-10 bpm (day-to-day SD ~3-4 bpm, plus drift within a session), RSA swing x0.5..x2, heart-rate-to-breathing lag
 *   +-250 ms (one step of the 4 Hz grid), gesture reaction -150/+250 ms,
 *   typing rhythm x0.65..x1.5 (intervals) and x0.7..x1.45 (holds) (keystroke timing drifts ~10 % from
 *   day to day),
 *   the keyboard pattern pooled over the sessions (keyboard.ts),
 *   pursuit lag +-50 ms, median f0 x0.85..x1.18 (about +-3 semitones), reading latency -200/+300 ms,
 *   skin-conductance level x0.4..x2.5 (electrode contact and hydration vary), SCR latency +-0.35 s (a
 *   person's SCR latency is consistent, sd ~0.1 s between sessions in the simulation: an assumption to
 *   check on real recordings).
 * These widths are generous on purpose: the profile is a consistency check against splicing and
 * substitution, not an identification system.
 */
export function buildProfile(enrolment: readonly LivenessResult[]): PersonProfile {
  const p: PersonProfile = {};
  const hr = range(enrolment, 'hrv', 'meanHrBpm', (a, b) => [a - 10, b + 10]);
  if (hr) {
    p.hrv = { meanHrBpm: hr };
    const rsa = range(enrolment, 'hrv', 'rsaBpm', (a, b) => [a * 0.5, b * 2]);
    if (rsa) p.hrv.rsaBpm = rsa;
    const lag = range(enrolment, 'hrv', 'lagMs', (a, b) => [a - 250, b + 250]);
    if (lag) p.hrv.lagMs = lag;
  }
  const reaction = range(enrolment, 'motion', 'reactionMs', (a, b) => [a - 150, b + 250]);
  if (reaction) p.motion = { reactionMs: reaction };
  const iki = range(enrolment, 'typing', 'ikiMedianMs', (a, b) => [a * 0.65, b * 1.5]);
  const hold = range(enrolment, 'typing', 'holdMedianMs', (a, b) => [a * 0.7, b * 1.45]);
  if (iki && hold) {
    p.typing = { ikiMs: iki, holdMs: hold };
    // The person's keyboard pattern, pooled over the accepted sessions' key-pair moments.
    const ms = enrolment.map((r) => (r.modalities.typing?.accepted ? r.modalities.typing.features.keyMoments : null)).filter((m): m is number[] => Array.isArray(m) && m.length === 10);
    const kb = keyboardProfile(ms);
    if (kb) p.typing.keyboard = kb;
  }
  const lag = range(enrolment, 'gaze', 'lagMs', (a, b) => [a - 50, b + 50]);
  if (lag) p.gaze = { lagMs: lag };
  const f0 = range(enrolment, 'voice', 'f0MedianHz', (a, b) => [a * 0.85, b * 1.18]);
  if (f0) {
    p.voice = { f0MedianHz: f0 };
    const naming = range(enrolment, 'voice', 'namingMs', (a, b) => [a - 200, b + 300]);
    if (naming) p.voice.namingMs = naming;
  }
  const scl = range(enrolment, 'eda', 'sclUs', (a, b) => [a * 0.4, b * 2.5]);
  if (scl) {
    p.eda = { sclUs: scl };
    const lat = range(enrolment, 'eda', 'latencyS', (a, b) => [a - 0.35, b + 0.35]);
    if (lat) p.eda.latencyS = lat;
  }
  return p;
}
