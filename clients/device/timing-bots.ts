import type { Stimulus } from '../../src/core/stimulus/types.ts';
import type { KeyEvent } from '../../src/core/liveness/types.ts';
import { PinkNoise, type Rng } from './rng.ts';

/** Typing bot: the revealed words in order, the first key of word w `read(w)` ms after its reveal, with the given timing generators (key i). */
export function botTyping(stim: Stimulus, iki: (i: number) => number, hold: (i: number) => number, read: number | ((w: number) => number)): { keys: KeyEvent[] } {
  const keys: KeyEvent[] = [];
  let t = 0, i = 0;
  stim.typing!.words.forEach((w, k) => {
    t = Math.max(t, w.atMs + (typeof read === 'number' ? read : read(k)));
    for (const ch of w.word + ' ') {
      const h = Math.max(30, hold(i));
      keys.push({ t: Math.round(t), key: ch, type: 'down' }, { t: Math.round(t + h), key: ch, type: 'up' });
      t += Math.max(40, iki(i++));
    }
  });
  keys.sort((a, b) => a.t - b.t);
  return { keys: keys.filter((k) => k.t < stim.durationMs) };
}

/**
 * A timing bot as a careful attacker writes one from the keystroke literature without a keyboard
 * model: log-normal intervals and holds with a typist's medians and spreads, a slower first letter
 * per word (×1.2-1.7), a reading pause per word drawn log-normal around 350-750 ms; i.i.d. draws, or
 * 1/f noise in the log domain (`pink`).
 */
export function timingBot(stim: Stimulus, pink: boolean, r: Rng): { keys: KeyEvent[] } {
  const mu = r.uniform(180, 340), sIki = r.uniform(0.25, 0.45), hold = r.uniform(70, 120), sHold = r.uniform(0.15, 0.3);
  const init = r.uniform(1.2, 1.7), read = r.uniform(350, 750);
  const words = stim.typing!.words;
  // Key index -> is it the first letter of a word (after the space).
  const first = new Set<number>();
  let k = 0;
  for (const w of words) { first.add(k); k += w.word.length + 1; }
  const pi = new PinkNoise(r.fork('pink-iki'), sIki, 0.25, 16), ph = new PinkNoise(r.fork('pink-hold'), sHold, 0.25, 16);
  const z = (p: PinkNoise, sd: number): number => (pink ? p.step(0.3) : sd * r.normal());
  return botTyping(stim, (i) => mu * Math.exp(z(pi, sIki)) * (first.has(i + 1) ? init : 1), () => hold * Math.exp(z(ph, sHold)), () => read * Math.exp(0.25 * r.normal()));
}
