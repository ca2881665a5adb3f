import type { WordPrompt } from '../../../src/core/stimulus/types.ts';
import type { KeyEvent, TypingStream } from '../../../src/core/liveness/types.ts';
import type { Rng } from '../rng.ts';
import { busyAt, type BodyB } from './body.ts';
import { exGauss, gamma } from './dist.ts';
import type { PersonB } from './person.ts';

const ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
const OFFSET = [0, 0.5, 1.5];
const POS = new Map<string, [number, number]>();
ROWS.forEach((row, y) => row.split('').forEach((ch, x) => POS.set(ch, [x + OFFSET[y]!, y])));
POS.set(' ', [4.5, 3]);

const keyPos = (ch: string): [number, number] => POS.get(ch) ?? [9.5, 2]; // Backspace at the right end of row 3

function neighbour(ch: string, r: Rng): string {
  const [x, y] = keyPos(ch);
  const near = [...POS.entries()].filter(([c, [a, b]]) => c !== ch && c !== ' ' && Math.abs(b - y) <= 1 && Math.hypot(a - x, b - y) < 1.2);
  return near.length ? r.pick(near)[0] : ch;
}

/**
 * Family-B typing: movement time between keys by Fitts' law (MT = a + b log2(D/W + 1); Fitts 1954,
 * MacKenzie & Soukoreff 2002's two-thumb model: the other thumb may already be waiting, so an
 * alternation costs max(minimum, its own Fitts time less the time it has had)), plus ex-Gaussian
 * timing noise (a heavy right tail for uneven typists) and occasional hesitations. Grips: two thumbs,
 * one thumb, or the index finger (Azenkot & Zhai 2012): one effector means no alternation benefit.
 * Holds are gamma-distributed. The first key of a word waits for an ex-Gaussian word-reading time
 * after the reveal (Balota & Spieler 1999). Substitution errors on a neighbour key, mostly noticed
 * (then Backspace and retype), sometimes left. The hand pauses for prompted gestures.
 * Returns the stream and, per word, the true first key-down (ground truth).
 */
export function typingB(person: PersonB, words: readonly WordPrompt[], durationMs: number, r: Rng, body: BodyB): { stream: TypingStream; truth: number[] } {
  const p = person.typing;
  const twoThumbs = person.grip === 'two-thumb';
  const keys: KeyEvent[] = [];
  const truth: number[] = [];
  // Effector state: last key position and time, per thumb (or the single finger as 'L').
  const eff: Record<'L' | 'R', { pos: [number, number]; t: number }> = { L: { pos: [2, 1], t: -1e9 }, R: { pos: [7, 1], t: -1e9 } };
  let last = -1e9;
  const fitts = (a: [number, number], b: [number, number]): number => p.fittsA + p.fittsB * Math.log2(Math.hypot(a[0] - b[0], a[1] - b[1]) + 1);
  const press = (ch: string, earliest: number): number => {
    const pos = keyPos(ch);
    const who: 'L' | 'R' = !twoThumbs ? 'L' : ch === ' ' ? (eff.L.t > eff.R.t ? 'R' : 'L') : pos[0] < 4.75 ? 'L' : 'R';
    const e = eff[who];
    let t = Math.max(last + 40, e.t + fitts(e.pos, pos), last + p.fittsA * 0.6);
    t += p.sigma * r.normal() + r.exponential(p.tau);
    if (r.chance(p.pauseProb)) t += r.exponential(p.pauseMs);
    t = Math.max(t, earliest, last + 35);
    const busy = busyAt(body, t, 150, 0);
    if (busy) t = busy.end + r.uniform(150, 600);
    const hold = Math.max(25, gamma(r, p.holdShape, p.holdMean) * (ch === ' ' ? 1.1 : 1));
    const down = Math.round(t);
    if (down < durationMs) {
      keys.push({ t: down, key: ch, type: 'down' }, { t: Math.round(t + hold), key: ch, type: 'up' });
      body.taps.push(down);
    }
    e.pos = pos;
    e.t = t;
    last = t;
    return t;
  };
  for (const w of words) {
    const read = w.atMs + Math.max(180, exGauss(r, p.readMu, p.readSigma, p.readTau));
    let first = true;
    let edits = 0;
    const chars = w.word.split('');
    for (let i = 0; i < chars.length; i++) {
      if (last >= durationMs) break;
      const ch = chars[i]!;
      const earliest = first ? read : 0;
      if (r.chance(p.errProb)) {
        const wrong = neighbour(ch, r);
        const t = press(wrong, earliest);
        if (first) truth.push(t);
        first = false;
        if (r.chance(p.noticeProb) || edits >= 1) {
          // Noticed after 0-1 further keys: erase and retype.
          const ahead = Math.min(chars.length - 1 - i, r.int(2));
          for (let k = 1; k <= ahead; k++) press(chars[i + k]!, 0);
          last += r.uniform(200, 500); // noticing the error
          for (let k = 0; k <= ahead; k++) press('Backspace', 0);
          for (let k = 0; k <= ahead; k++) press(chars[i + k]!, 0);
          i += ahead;
        } else edits++;
        continue;
      }
      const t = press(ch, earliest);
      if (first) truth.push(t);
      first = false;
    }
    if (last < durationMs) press(' ', 0);
  }
  keys.sort((a, b) => a.t - b.t);
  return { stream: { keys: keys.filter((k) => k.t < durationMs) }, truth };
}
