import type { RevealEvent } from '../../../../../src/core/stimulus/types.ts';
import { SampleQueue, type SampleSource, type SourceFailure } from './source.ts';

/**
 * Typing (docs/liveness.md §Stream formats): key down/up times of the prompted words, `key` = the
 * character produced (a–z, ' ') or 'Backspace'. Times are `event.timeStamp`, the moment the
 * browser received the input.
 *
 * Hardware keyboards give both events with the key. Android's on-screen keyboards send
 * keydown/keyup with `key: 'Unidentified'` (keyCode 229) and the character only in
 * `beforeinput`/`input`: the down and up times are still those of the key events, and the character
 * is the one the next input inserted (or 'Backspace' for a deletion). What is lost there: when the
 * keyboard inserts several characters at once (autocorrect, a suggestion, swipe typing, composition
 * of a whole word) there is one key event for many characters, so those characters have no timing
 * and are not sent; a word typed that way is missing from the stream and the typing check may fail:
 * the person is told to turn suggestions off or to use another modality. Text never leaves the page
 * except as these key events of the prompted words.
 */

interface Key { t: number; key: string; type: 'down' | 'up' }

const KEY = /^[a-z ]$/;

export class TypingSource implements SampleSource {
  readonly modality = 'typing' as const;
  readonly #q = new SampleQueue<Key>();
  readonly #input: HTMLInputElement;
  /** On-screen keyboards: key-downs waiting for the character their input inserts. */
  #pendingDown: number | undefined;
  /** Characters whose down was sent, waiting for their key-up (by code, or the unidentified one). */
  readonly #held = new Map<string, string>();
  #lastValue = '';
  #lastInterval: number | undefined;
  #lastDownT: number | undefined;
  readonly #listeners: [string, EventListener][] = [];
  readonly #onWord: (word: string) => void;

  constructor(input: HTMLInputElement, onWord: (word: string) => void) {
    this.#input = input;
    this.#onWord = onWord;
  }

  async open(): Promise<void> {
    const on = <K extends keyof HTMLElementEventMap>(type: K, f: (e: HTMLElementEventMap[K]) => void): void => {
      this.#input.addEventListener(type, f as EventListener);
      this.#listeners.push([type, f as EventListener]);
    };
    on('keydown', (e) => this.#down(e));
    on('keyup', (e) => this.#up(e));
    on('input', (e) => this.#inserted(e));
  }

  #emit(at: number, key: string, type: 'down' | 'up'): void {
    const t = this.#q.push(at, (t) => ({ t, key, type }));
    if (t !== undefined && type === 'down') {
      if (this.#lastDownT !== undefined) this.#lastInterval = t - this.#lastDownT;
      this.#lastDownT = t;
    }
  }

  #down(e: KeyboardEvent): void {
    if (e.repeat) return;
    if (e.key === 'Unidentified' || e.keyCode === 229) {
      this.#pendingDown = e.timeStamp;
      return;
    }
    const key = e.key === 'Backspace' ? 'Backspace' : e.key.toLowerCase();
    if (key !== 'Backspace' && !KEY.test(key)) return;
    this.#held.set(e.code || key, key);
    this.#emit(e.timeStamp, key, 'down');
  }

  #up(e: KeyboardEvent): void {
    const id = e.key === 'Unidentified' || e.keyCode === 229 ? 'unidentified' : e.code || e.key.toLowerCase();
    const key = this.#held.get(id);
    if (key === undefined) return;
    this.#held.delete(id);
    this.#emit(e.timeStamp, key, 'up');
  }

  /** The character an on-screen key produced: what the input inserted after its key-down. */
  #inserted(e: Event): void {
    const value = this.#input.value;
    const before = this.#lastValue;
    this.#lastValue = value;
    if (this.#pendingDown === undefined) return;
    let key: string | undefined;
    if (value.length === before.length + 1 && value.startsWith(before)) key = value.slice(-1).toLowerCase();
    else if (value.length === before.length - 1 && before.startsWith(value)) key = 'Backspace';
    const at = this.#pendingDown;
    this.#pendingDown = undefined;
    void e;
    // Several characters at once (autocorrect, suggestion, composition): no timing for them.
    if (key === undefined || (key !== 'Backspace' && !KEY.test(key))) return;
    this.#held.set('unidentified', key);
    this.#emit(at, key, 'down');
  }

  reveal(e: RevealEvent): void {
    if (e.modality === 'typing' && e.payload.type === 'word') this.#onWord(e.payload.word);
  }

  begin(t0: number): void {
    this.#q.begin(t0);
    this.#input.value = '';
    this.#lastValue = '';
  }

  take(untilMs: number): { keys: Key[] } {
    return { keys: this.#q.take(untilMs) };
  }

  failure(): SourceFailure | undefined {
    return undefined;
  }

  /** The last interval between two key-downs, ms. */
  plotValue(): number | undefined {
    return this.#lastInterval;
  }

  close(): void {
    for (const [type, f] of this.#listeners) this.#input.removeEventListener(type, f);
  }
}
