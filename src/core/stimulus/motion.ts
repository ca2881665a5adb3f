import type { StimulusDrbg } from './drbg.ts';
import { GESTURES, type Gesture, type GesturePrompt, type MotionStimulus, type RevealEvent } from './types.ts';

/**
 * Gesture sequence. Prompts 3-5 s apart leave room for a choice reaction (Hick 1952: ~0.4-0.7 s for
 * five alternatives), a minimum-jerk tilt-and-return (~1.5 s) and a rest. Consecutive gestures
 * differ, so a replayed sequence cannot match by repeating one movement.
 *
 * Derivation (label "motion"):
 *   t = 1500 + int(1501); prev = none
 *   while t <= D - 2500:
 *     g = prev none ? GESTURES[int(5)] : (GESTURES without prev)[int(4)]
 *     prompt {atMs: t, gesture: g}; t += 3000 + int(2001)
 *   if no prompt is a shake: prompts[int(count)].gesture = 'shake'
 */
export function deriveMotion(rng: StimulusDrbg, durationMs: number): MotionStimulus {
  const prompts: GesturePrompt[] = [];
  let t = 1500 + rng.int(1501);
  let prev: Gesture | null = null;
  while (t <= durationMs - 2500) {
    const choices: readonly Gesture[] = prev === null ? GESTURES : GESTURES.filter((g) => g !== prev);
    const gesture = choices[rng.int(choices.length)]!;
    prompts.push({ atMs: t, gesture });
    prev = gesture;
    t += 3000 + rng.int(2001);
  }
  // At least one shake: it is the gesture other sensors feel (a front-camera gaze tracker loses the
  // eyes), so sessions combining motion with gaze always carry a cross-modal test.
  if (prompts.length > 0 && !prompts.some((p) => p.gesture === 'shake')) prompts[rng.int(prompts.length)]!.gesture = 'shake';
  return { kind: 'gestures', prompts };
}

export function revealMotion(s: MotionStimulus): RevealEvent[] {
  return s.prompts.map((p, index) => ({
    modality: 'motion' as const,
    index,
    revealAt: p.atMs,
    dueAt: p.atMs,
    payload: { type: 'gesture' as const, gesture: p.gesture },
  }));
}
