import type { StimulusDrbg } from './drbg.ts';
import type { RevealEvent, VoiceStimulus } from './types.ts';
import { WORDS } from './words.ts';

/**
 * Words to say aloud, each shown at a random moment 2-4 s after the previous one. Reading a word
 * aloud starts ~0.45-0.8 s after it appears (word-naming latency, Balota et al. 2004), and the random
 * spacing makes the voice-onset times a pattern unique to this challenge. Only pitch and energy frames
 * are sent, never audio.
 *
 * Derivation (label "voice"): t = 1000 + int(1001);
 *   while t <= D - 2000: w = WORDS[int(|WORDS|)]; prompt {atMs: t, word, syllables}; t += 2000 + int(2001)
 */
export function deriveVoice(rng: StimulusDrbg, durationMs: number): VoiceStimulus {
  const words: VoiceStimulus['words'] = [];
  let t = 1000 + rng.int(1001);
  while (t <= durationMs - 2000) {
    const w = WORDS[rng.int(WORDS.length)]!;
    words.push({ atMs: t, word: w.word, syllables: w.syllables });
    t += 2000 + rng.int(2001);
  }
  return { kind: 'words-aloud', words };
}

export function revealVoice(s: VoiceStimulus): RevealEvent[] {
  return s.words.map((w, index) => ({
    modality: 'voice' as const,
    index,
    revealAt: w.atMs,
    dueAt: w.atMs,
    payload: { type: 'word' as const, word: w.word },
  }));
}
