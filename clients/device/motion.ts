import type { Gesture, RevealEvent } from '../../src/core/stimulus/types.ts';
import type { MotionStream, Vec3Sample } from '../../src/core/liveness/types.ts';
import type { ModalitySimulator, SessionBody } from './body.ts';
import type { MotionPerson } from './person.ts';
import { PinkNoise, type Rng } from './rng.ts';

const G = 9.80665;
const DEG = Math.PI / 180;

/** Minimum-jerk position profile s(u) for u in [0, 1] (Flash & Hogan 1985) and its derivatives. */
function minJerk(u: number): [number, number, number] {
  if (u <= 0) return [0, 0, 0];
  if (u >= 1) return [1, 0, 0];
  const u2 = u * u, u3 = u2 * u;
  return [10 * u3 - 15 * u3 * u + 6 * u3 * u2, 30 * u2 - 60 * u3 + 30 * u3 * u, 60 * u - 180 * u2 + 120 * u3];
}

interface PlannedGesture {
  gesture: Gesture;
  start: number;
  amp: number;
  out: number;
  hold: number;
  back: number;
  shakeHz: number;
  shakeAmp: number;
  shakeMs: number;
  shakePhase: number;
  end: number;
  /** The hand does not return exactly to the old pose: neutral roll/pitch shift after this gesture, deg. */
  poseShift: [number, number];
}

/**
 * Hand-held phone IMU. Orientation = neutral reading pose + 1/f postural sway + prompted gestures.
 * A tilt is a minimum-jerk rotation out, a hold and a minimum-jerk return about the wrist, starting one
 * choice-reaction time after the prompt appears; a shake is a 3-5.5 Hz side-to-side oscillation under
 * a minimum-jerk envelope. The accelerometer reads gravity rotated into the device frame plus the
 * linear acceleration of the phone (tangential acceleration about the wrist pivot, the shake), plus
 * 8-12 Hz physiological tremor (a resonant AR(2) process), screen-tap jolts from typing, and MEMS
 * noise. The gyroscope reads the angular velocity of the same orientation trajectory.
 */
export class MotionSimulator implements ModalitySimulator<MotionStream> {
  readonly #p: MotionPerson;
  readonly #rng: Rng;
  readonly #body: SessionBody;
  readonly #swayR: PinkNoise;
  readonly #swayP: PinkNoise;
  readonly #planned: PlannedGesture[] = [];
  readonly #seen = new Set<number>();
  #next = 0;
  readonly #tremor: number[][] = [[0, 0], [0, 0], [0, 0]];
  readonly #tremorA1: number;
  readonly #tremorA2: number;
  readonly #tremorDrive: number;
  #prevSway: [number, number] = [0, 0];
  readonly #sway: [number, number] = [0, 0];
  /** Tremor amplitude wanders within the session (log-scale 1/f, sd 0.1, 2-16 s). */
  readonly #tremorMod: PinkNoise;

  constructor(person: MotionPerson, rng: Rng, body: SessionBody) {
    this.#p = person;
    this.#rng = rng;
    this.#body = body;
    this.#swayR = new PinkNoise(rng.fork('swayR'), person.swayDeg, 0.25, 16);
    this.#swayP = new PinkNoise(rng.fork('swayP'), person.swayDeg, 0.25, 16);
    this.#tremorMod = new PinkNoise(rng.fork('tremorMod'), 0.1, 2, 16);
    const fs = person.rateHz;
    const r = Math.exp((-Math.PI * 2.5) / fs);
    const th = (2 * Math.PI * person.tremorHz) / fs;
    this.#tremorA1 = 2 * r * Math.cos(th);
    this.#tremorA2 = -r * r;
    // Stationary variance of the AR(2) with unit drive, used to scale the drive to tremorRms.
    const varUnit = (1 + r * r) / ((1 - r * r) * ((1 + r * r) ** 2 - 4 * r * r * Math.cos(th) ** 2));
    this.#tremorDrive = person.tremorRms / Math.sqrt(varUnit);
  }

  /** Plan each gesture once its prompt is visible: the start is one reaction time after the reveal. */
  #plan(revealed: readonly RevealEvent[]): void {
    const p = this.#p;
    const r = this.#rng;
    for (const e of revealed) {
      if (e.payload.type !== 'gesture' || this.#seen.has(e.index)) continue;
      this.#seen.add(e.index);
      const prevEnd = this.#planned.length ? this.#planned[this.#planned.length - 1]!.end : -Infinity;
      const start = Math.max(e.revealAt + Math.max(200, r.normal(p.reactionMs, p.reactionSd)), prevEnd + 150);
      const g: PlannedGesture = {
        gesture: e.payload.gesture,
        start,
        amp: p.tiltDeg * r.uniform(0.8, 1.2),
        out: p.tiltOutMs * r.uniform(0.85, 1.15),
        hold: p.holdMs * r.uniform(0.7, 1.3),
        back: p.tiltBackMs * r.uniform(0.85, 1.15),
        shakeHz: p.shakeHz * r.uniform(0.9, 1.1),
        shakeAmp: p.shakeAmpM * r.uniform(0.8, 1.2),
        shakeMs: p.shakeMs * r.uniform(0.85, 1.15),
        shakePhase: r.uniform(0, 2 * Math.PI),
        end: 0,
        poseShift: [r.normal(0, 1.5), r.normal(0, 2)],
      };
      g.end = g.gesture === 'shake' ? start + g.shakeMs : start + g.out + g.hold + g.back;
      this.#planned.push(g);
      this.#body.movements.push({ start: g.start, end: g.end, kind: g.gesture === 'shake' ? 'shake' : 'tilt' });
    }
  }

  /** Gesture contribution at t: roll/pitch (rad), their rates and accelerations, linear x acceleration. */
  #gestureAt(t: number): { roll: number; pitch: number; wr: number; wp: number; ar: number; ap: number; linX: number } {
    const o = { roll: 0, pitch: 0, wr: 0, wp: 0, ar: 0, ap: 0, linX: 0 };
    for (const g of this.#planned) {
      if (t >= g.end) {
        o.roll += g.poseShift[0] * DEG;
        o.pitch += g.poseShift[1] * DEG;
      }
      if (t < g.start || t >= g.end) continue;
      if (g.gesture === 'shake') {
        const u = (t - g.start) / g.shakeMs;
        // Envelope: min-jerk up over the first 20 %, down over the last 20 %.
        const up = minJerk(u / 0.2), down = minJerk((1 - u) / 0.2);
        const env = Math.min(up[0], down[0]);
        const w = 2 * Math.PI * g.shakeHz;
        const ts = (t - g.start) / 1000;
        o.linX += -g.shakeAmp * env * w * w * Math.sin(w * ts + g.shakePhase);
        const settle: [number, number, number] = u > 0.8 ? minJerk((u - 0.8) / 0.2) : [0, 0, 0];
        o.roll += g.poseShift[0] * DEG * settle[0];
        o.pitch += g.poseShift[1] * DEG * settle[0];
        o.wr += (g.poseShift[0] * DEG * settle[1]) / ((0.2 * g.shakeMs) / 1000);
        o.wp += (g.poseShift[1] * DEG * settle[1]) / ((0.2 * g.shakeMs) / 1000);
        o.roll += 6 * DEG * env * Math.sin(w * ts + g.shakePhase + 1);
        o.wr += 6 * DEG * env * w * Math.cos(w * ts + g.shakePhase + 1);
        continue;
      }
      const amp = g.amp * DEG;
      let s: [number, number, number];
      if (t < g.start + g.out) {
        const m = minJerk((t - g.start) / g.out);
        s = [m[0], m[1] / (g.out / 1000), m[2] / (g.out / 1000) ** 2];
      } else if (t < g.start + g.out + g.hold) s = [1, 0, 0];
      else {
        const m = minJerk((t - g.start - g.out - g.hold) / g.back);
        s = [1 - m[0], -m[1] / (g.back / 1000), -m[2] / (g.back / 1000) ** 2];
        o.roll += g.poseShift[0] * DEG * m[0];
        o.pitch += g.poseShift[1] * DEG * m[0];
        o.wr += (g.poseShift[0] * DEG * m[1]) / (g.back / 1000);
        o.wp += (g.poseShift[1] * DEG * m[1]) / (g.back / 1000);
      }
      const sign = g.gesture === 'tilt-right' || g.gesture === 'tilt-back' ? 1 : -1;
      if (g.gesture === 'tilt-left' || g.gesture === 'tilt-right') {
        o.roll += sign * amp * s[0];
        o.wr += sign * amp * s[1];
        o.ar += sign * amp * s[2];
      } else {
        o.pitch += sign * amp * s[0];
        o.wp += sign * amp * s[1];
        o.ap += sign * amp * s[2];
      }
    }
    return o;
  }

  advance(untilMs: number, revealed: readonly RevealEvent[]): MotionStream {
    this.#plan(revealed);
    const p = this.#p;
    const r = this.#rng;
    const dt = 1000 / p.rateHz;
    const acc: Vec3Sample[] = [];
    const gyro: Vec3Sample[] = [];
    while (this.#next * dt < untilMs) {
      const t = this.#next * dt;
      this.#next++;
      // Sway: pink noise low-passed at ~1 Hz (a hand-held phone's posture wanders smoothly).
      const k = Math.min(1, dt / 150);
      this.#sway[0] += (this.#swayR.step(dt / 1000) - this.#sway[0]) * k;
      this.#sway[1] += (this.#swayP.step(dt / 1000) - this.#sway[1]) * k;
      const [sr, sp] = this.#sway;
      const gst = this.#gestureAt(t);
      const roll = (p.roll0Deg + sr) * DEG + gst.roll;
      const pitch = (p.pitch0Deg + sp) * DEG + gst.pitch;
      const swayRate: [number, number] = [((sr - this.#prevSway[0]) * DEG) / (dt / 1000), ((sp - this.#prevSway[1]) * DEG) / (dt / 1000)];
      this.#prevSway = [sr, sp];
      // Gravity reaction in the device frame (x right, y up the screen, z out of the screen).
      let ax = -G * Math.sin(roll) * Math.cos(pitch);
      let ay = G * Math.sin(pitch);
      let az = G * Math.cos(roll) * Math.cos(pitch);
      // Rotation about the wrist pivot: tangential acceleration alpha*R, centripetal omega^2*R.
      ax += gst.ar * p.pivotM + gst.linX;
      az += -gst.ap * p.pivotM;
      ay += (gst.wr * gst.wr + gst.wp * gst.wp) * p.pivotM;
      // Screen taps: the finger pushes the phone away (-z) for ~30 ms, then it rebounds.
      for (let i = this.#body.taps.length - 1; i >= 0; i--) {
        const d = t - this.#body.taps[i]!;
        if (d > 80) break;
        if (d >= 0 && d < 30) az -= p.tapAcc * Math.sin((Math.PI * d) / 30);
        else if (d >= 30 && d < 70) az += 0.4 * p.tapAcc * Math.sin((Math.PI * (d - 30)) / 40);
      }
      const drive = this.#tremorDrive * Math.exp(this.#tremorMod.step(dt / 1000));
      const tr = this.#tremor.map((st) => {
        const y = this.#tremorA1 * st[0]! + this.#tremorA2 * st[1]! + drive * r.normal();
        st[1] = st[0]!;
        st[0] = y;
        return y;
      });
      const ts = Math.max(0, Math.round((t + r.normal(0, 0.3)) * 10) / 10);
      const [bx, by, bz] = p.accBias ?? [0, 0, 0];
      const k1 = p.accScale ?? 1;
      acc.push({ t: ts, x: k1 * (ax + tr[0]!) + bx + r.normal(0, p.accNoise), y: k1 * (ay + tr[1]!) + by + r.normal(0, p.accNoise), z: k1 * (az + tr[2]!) + bz + r.normal(0, p.accNoise) });
      gyro.push({ t: ts, x: gst.wp + swayRate[1] + r.normal(0, p.gyroNoise), y: gst.wr + swayRate[0] + r.normal(0, p.gyroNoise), z: r.normal(0, p.gyroNoise) });
    }
    return { acc, gyro };
  }
}
