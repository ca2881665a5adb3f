import type { RevealEvent } from '../../src/core/stimulus/types.ts';
import type { KeyEvent, TypingStream } from '../../src/core/liveness/types.ts';
import type { ModalitySimulator, SessionBody } from './body.ts';
import type { TypingPerson } from './person.ts';
import { PinkNoise, type Rng } from './rng.ts';

/** Two-thumb typing on a QWERTY phone keyboard: left half / right half. */
const LEFT = new Set('qwertasdfgzxcvb'.split(''));
const ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

export function thumbOf(ch: string): 'L' | 'R' | 'S' {
  if (ch === ' ') return 'S';
  return LEFT.has(ch) ? 'L' : 'R';
}

function neighbour(ch: string, r: Rng): string {
  for (let row = 0; row < ROWS.length; row++) {
    const i = ROWS[row]!.indexOf(ch);
    if (i < 0) continue;
    const opts: string[] = [];
    if (i > 0) opts.push(ROWS[row]![i - 1]!);
    if (i < ROWS[row]!.length - 1) opts.push(ROWS[row]![i + 1]!);
    return r.pick(opts);
  }
  return ch;
}

/**
 * Keystrokes with log-normal inter-key intervals and hold times (right-skewed, as in large mobile
 * typing corpora; Palin et al. 2019, Dhakal et al. 2018), digraph effects (alternating-thumb pairs
 * faster, repeated keys slower), a slower first letter per word, a reading pause when the next word
 * has only just been revealed, occasional neighbour-key typos noticed a few keys later and fixed with
 * Backspace, and pauses while the same hand performs a prompted gesture. Every key-down is also a
 * screen tap the accelerometer can feel (SessionBody.taps).
 */
export class TypingSimulator implements ModalitySimulator<TypingStream> {
  readonly #p: TypingPerson;
  readonly #rng: Rng;
  readonly #body: SessionBody;
  readonly #words: { at: number; word: string }[] = [];
  /** Keys still to press for the current plan (after typos the plan grows). */
  #queue: { ch: string; wordIndex: number; first: boolean }[] = [];
  #nextWord = 0;
  #lastDown = -Infinity;
  #lastCh = ' ';
  readonly #pending: KeyEvent[] = [];
  #cursor = 0;
  #plannedT: number | null = null;
  #floor = 0;
  /** Tempo wanders within the session (log-scale 1/f, sd 0.06, 4-32 s): attention, word familiarity. */
  readonly #tempo: PinkNoise;
  #tempoT = 0;

  constructor(person: TypingPerson, rng: Rng, body: SessionBody) {
    this.#p = person;
    this.#rng = rng;
    this.#body = body;
    this.#tempo = new PinkNoise(rng.fork('tempo'), 0.06, 4, 32);
  }

  advance(untilMs: number, revealed: readonly RevealEvent[]): TypingStream {
    for (const e of revealed) if (e.payload.type === 'word' && e.modality === 'typing' && e.index === this.#words.length) this.#words.push({ at: e.revealAt, word: e.payload.word });
    const p = this.#p;
    const r = this.#rng;
    for (;;) {
      if (this.#queue.length === 0) {
        const w = this.#words[this.#nextWord];
        if (w === undefined) break;
        // Each word is followed by its space at once; the next word waits for its reveal.
        const chars = w.word + ' ';
        this.#queue = chars.split('').map((ch, i) => ({ ch, wordIndex: this.#nextWord, first: i === 0 }));
        this.#nextWord++;
      }
      const item = this.#queue[0]!;
      // Draw the key's time once and keep it, so chunk boundaries do not change the timing.
      // Never plan into a chunk that has already been emitted.
      if (this.#plannedT === null) this.#plannedT = Math.max(this.#floor, this.#planTime(item));
      let t = this.#plannedT;
      // The hand is busy with a gesture: resume 200-400 ms after it ends.
      const busy = this.#body.busyAt(t, 150, 0);
      if (busy) t = this.#plannedT = busy.end + r.uniform(200, 400);
      if (t >= untilMs) break;
      this.#plannedT = null;
      this.#queue.shift();
      let ch = item.ch;
      if (ch.length === 1 && ch !== ' ' && !this.#queue.some((q) => q.ch === 'Backspace') && r.chance(p.typoProb)) {
        // Typo: a neighbouring key; noticed after 0-2 more keys of the same word, then erased and retyped.
        ch = neighbour(ch, r);
        const lookahead = Math.min(this.#queue.filter((q) => q.wordIndex === item.wordIndex).length, r.int(3));
        const redo = [{ ...item, first: false }, ...this.#queue.slice(0, lookahead).map((q) => ({ ...q, first: false }))];
        const typedAhead = this.#queue.splice(0, lookahead);
        const back = Array.from({ length: 1 + lookahead }, () => ({ ch: 'Backspace', wordIndex: item.wordIndex, first: false }));
        this.#queue.unshift(...typedAhead, ...back, ...redo);
      }
      this.#press(t, ch);
    }
    this.#floor = untilMs;
    this.#pending.sort((x, y) => x.t - y.t);
    const out: KeyEvent[] = [];
    while (this.#cursor < this.#pending.length && this.#pending[this.#cursor]!.t < untilMs) out.push(this.#pending[this.#cursor++]!);
    return { keys: out };
  }

  #planTime(item: { ch: string; wordIndex: number; first: boolean }): number {
    const p = this.#p;
    const r = this.#rng;
    const word = this.#words[item.wordIndex]!;
    const now = Number.isFinite(this.#lastDown) ? this.#lastDown : 0;
    const tempo = Math.exp(this.#tempo.step(Math.max(0, now - this.#tempoT) / 1000));
    this.#tempoT = Math.max(this.#tempoT, now);
    let iki = p.ikiMs * tempo * Math.exp(p.ikiSigma * r.normal());
    const a = thumbOf(this.#lastCh), b = thumbOf(item.ch);
    if (a !== 'S' && b !== 'S' && a !== b) iki *= p.altFactor;
    if (item.ch === this.#lastCh) iki *= 1.15;
    if (item.first) iki *= p.wordInitFactor;
    let t = this.#lastDown + iki;
    // The first letter of a word cannot come before the word is on screen and read.
    const read = word.at + p.readMs * Math.exp(0.2 * r.normal());
    if (item.first || !Number.isFinite(t)) t = Number.isFinite(t) ? Math.max(t, read) : read;
    return t;
  }

  #press(t: number, ch: string): void {
    const r = this.#rng;
    let down = t;
    if (ch === 'Backspace' && this.#lastCh !== 'Backspace') down += r.uniform(250, 550); // noticing the error
    const hold = this.#p.holdMs * Math.exp(this.#p.holdSigma * r.normal()) * (ch === ' ' ? 1.1 : 1);
    const dt = Math.round(down);
    this.#pending.push({ t: dt, key: ch, type: 'down' }, { t: Math.round(down + Math.max(25, hold)), key: ch, type: 'up' });
    this.#body.taps.push(dt);
    this.#lastDown = down;
    this.#lastCh = ch;
  }
}
