import type { StimulusDrbg } from './drbg.ts';
import type { RevealEvent, TypingStimulus } from './types.ts';
import { WORDS } from './words.ts';

/**
 * Words to type, revealed one every 3 s. Mobile typists average ~36 words/min (Palin et al. 2019),
 * so a word of ~5.5 keystrokes every 3 s (~22 wpm) keeps a slow typist busy without falling far
 * behind, and a fast one waits for the next word (the wait shows the reveal-to-first-key latency).
 * Each word carries log2(252) ~ 8 bits; ten words make the text unguessable.
 *
 * Derivation (label "typing"): for i = 0, 1, ... while 3000*i <= D - 3000: word i = WORDS[int(|WORDS|)] at 3000*i.
 */
export const TYPING_WORD_INTERVAL_MS = 3000;

export function deriveTyping(rng: StimulusDrbg, durationMs: number): TypingStimulus {
  const words: TypingStimulus['words'] = [];
  for (let i = 0; TYPING_WORD_INTERVAL_MS * i <= durationMs - TYPING_WORD_INTERVAL_MS; i++) {
    words.push({ atMs: TYPING_WORD_INTERVAL_MS * i, word: WORDS[rng.int(WORDS.length)]!.word });
  }
  return { kind: 'typing', words };
}

export function revealTyping(s: TypingStimulus): RevealEvent[] {
  return s.words.map((w, index) => ({
    modality: 'typing' as const,
    index,
    revealAt: w.atMs,
    dueAt: w.atMs,
    payload: { type: 'word' as const, word: w.word },
  }));
}
