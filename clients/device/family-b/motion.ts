import type { GesturePrompt } from '../../../src/core/stimulus/types.ts';
import type { MotionStream, Vec3Sample } from '../../../src/core/liveness/types.ts';
import type { Rng } from '../rng.ts';
import type { BodyB } from './body.ts';
import { exGauss, powerLaw, sampleClock, spectralBand } from './dist.ts';
import type { PersonB } from './person.ts';

const G = 9.80665;
const DEG = Math.PI / 180;

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 via erf). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

interface Tilt { t0: number; axis: 'roll' | 'pitch'; sign: number; amp: number; off: number; mu: number; sigma: number; backAt: number; shift: [number, number] }
interface Shake { t0: number; dur: number; hz: number; peak: number; phase: number; rollDeg: number }

/**
 * Plan the gestures: movement starts one ex-Gaussian choice reaction time after the prompt
 * (Luce 1986; Hick 1952 for the five-choice mean) and not before the previous gesture ended.
 * Returns the ground-truth onsets (the time the movement reaches 5 % of its excursion, or the shake's start).
 */
export function planGesturesB(p: PersonB['motion'], prompts: readonly GesturePrompt[], r: Rng, body: BodyB): { tilts: Tilt[]; shakes: Shake[]; truth: number[] } {
  const tilts: Tilt[] = [], shakes: Shake[] = [], truth: number[] = [];
  let prevEnd = -Infinity;
  prompts.forEach((pr, i) => {
    const rt = Math.max(180, exGauss(r, p.rtMu, p.rtSigma, p.rtTau));
    const start = Math.max(pr.atMs + rt, prevEnd + 120);
    if (pr.gesture === 'shake') {
      const dur = p.shakeMs * r.uniform(0.8, 1.25);
      shakes.push({ t0: start, dur, hz: p.shakeHz * r.uniform(0.9, 1.1), peak: p.shakePeakMs2 * r.uniform(0.75, 1.3), phase: r.uniform(0, 2 * Math.PI), rollDeg: r.uniform(0.5, 3) });
      truth.push(start);
      prevEnd = start + dur;
      body.gestures.push({ prompt: i, kind: 'shake', start, end: prevEnd });
      return;
    }
    const mu = p.tiltLogMu + r.normal(0, 0.1), sigma = p.tiltLogSigma * r.uniform(0.85, 1.15);
    // Lognormal velocity (Plamondon 1995): displacement = Phi((ln(t - t0) - mu) / sigma); 99 % reached at exp(mu + 2.33 sigma).
    const outMs = 1000 * Math.exp(mu + 2.33 * sigma);
    const backAt = start + outMs + p.holdMs * r.uniform(0.5, 1.5);
    const t: Tilt = {
      t0: start, axis: pr.gesture === 'tilt-left' || pr.gesture === 'tilt-right' ? 'roll' : 'pitch',
      sign: pr.gesture === 'tilt-right' || pr.gesture === 'tilt-back' ? 1 : -1,
      // Nobody tilts the phone back past upright: the excursion stops short of 88 deg pitch.
      amp: Math.min(p.tiltDeg * r.uniform(0.75, 1.3), pr.gesture === 'tilt-back' ? Math.max(5, 88 - p.pitch0) : 90) * DEG, off: p.offAxis * r.uniform(-1, 1), mu, sigma, backAt,
      shift: [r.normal(0, 2), r.normal(0, 2.5)],
    };
    tilts.push(t);
    truth.push(start + 1000 * Math.exp(mu - 1.645 * sigma));
    prevEnd = backAt + outMs * 1.1;
    body.gestures.push({ prompt: i, kind: 'tilt', start, end: prevEnd });
  });
  return { tilts, shakes, truth };
}

/**
 * Family-B phone IMU: posture-dependent holding pose with sway (1/f), tilts with lognormal velocity
 * profiles about an elbow/wrist radius (translation comes with rotation), off-axis components,
 * a new resting pose after each gesture; shakes as windowed lateral oscillation of a given peak
 * acceleration with a little roll; tremor as two bands, the 8-12 Hz neural component and the
 * 3-7 Hz mechanical resonance of hand and phone (Lakie et al. 2012; Elble 1996); tap jolts;
 * a phone with its own rate (50-100 Hz), timestamp jitter, dropped samples, bias, scale error,
 * noise and quantisation, and (70 % of phones) a biased, noisy gyroscope.
 */
export function motionB(p: PersonB['motion'], plan: { tilts: Tilt[]; shakes: Shake[] }, durationMs: number, r: Rng, body: BodyB): MotionStream {
  const swayR = powerLaw(r.fork('swayR'), p.swayDeg, 0.03, p.swayHz * 2, 1);
  const swayP = powerLaw(r.fork('swayP'), p.swayDeg, 0.03, p.swayHz * 2, 1);
  const tremor = [0, 1, 2].map((k) => {
    const a = spectralBand(r.fork('tn' + k), p.tremorHz, 0.8, p.tremorMs2 * 0.8, 16);
    const b = spectralBand(r.fork('tm' + k), p.resonanceHz, 0.6, p.tremorMs2 * 0.6, 16);
    return (s: number) => a(s) + b(s);
  });
  const orient = (t: number): [number, number] => {
    let roll = (p.roll0 + swayR(t / 1000)) * DEG, pitch = (p.pitch0 + swayP(t / 1000)) * DEG;
    for (const g of plan.tilts) {
      if (t <= g.t0) continue;
      const out = phi((Math.log((t - g.t0) / 1000) - g.mu) / g.sigma);
      const back = t > g.backAt ? phi((Math.log((t - g.backAt) / 1000) - g.mu) / g.sigma) : 0;
      const s = out - back;
      const main = g.sign * g.amp * s, side = g.off * g.amp * s;
      if (g.axis === 'roll') { roll += main; pitch += side; } else { pitch += main; roll += side; }
      roll += g.shift[0] * DEG * back;
      pitch += g.shift[1] * DEG * back;
    }
    for (const s of plan.shakes) {
      const u = (t - s.t0) / s.dur;
      if (u <= 0 || u >= 1) continue;
      roll += s.rollDeg * DEG * Math.sin(Math.PI * u) ** 2 * Math.sin(2 * Math.PI * s.hz * (t - s.t0) / 1000 + s.phase + 1);
    }
    return [roll, pitch];
  };
  const lateral = (t: number): number => {
    let x = 0;
    for (const s of plan.shakes) {
      const u = (t - s.t0) / s.dur;
      if (u <= 0 || u >= 1) continue;
      x += -s.peak * Math.sin(Math.PI * u) ** 2 * Math.sin(2 * Math.PI * s.hz * (t - s.t0) / 1000 + s.phase);
    }
    return x;
  };
  const q = (v: number): number => Math.round(v / p.quant) * p.quant;
  const acc: Vec3Sample[] = [], gyro: Vec3Sample[] = [];
  const h = 5;
  for (const t of sampleClock(r.fork('clock'), p.rateHz, durationMs, p.jitterMs, p.dropProb)) {
    const [roll, pitch] = orient(t);
    const [r1, p1] = orient(t - h), [r2, p2] = orient(t + h);
    const wr = (r2 - r1) / (2 * h / 1000), wp = (p2 - p1) / (2 * h / 1000);
    const ar = (r2 - 2 * roll + r1) / (h / 1000) ** 2, ap = (p2 - 2 * pitch + p1) / (h / 1000) ** 2;
    let ax = -G * Math.sin(roll) * Math.cos(pitch) + ar * p.radiusM + lateral(t);
    let ay = G * Math.sin(pitch) + (wr * wr + wp * wp) * p.radiusM;
    let az = G * Math.cos(roll) * Math.cos(pitch) - ap * p.radiusM;
    for (let i = body.taps.length - 1; i >= 0; i--) {
      const d = t - body.taps[i]!;
      if (d < -10) continue;
      if (d > 90) break;
      az += -p.tapMs2 * Math.exp(-(((d - 15) / 12) ** 2)) + 0.45 * p.tapMs2 * Math.exp(-(((d - 48) / 16) ** 2));
    }
    const s = t / 1000;
    ax += tremor[0]!(s); ay += tremor[1]!(s); az += tremor[2]!(s);
    acc.push({ t, x: q(p.scale * ax + p.bias[0] + r.normal(0, p.noise)), y: q(p.scale * ay + p.bias[1] + r.normal(0, p.noise)), z: q(p.scale * az + p.bias[2] + r.normal(0, p.noise)) });
    if (p.gyro) gyro.push({ t, x: wp + p.gyroBias[0] + r.normal(0, p.gyroNoise), y: wr + p.gyroBias[1] + r.normal(0, p.gyroNoise), z: p.gyroBias[2] + r.normal(0, p.gyroNoise) });
  }
  return p.gyro ? { acc, gyro } : { acc };
}
