import type { StimulusDrbg } from './drbg.ts';
import { EDA_CUES, type EdaStimulus, type RevealEvent } from './types.ts';

/**
 * Startle cues (a short beep or a screen flash) at random moments 3-5 s apart. Each evokes a
 * skin-conductance response with 1-3 s onset latency (Boucsein 2012; Dawson et al. 2017) that rises
 * for ~1-2 s; 3 s keeps consecutive onsets separable by their slope peaks, and more cues make a
 * chance match of a foreign answer less likely. Random spacing makes the response times unique.
 *
 * Derivation (label "eda"): t = 2000 + int(2001);
 *   while t <= D - 4000: cue = EDA_CUES[int(2)]; event {atMs: t, cue}; t += 3000 + int(2001)
 */
export function deriveEda(rng: StimulusDrbg, durationMs: number): EdaStimulus {
  const events: EdaStimulus['events'] = [];
  let t = 2000 + rng.int(2001);
  while (t <= durationMs - 4000) {
    events.push({ atMs: t, cue: EDA_CUES[rng.int(EDA_CUES.length)]! });
    t += 3000 + rng.int(2001);
  }
  return { kind: 'cues', events };
}

export function revealEda(s: EdaStimulus): RevealEvent[] {
  return s.events.map((e, index) => ({
    modality: 'eda' as const,
    index,
    revealAt: e.atMs,
    dueAt: e.atMs,
    payload: { type: 'cue' as const, cue: e.cue },
  }));
}
