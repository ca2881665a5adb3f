/**
 * What one body does across modalities during a session. Modalities measured at once are physically
 * coupled: a screen tap jolts the phone's accelerometer, typing pauses while the hand performs a
 * gesture, and a front-camera eye tracker loses the eyes while the phone is shaken. The simulators
 * share this object so the coupling is produced by the same events, not faked per stream.
 */
export interface BodyInterval { start: number; end: number; kind: string }

export class SessionBody {
  /** Gesture movements planned so far (start/end in device ms). */
  readonly movements: BodyInterval[] = [];
  /** Key-down times (screen taps) so far. */
  readonly taps: number[] = [];

  busyAt(t: number, marginBefore = 0, marginAfter = 0): BodyInterval | null {
    for (const m of this.movements) if (t >= m.start - marginBefore && t < m.end + marginAfter) return m;
    return null;
  }

  shakingAt(t: number): boolean {
    for (const m of this.movements) if (m.kind === 'shake' && t >= m.start && t < m.end) return true;
    return false;
  }
}

/** A modality simulator that produces samples incrementally, seeing only the stimulus revealed so far. */
export interface ModalitySimulator<Chunk> {
  /** Produce every sample with device time in [previous untilMs, untilMs). `revealed` = events sent so far. */
  advance(untilMs: number, revealed: readonly import('../../src/core/stimulus/types.ts').RevealEvent[]): Chunk;
}
