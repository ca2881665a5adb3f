import { atLeast, atMost, inRange, scanMargin, SOFT_SCALES } from './margins.ts';
import { gazeTarget } from '../stimulus/gaze.ts';
import type { GazeStimulus } from '../stimulus/types.ts';
import { CheckList, fmtS, unusable } from './checks.ts';
import { DEFAULT_CONFIG, type GazeConfig } from './config.ts';
import { checkTimes, median, round } from './dsp.ts';
import type { GazePoint, GazeStream, ModalityResult, PersonProfile } from './types.ts';
import { describeChange, lowerBound, scanChange, type SegmentFeatures } from './consistency.ts';

/** Lag search extends beyond the accepted window so a leading or very late gaze is reported as such. */
const SEARCH_MIN_MS = -300;
const SEARCH_MAX_MS = 700;
const STEP_MS = 10;

/** Target path on a 10 ms grid from -1 s to the session end, for cheap lagged lookups. */
function targetGrid(stim: GazeStimulus, durationMs: number): { x: Float64Array; y: Float64Array; t0: number } {
  const t0 = -1000;
  const n = Math.ceil((durationMs - t0) / STEP_MS) + 2;
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const p = gazeTarget(stim, t0 + k * STEP_MS);
    x[k] = p.x;
    y[k] = p.y;
  }
  return { x, y, t0 };
}

function lookup(g: { x: Float64Array; y: Float64Array; t0: number }, t: number): [number, number] {
  const f = Math.min(g.x.length - 1.001, Math.max(0, (t - g.t0) / STEP_MS));
  const i = Math.floor(f);
  const w = f - i;
  return [g.x[i]! + (g.x[i + 1]! - g.x[i]!) * w, g.y[i]! + (g.y[i + 1]! - g.y[i]!) * w];
}

const GAZE_LABELS: Record<string, (a: number, b: number) => string> = {
  offX: (a, b) => `horizontal calibration offset ${round(a, 3)} -> ${round(b, 3)}`,
  offY: (a, b) => `vertical calibration offset ${round(a, 3)} -> ${round(b, 3)}`,
  gain: (a, b) => `gain ${round(a, 2)} -> ${round(b, 2)}`,
  noise: (a, b) => `tracking noise x${round(Math.exp(b - a), 2)}`,
  interval: (a, b) => `sample interval ${round(Math.exp(a), 1)} -> ${round(Math.exp(b), 1)} ms`,
};

export interface GazeFit {
  lagMs: number;
  correlation: number;
  gainX: number;
  gainY: number;
  /** Per-sample distance between gaze and the fitted lagged target, screen units. */
  residuals: Float64Array;
}

/** Best-lag fit of gaze to the target: pooled x/y correlation, then per-axis linear calibration. */
export function fitGaze(pts: readonly GazePoint[], stim: GazeStimulus, durationMs: number): GazeFit {
  const grid = targetGrid(stim, durationMs);
  const n = pts.length;
  let mx = 0, my = 0;
  for (const p of pts) {
    mx += p.x;
    my += p.y;
  }
  mx /= n;
  my /= n;
  let best = -Infinity, bestLag = 0;
  const tx = new Float64Array(n), ty = new Float64Array(n);
  for (let lag = SEARCH_MIN_MS; lag <= SEARCH_MAX_MS; lag += STEP_MS) {
    let sx = 0, sy = 0;
    for (let i = 0; i < n; i++) {
      const [a, b] = lookup(grid, pts[i]!.t - lag);
      tx[i] = a;
      ty[i] = b;
      sx += a;
      sy += b;
    }
    sx /= n;
    sy /= n;
    let sgt = 0, sgg = 0, stt = 0;
    for (let i = 0; i < n; i++) {
      const gx = pts[i]!.x - mx, gy = pts[i]!.y - my, ax = tx[i]! - sx, ay = ty[i]! - sy;
      sgt += gx * ax + gy * ay;
      sgg += gx * gx + gy * gy;
      stt += ax * ax + ay * ay;
    }
    const r = sgg > 0 && stt > 0 ? sgt / Math.sqrt(sgg * stt) : 0;
    if (r > best) {
      best = r;
      bestLag = lag;
    }
  }
  // Per-axis regression at the best lag: gaze = a + b * target (tracker calibration and pursuit gain).
  for (let i = 0; i < n; i++) [tx[i], ty[i]] = lookup(grid, pts[i]!.t - bestLag);
  const fit = (g: (p: GazePoint) => number, t: Float64Array): [number, number] => {
    let sg = 0, st = 0;
    for (let i = 0; i < n; i++) {
      sg += g(pts[i]!);
      st += t[i]!;
    }
    sg /= n;
    st /= n;
    let num = 0, den = 0;
    for (let i = 0; i < n; i++) {
      num += (t[i]! - st) * (g(pts[i]!) - sg);
      den += (t[i]! - st) ** 2;
    }
    const b = den > 0 ? num / den : 0;
    return [sg - b * st, b];
  };
  const [ax, bx] = fit((p) => p.x, tx);
  const [ay, by] = fit((p) => p.y, ty);
  const residuals = new Float64Array(n);
  for (let i = 0; i < n; i++) residuals[i] = Math.hypot(pts[i]!.x - ax - bx * tx[i]!, pts[i]!.y - ay - by * ty[i]!);
  return { lagMs: bestLag, correlation: Number.isFinite(best) ? best : 0, gainX: bx, gainY: by, residuals };
}

/**
 * Smooth pursuit of this challenge's target path.
 *
 * Plausibility: sample rate, coordinates near the screen, no jump faster than the fastest saccade,
 * coverage. Coupling: gaze must correlate with THIS target path at a lag of 70-300 ms (pursuit
 * latency; a gaze that leads the target knew the path in advance, one far behind is not pursuit);
 * two challenges' paths (random phases and frequencies) are nearly uncorrelated. Fit: calibration gain
 * plausible; residual error neither below any eye tracker's noise (a replayed target path) nor so
 * large that it is not following.
 */
export function verifyGaze(stream: GazeStream | undefined, stim: GazeStimulus, durationMs: number, cfg: GazeConfig, profile?: PersonProfile['gaze']): ModalityResult {
  const pts = stream?.pts;
  if (!Array.isArray(pts) || pts.length < 30) return unusable('gaze', 'gaze: no gaze stream (need at least 30 points)');
  const bad = checkTimes(pts);
  if (bad) return unusable('gaze', `gaze: ${bad}`);
  if (pts.some((p) => !Number.isFinite(p.x) || !Number.isFinite(p.y))) return unusable('gaze', 'gaze: a coordinate is not a finite number');
  const c = new CheckList('gaze');
  const n = pts.length;
  const dts: number[] = [];
  for (let i = 1; i < n; i++) dts.push(pts[i]!.t - pts[i - 1]!.t);
  const rate = 1000 / Math.max(1e-6, median(dts));
  c.add('rate', rate >= cfg.rateHz.min && rate <= cfg.rateHz.max, `gaze: sample rate ${round(rate, 1)} Hz outside ${cfg.rateHz.min}-${cfg.rateHz.max} Hz`);
  c.add('coverage', pts[0]!.t <= 500 && pts[n - 1]!.t >= durationMs - 500, `gaze: samples span ${fmtS(pts[0]!.t)} to ${fmtS(pts[n - 1]!.t)}, not the whole ${fmtS(durationMs)} session`);
  const maxGap = Math.max(...dts);
  c.add('gaps', maxGap <= cfg.maxGapMs, `gaze: a ${round(maxGap, 0)} ms gap without samples (longest blink or tracking loss tolerated: ${cfg.maxGapMs} ms)`);
  const off = pts.filter((p) => p.x < cfg.coord.min || p.x > cfg.coord.max || p.y < cfg.coord.min || p.y > cfg.coord.max);
  c.add('coordinates', off.length <= 1, `gaze: ${off.length} point(s) far off the screen (outside ${cfg.coord.min}..${cfg.coord.max}), first at ${fmtS(off[0]?.t ?? 0)}`);
  let fast = 0, firstFast = 0;
  // Camera frame timestamps jitter by a few ms (delivery, not exposure): a velocity over less than
  // half a frame period is a timestamp artefact, so the interval is floored there.
  const minDt = Math.max(1, 0.5 * median(dts));
  for (let i = 1; i < n; i++) {
    const v = (Math.hypot(pts[i]!.x - pts[i - 1]!.x, pts[i]!.y - pts[i - 1]!.y) * cfg.degPerUnit * 1000) / Math.max(minDt, dts[i - 1]!);
    if (v > cfg.maxVelocityDegS && fast++ === 0) firstFast = pts[i]!.t;
  }
  c.add('velocity', fast <= 2, `gaze: ${fast} jump(s) faster than ${cfg.maxVelocityDegS} deg/s (faster than any saccade), first at ${fmtS(firstFast)}`);

  const f = fitGaze(pts, stim, durationMs);
  const lagOk = f.lagMs >= cfg.lagMs.min && f.lagMs <= cfg.lagMs.max;
  c.add('coupling', f.correlation >= cfg.minCorrelation, `gaze: gaze does not follow this challenge's target path (correlation ${round(f.correlation, 2)}, need ${cfg.minCorrelation})`, atLeast(f.correlation, cfg.minCorrelation, SOFT_SCALES.correlation));
  c.add('lag', lagOk, f.lagMs < cfg.lagMs.min
    ? `gaze: gaze is only ${f.lagMs} ms behind the target (pursuit needs at least ${cfg.lagMs.min} ms): it anticipated a path it could not have seen`
    : `gaze: gaze trails the target by ${f.lagMs} ms (smooth pursuit trails by ${cfg.lagMs.min}-${cfg.lagMs.max} ms)`,
    // Only a slow pursuit is soft; a lead (knew the path) is attack evidence.
    f.lagMs >= cfg.lagMs.min ? atMost(f.lagMs, cfg.lagMs.max, SOFT_SCALES.gazeLagMs) : undefined);
  const gain = (f.gainX + f.gainY) / 2;
  c.add('gain', gain >= cfg.gain.min && gain <= cfg.gain.max, `gaze: tracking gain ${round(gain, 2)} outside ${cfg.gain.min}-${cfg.gain.max}`, inRange(gain, cfg.gain.min, cfg.gain.max, SOFT_SCALES.gazeGain));
  const resid = median(f.residuals) * 1.4826;
  c.add('residual', resid >= cfg.residual.min && resid <= cfg.residual.max, resid < cfg.residual.min
    ? `gaze: gaze matches the target path with ${round(resid, 4)} units error, below any eye tracker's noise (${cfg.residual.min}): a copy of the path, not an eye`
    : `gaze: gaze wanders ${round(resid, 3)} units from the target (more than ${cfg.residual.max}): not following it`,
    // Only a noisy tracker is soft; a path copied below any tracker's noise is attack evidence.
    resid >= cfg.residual.min ? atMost(resid, cfg.residual.max, SOFT_SCALES.gazeResidual) : undefined);
  // One pair of eyes through one tracker (consistency.ts): calibration offset and gain, tracking noise
  // and sample rate hold through the session; a splice of two people (two sessions, two trackers)
  // changes them at the cut.
  const cc = cfg.consistency ?? DEFAULT_CONFIG.gaze.consistency!;
  const scan = scanChange(pts[0]!.t, pts[n - 1]!.t, cc, gazeSegmentFeatures(pts, stim, f.lagMs));
  c.add('stationarity', scan.stat <= cc.maxStat, `gaze: gaze tracking changes at ${fmtS(scan.cutMs)} (change score ${round(scan.stat, 1)}, one person on one tracker stays below ${cc.maxStat}: ${describeChange(scan, GAZE_LABELS)}): two recordings spliced`, scanMargin(scan.stat, cc.maxStat));
  if (profile) {
    const [lo, hi] = profile.lagMs;
    c.add('profile', f.lagMs >= lo && f.lagMs <= hi, `gaze: pursuit lag ${f.lagMs} ms outside this person's enrolled ${lo}-${hi} ms`, inRange(f.lagMs, lo, hi, SOFT_SCALES.gazeLagMs));
  }
  const features = {
    rateHz: round(rate, 1),
    points: n,
    lagMs: f.lagMs,
    coupling: round(f.correlation, 3),
    gain: round(gain, 3),
    residual: round(resid, 4),
    maxGapMs: round(maxGap, 0),
    changeScore: round(scan.stat, 2),
  };
  return c.result(features, (f.correlation - cfg.minCorrelation) / (1 - cfg.minCorrelation));
}

/**
 * Person and tracker features of a part of a gaze session (for the change-point scan,
 * consistency.ts), relative to the target at the session's pursuit lag: per-axis calibration offset
 * at the screen centre (offX, offY) and mean gain (gain) from a per-part regression; log tracker noise
 * (noise: mean sample-to-sample change of the residual, capped at 3x its median so saccades do not
 * dominate); log sample interval (interval: the tracker's rate). (A per-part pursuit lag was tried:
 * with catch-up saccades it is too noisy on 6-15 s to help.) Prefix sums, so O(1) per cut.
 */
export function gazeSegmentFeatures(pts: readonly GazePoint[], stim: GazeStimulus, lagMs: number): SegmentFeatures {
  const n = pts.length;
  const t = new Float64Array(n);
  // Outliers (the eyes lost while the phone is shaken, blink edges, saccades in flight) are left out:
  // a sample whose distance from the target (after a session-wide offset) exceeds 4x the median.
  const gx = new Float64Array(n), gy = new Float64Array(n);
  let ox = 0, oy = 0;
  for (let i = 0; i < n; i++) {
    const g = gazeTarget(stim, pts[i]!.t - lagMs);
    gx[i] = g.x;
    gy[i] = g.y;
    ox += pts[i]!.x - g.x;
    oy += pts[i]!.y - g.y;
  }
  ox /= n;
  oy /= n;
  const dist = Array.from({ length: n }, (_, i) => Math.hypot(pts[i]!.x - gx[i]! - ox, pts[i]!.y - gy[i]! - oy));
  const limit = 4 * median(dist);
  const steps: number[] = [];
  for (let i = 1; i < n; i++) steps.push(Math.hypot(pts[i]!.x - gx[i]! - pts[i - 1]!.x + gx[i - 1]!, pts[i]!.y - gy[i]! - pts[i - 1]!.y + gy[i - 1]!));
  const stepCap = 3 * median(steps);
  // Prefix sums over the kept samples: x, y, tx, ty, tx^2, ty^2, x*tx, y*ty, noise, noise count,
  // log dt, count, x^2, y^2.
  const K = 14;
  const P = new Float64Array((n + 1) * K);
  const row = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    const p = pts[i]!;
    t[i] = p.t;
    row.fill(0);
    if (dist[i]! <= limit) {
      const tx = gx[i]!, ty = gy[i]!;
      row.set([p.x, p.y, tx, ty, tx * tx, ty * ty, p.x * tx, p.y * ty], 0);
      const dt = i > 0 ? p.t - pts[i - 1]!.t : NaN;
      if (i > 0 && dist[i - 1]! <= limit && dt > 0 && dt < 60) {
        row[8] = Math.min(stepCap, steps[i - 1]!);
        row[9] = 1;
        row[10] = Math.log(dt);
      }
      row[11] = 1;
      row[12] = p.x * p.x;
      row[13] = p.y * p.y;
    }
    for (let k = 0; k < K; k++) P[(i + 1) * K + k] = P[i * K + k]! + row[k]!;
  }
  return (a, b) => {
    const i0 = lowerBound(t, a), i1 = lowerBound(t, b);
    const S = (k: number): number => P[i1 * K + k]! - P[i0 * K + k]!;
    const m = S(11);
    if (m < 60) return {};
    const [sx, sy, stx, sty, stxx, styy, sxtx, syty, sn, nn, sdt, , sxx, syy] = Array.from({ length: K }, (_, k) => S(k)) as number[];
    // Pursuit errors are correlated over ~0.3 s: that many independent samples per part.
    const mEff = Math.max(2, (t[i1 - 1]! - t[i0]!) / 300);
    // Per axis: gaze = alpha + beta * target; offset evaluated at the screen centre, with standard
    // errors (a part where the target stays on one side extrapolates the offset to the centre).
    const axis = (sg: number, st: number, stt: number, sgt: number, sgg: number): [number, number, number, number] => {
      const vt = stt - (st * st) / m, vg = sgg - (sg * sg) / m, cgt = sgt - (sg * st) / m;
      const beta = vt > 0 ? cgt / vt : NaN;
      const alpha = (sg - beta * st) / m;
      const s2 = Math.max(0, vg - beta * cgt) / m;
      const varBeta = vt > 0 ? s2 / ((vt / m) * mEff) : NaN;
      const dc = 0.5 - st / m;
      return [alpha + beta * 0.5 - 0.5, beta, varBeta, s2 / mEff + dc * dc * varBeta];
    };
    const [ox, bx, vbx, vox] = axis(sx!, stx!, stxx!, sxtx!, sxx!), [oy, by, vby, voy] = axis(sy!, sty!, styy!, syty!, syy!);
    return {
      offX: ox,
      offXSe: Math.sqrt(vox),
      offY: oy,
      offYSe: Math.sqrt(voy),
      gain: (bx + by) / 2,
      gainSe: Math.sqrt(vbx + vby) / 2,
      noise: nn! > 20 ? Math.log(sn! / nn!) : NaN,
      interval: nn! > 20 ? sdt! / nn! : NaN,
    };
  };
}
