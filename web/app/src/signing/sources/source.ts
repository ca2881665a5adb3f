import type { SessionStreams } from '../../../../../src/core/liveness/types.ts';
import type { Modality } from '../../../../../src/core/policy/modality.ts';
import type { RevealEvent } from '../../../../../src/core/stimulus/types.ts';

/**
 * One sensor feeding one modality's stream (docs/liveness.md §Stream formats). Every time is
 * device time: ms since the session's `start` arrived, on the page's monotonic clock
 * (performance.now() and event.timeStamp share it).
 */
export interface SampleSource {
  readonly modality: Modality;
  /** Asks for permission and starts the sensor; must run inside the user's click (iOS, Web Bluetooth). */
  open(): Promise<void>;
  /** The session's t = 0 (a performance.now() value). Samples before it are dropped. */
  begin(t0: number): void;
  /** Samples with t < untilMs not taken yet, in order, as this modality's stream object. */
  take(untilMs: number): SessionStreams[Modality] | undefined;
  /** Set once the sensor stopped, disconnected or was denied: a reason code (SourceFailure). */
  failure(): SourceFailure | undefined;
  /** The latest value for the live plot (a scalar in this modality's unit), if any. */
  plotValue(): number | undefined;
  /** Told about each stimulus element as it arrives (typing shows the word, for instance). */
  reveal?(e: RevealEvent): void;
  close(): void;
}

/**
 * Why a sensor cannot go on; each has one plain message in messages.ts. Closed list:
 * `denied` (permission refused), `unavailable` (no such sensor here), `stopped` (no readings for
 * longer than the modality allows), `disconnected` (the strap went away), `failed` (the sensor raised an error).
 */
export type SourceFailure = 'denied' | 'unavailable' | 'stopped' | 'disconnected' | 'failed';

/** Collects timed samples and hands them out in order, dropping those before t = 0. */
export class SampleQueue<T extends { t: number }> {
  #items: T[] = [];
  #t0: number | undefined;
  #lastT = -Infinity;
  readonly #minGapMs: number;

  /**
   * `minGapMs`: a sample closer than this to the previous one is dropped. Two readings a fraction
   * of a millisecond apart (a held value and the late-dispatched reading behind it) would look
   * like an impossible jerk to the motion check; no sensor here samples faster than 200 Hz.
   */
  constructor(minGapMs = 0) {
    this.#minGapMs = minGapMs;
  }

  begin(t0: number): void {
    this.#t0 = t0;
  }

  get started(): boolean {
    return this.#t0 !== undefined;
  }

  /** `at` is a performance.now()-based time; returns the device time it was stored under, or undefined. */
  push(at: number, make: (t: number) => T): number | undefined {
    if (this.#t0 === undefined) return undefined;
    // Device time on the wire has 0.1 ms resolution; never decreasing within a stream.
    const t = Math.max(Math.round((at - this.#t0) * 10) / 10, this.#lastT);
    if (t < 0) return undefined;
    if (this.#lastT > -Infinity && t - this.#lastT < this.#minGapMs) return undefined;
    this.#lastT = t;
    this.#items.push(make(t));
    return t;
  }

  take(untilMs: number): T[] {
    let n = 0;
    while (n < this.#items.length && this.#items[n]!.t < untilMs) n++;
    return this.#items.splice(0, n);
  }
}

/** Rounds to `digits` decimals: sensor values carry no more precision than that. */
export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
