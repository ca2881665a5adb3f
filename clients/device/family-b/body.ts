/**
 * What one family-B body does across the modalities of a session: the gestures it performs and the
 * screen taps it makes. Planned before the streams are written so that the coupling (taps jolt the
 * accelerometer, typing pauses for gestures, a shaken phone loses the face) comes from the same events.
 */
export interface GestureB { prompt: number; kind: 'tilt' | 'shake'; start: number; end: number }
export interface BodyB { gestures: GestureB[]; taps: number[] }

export function busyAt(b: BodyB, t: number, before: number, after: number): GestureB | null {
  for (const g of b.gestures) if (t >= g.start - before && t < g.end + after) return g;
  return null;
}

export function shakingAt(b: BodyB, t: number): boolean {
  for (const g of b.gestures) if (g.kind === 'shake' && t >= g.start && t < g.end) return true;
  return false;
}
