import { gazeTarget } from '../../../src/core/stimulus/gaze.ts';
import type { GazeStimulus } from '../../../src/core/stimulus/types.ts';
import type { GazePoint, GazeStream } from '../../../src/core/liveness/types.ts';
import type { Rng } from '../rng.ts';
import { shakingAt, type BodyB } from './body.ts';
import { powerLaw, sampleClock } from './dist.ts';
import type { PersonB } from './person.ts';

const DEG_PER_UNIT = 12;

/**
 * Family-B pursuit and tracker. Eye: pursuit velocity driven by the target velocity seen a latency
 * ago through a first-order lag with gain (Robinson et al. 1986); catch-up saccades by the
 * eye-crossing-time rule (de Brouwer et al. 2002: no saccade when the eye would cross the target
 * within 40-180 ms by pursuit alone; otherwise one after ~120 ms, aimed at the error plus the slip
 * it will accumulate), duration 23 ms + 2.7 ms/deg (Carpenter 1988). The target path is read at
 * t - latency, within the 1.2 s the device has been sent. Tracker (front-camera / webcam class,
 * e.g. WebGazer accuracy 2-4 deg; Papoutsaki et al. 2016): calibration offset and gain, head drift
 * (1/f), AR(1) noise, 15-60 Hz with frame jitter, blinks 8-22/min (100-400 ms), and episodes where
 * it loses the face (0-6/min, lognormal duration): missing samples. A shaken phone mostly loses the face.
 */
export function gazeB(p: PersonB['gaze'], stim: GazeStimulus, durationMs: number, r: Rng, body: BodyB): GazeStream {
  const dt = 5;
  const eyeX: number[] = [], eyeY: number[] = [];
  let ex = gazeTarget(stim, 0).x, ey = gazeTarget(stim, 0).y, vx = 0, vy = 0;
  let sacc: { t0: number; dur: number; fx: number; fy: number; tx: number; ty: number } | null = null;
  let plannedAt: number | null = null;
  let lastEnd = -1000;
  for (let t = 0; t < durationMs + dt; t += dt) {
    const seen = Math.max(0, t - p.latencyMs);
    const tg = gazeTarget(stim, seen), tp = gazeTarget(stim, Math.max(0, seen - 10));
    const tvx = (tg.x - tp.x) / 0.01, tvy = (tg.y - tp.y) / 0.01;
    if (sacc) {
      const u = (t - sacc.t0) / sacc.dur;
      if (u >= 1) {
        ex = sacc.tx; ey = sacc.ty; sacc = null; lastEnd = t;
      } else {
        const s = (1 - Math.cos(Math.PI * u)) / 2;
        ex = sacc.fx + (sacc.tx - sacc.fx) * s;
        ey = sacc.fy + (sacc.ty - sacc.fy) * s;
      }
    } else {
      const k = dt / p.tauMs;
      vx += (p.gain * tvx - vx) * k;
      vy += (p.gain * tvy - vy) * k;
      ex += (vx * dt) / 1000 + 0.001 * r.normal();
      ey += (vy * dt) / 1000 + 0.001 * r.normal();
      const cur = gazeTarget(stim, Math.max(0, t - 40));
      const pex = cur.x - ex, pey = cur.y - ey;
      const pe = Math.hypot(pex, pey);
      const slip = Math.hypot(tvx - vx, tvy - vy);
      // Eye crossing time: how soon pursuit alone would close the error (de Brouwer 2002).
      const closing = slip > 1e-6 ? -((pex * (vx - tvx) + pey * (vy - tvy)) / (pe * slip)) : 0;
      const tx = closing < 0 && pe > 0 ? (pe / slip) * 1000 : Infinity;
      if (plannedAt === null && pe > 0.5 / DEG_PER_UNIT && (tx < 40 || tx > 180) && t - lastEnd > 120) plannedAt = t + r.uniform(90, 150);
      if (plannedAt !== null && t >= plannedAt) {
        plannedAt = null;
        const ax = pex + (tvx - vx) * 0.125, ay = pey + (tvy - vy) * 0.125;
        const amp = Math.hypot(ax, ay) * DEG_PER_UNIT;
        sacc = { t0: t, dur: 23 + 2.7 * amp, fx: ex, fy: ey, tx: ex + ax * (1 + r.normal(0, 0.08)), ty: ey + ay * (1 + r.normal(0, 0.08)) };
      }
    }
    eyeX.push(ex);
    eyeY.push(ey);
  }
  const driftX = powerLaw(r.fork('hx'), p.headDrift, 0.02, 0.5, 1), driftY = powerLaw(r.fork('hy'), p.headDrift, 0.02, 0.5, 1);
  // Missing-sample episodes: blinks and face loss.
  const gaps: [number, number][] = [];
  for (let t = r.exponential(60000 / p.blinkPerMin); t < durationMs; t += 300 + r.exponential(60000 / p.blinkPerMin)) gaps.push([t, t + r.uniform(100, 400)]);
  if (p.losePerMin > 0) for (let t = r.exponential(60000 / p.losePerMin); t < durationMs; t += r.exponential(60000 / p.losePerMin)) gaps.push([t, t + Math.min(1500, p.loseMedianMs * Math.exp(0.6 * r.normal()))]);
  const pts: GazePoint[] = [];
  let nx = 0, ny = 0;
  const rho = 0.5;
  for (const t of sampleClock(r.fork('clock'), p.rateHz, durationMs, p.jitterMs, 0.01)) {
    nx = rho * nx + Math.sqrt(1 - rho * rho) * r.normal(0, p.noise);
    ny = rho * ny + Math.sqrt(1 - rho * rho) * r.normal(0, p.noise);
    if (gaps.some(([a, b]) => t >= a && t < b)) continue;
    const i = Math.min(eyeX.length - 1, Math.round(t / dt));
    let x = 0.5 + p.offX + driftX(t / 1000) + p.calGain * (eyeX[i]! - 0.5) + nx;
    let y = 0.5 + p.offY + driftY(t / 1000) + p.calGain * (eyeY[i]! - 0.5) + ny;
    if (shakingAt(body, t)) {
      if (r.chance(0.7)) continue;
      x += r.normal(0, 0.2);
      y += r.normal(0, 0.2);
    }
    pts.push({ t, x: Math.round(x * 1e4) / 1e4, y: Math.round(y * 1e4) / 1e4 });
  }
  return { pts };
}
