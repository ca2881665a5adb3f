import { gazeTargetFromReveals } from '../../src/core/stimulus/gaze.ts';
import type { RevealEvent } from '../../src/core/stimulus/types.ts';
import type { GazePoint, GazeStream } from '../../src/core/liveness/types.ts';
import type { ModalitySimulator, SessionBody } from './body.ts';
import type { GazePerson } from './person.ts';
import { PinkNoise, type Rng } from './rng.ts';

/** Degrees of visual angle per screen unit (7 cm wide phone screen at 33 cm). */
export const DEG_PER_UNIT = 12;

/**
 * Eye following the revealed target, seen through a front-camera eye tracker.
 * Eye: smooth pursuit whose velocity follows the target velocity seen `latency` ago (100-150 ms) with
 * gain < 1 and a 40 ms velocity low-pass; when the position error exceeds a threshold a catch-up
 * saccade (after ~70 ms programming) jumps to where the target will be, with main-sequence duration
 * 21 ms + 2.2 ms/deg (Bahill et al. 1975) and a minimum-jerk profile; slow fixational drift.
 * Tracker: per-person calibration offset and gain, noise with some temporal correlation (trackers
 * filter), no samples during blinks (every 3-8 s, 100-300 ms), and garbage while the phone is shaken
 * (the face leaves the camera's view).
 */
export class GazeSimulator implements ModalitySimulator<GazeStream> {
  readonly #p: GazePerson;
  readonly #rng: Rng;
  readonly #body: SessionBody;
  #t = 0;
  #nextSample = 0;
  #eye = { x: 0.5, y: 0.5 };
  #vel = { x: 0, y: 0 };
  #sacc: { t0: number; dur: number; from: { x: number; y: number }; to: { x: number; y: number } } | null = null;
  #saccPlannedAt: number | null = null;
  #lastSaccEnd = -1000;
  #noise = { x: 0, y: 0 };
  #blinkUntil = -1;
  #nextBlink: number;
  readonly #wanderX: PinkNoise;
  readonly #wanderY: PinkNoise;
  #wander = { x: 0, y: 0 };

  constructor(person: GazePerson, rng: Rng, body: SessionBody) {
    this.#p = person;
    this.#rng = rng;
    this.#body = body;
    this.#nextBlink = rng.exponential(person.blinkEveryS * 1000);
    // Head moves relative to the phone: the tracker's calibration offset wanders slowly (1/f,
    // 4-32 s time constants, sd 0.012 units ~ 0.15 deg).
    this.#wanderX = new PinkNoise(rng.fork('wanderX'), 0.012, 4, 32);
    this.#wanderY = new PinkNoise(rng.fork('wanderY'), 0.012, 4, 32);
  }

  #target(revealed: readonly RevealEvent[], t: number): { x: number; y: number } | null {
    return gazeTargetFromReveals(revealed, Math.max(0, t));
  }

  advance(untilMs: number, revealed: readonly RevealEvent[]): GazeStream {
    const p = this.#p;
    const r = this.#rng;
    const dt = 5;
    const pts: GazePoint[] = [];
    const sampleDt = 1000 / p.rateHz;
    while (this.#t < untilMs) {
      const t = this.#t;
      const seen = t - p.latencyMs;
      const tgt = this.#target(revealed, seen);
      const tgtPrev = this.#target(revealed, seen - 20);
      if (this.#sacc) {
        const u = (t - this.#sacc.t0) / this.#sacc.dur;
        if (u >= 1) {
          this.#eye = { ...this.#sacc.to };
          this.#sacc = null;
          this.#lastSaccEnd = t;
        } else {
          const s = 10 * u ** 3 - 15 * u ** 4 + 6 * u ** 5;
          this.#eye = { x: this.#sacc.from.x + (this.#sacc.to.x - this.#sacc.from.x) * s, y: this.#sacc.from.y + (this.#sacc.to.y - this.#sacc.from.y) * s };
        }
      } else if (tgt && tgtPrev) {
        const vt = { x: ((tgt.x - tgtPrev.x) / 20) * 1000, y: ((tgt.y - tgtPrev.y) / 20) * 1000 };
        const k = dt / 40;
        this.#vel.x += (p.gain * vt.x - this.#vel.x) * k;
        this.#vel.y += (p.gain * vt.y - this.#vel.y) * k;
        this.#eye.x += (this.#vel.x * dt) / 1000 + 0.0015 * Math.sqrt(dt / 1000) * r.normal();
        this.#eye.y += (this.#vel.y * dt) / 1000 + 0.0015 * Math.sqrt(dt / 1000) * r.normal();
        const ex = tgt.x - this.#eye.x, ey = tgt.y - this.#eye.y;
        if (this.#saccPlannedAt === null && Math.hypot(ex, ey) > p.saccadeThreshold && t - this.#lastSaccEnd > 150) this.#saccPlannedAt = t + r.uniform(50, 100);
        if (this.#saccPlannedAt !== null && t >= this.#saccPlannedAt) {
          this.#saccPlannedAt = null;
          // Land where the target will be when the saccade ends (pursuit-saccade interaction), with 10 % scatter.
          const lead = 0.1;
          const aim = { x: tgt.x + vt.x * lead - this.#eye.x, y: tgt.y + vt.y * lead - this.#eye.y };
          const amp = Math.hypot(aim.x, aim.y);
          const to = { x: this.#eye.x + aim.x * (1 + r.normal(0, 0.1)), y: this.#eye.y + aim.y * (1 + r.normal(0, 0.1)) };
          this.#sacc = { t0: t, dur: 21 + 2.2 * amp * DEG_PER_UNIT, from: { ...this.#eye }, to };
        }
      }
      if (t + dt > this.#nextSample) {
        const ts = this.#nextSample;
        this.#nextSample += sampleDt;
        if (t >= this.#nextBlink) {
          this.#blinkUntil = t + r.uniform(100, 300);
          this.#nextBlink = t + r.exponential(p.blinkEveryS * 1000) + 400;
        }
        this.#wander = { x: this.#wanderX.step(sampleDt / 1000), y: this.#wanderY.step(sampleDt / 1000) };
        this.#noise.x = 0.5 * this.#noise.x + Math.sqrt(0.75) * r.normal(0, p.trackerNoise);
        this.#noise.y = 0.5 * this.#noise.y + Math.sqrt(0.75) * r.normal(0, p.trackerNoise);
        if (t >= 0 && t > this.#blinkUntil) {
          let x = 0.5 + p.biasX + this.#wander.x + p.calGain * (this.#eye.x - 0.5) + this.#noise.x;
          let y = 0.5 + p.biasY + this.#wander.y + p.calGain * (this.#eye.y - 0.5) + this.#noise.y;
          if (this.#body.shakingAt(t)) {
            x += r.normal(0, 0.15);
            y += r.normal(0, 0.15);
          }
          pts.push({ t: Math.round(ts * 10) / 10, x: Math.round(x * 1e4) / 1e4, y: Math.round(y * 1e4) / 1e4 });
        }
      }
      this.#t += dt;
    }
    return { pts };
  }
}
