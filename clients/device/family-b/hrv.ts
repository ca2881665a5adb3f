import type { BreathingSegment } from '../../../src/core/stimulus/types.ts';
import type { HrvStream } from '../../../src/core/liveness/types.ts';
import type { Rng } from '../rng.ts';
import { clamp, powerLaw, spectralBand } from './dist.ts';
import type { PersonB } from './person.ts';

/**
 * Family-B heart rhythm. Breathing follows each paced breath partially at once (compliance) and
 * catches up exponentially (tau), behind the pacer by a lag; inhalation is shorter than exhalation
 * (I:E ratio). Heart rate = resting rate + respiratory sinus arrhythmia (lung volume through a
 * second-order low-pass with a phase lead: Saul et al. 1991's respiration-to-HR transfer function)
 * + an LF band around 0.1 Hz and a VLF 1/f band by spectral synthesis (the RR tachogram of
 * McSharry et al. 2003, ECGSYN) + beat-level noise. Beats are sampled beat to beat
 * (RR_n = 60/HR(t_n), the ECGSYN construction, not an integrate-and-fire); ectopic beats with a
 * compensatory pause; PPG sensors jitter by 3-15 ms and miss beats (Lipponen & Tarvainen 2019).
 * Breathing segments are read only from reveals already sent (revealAt <= t).
 */
export function hrvB(p: PersonB['hrv'], segments: readonly BreathingSegment[], durationMs: number, r: Rng): { stream: HrvStream } {
  const dt = 0.05;
  const n = Math.ceil(durationMs / 1000 / dt) + 40;
  const lf = spectralBand(r.fork('lf'), p.lfHz, 0.015, p.lfBpm);
  const vlf = powerLaw(r.fork('vlf'), p.vlfBpm, 0.005, 0.04, 1);
  // Breathing phase: rate follows the guide's current rate with compliance + catch-up; phase is pulled to the guide's.
  const rateAt = (tMs: number): number => {
    let rate = segments[0]!.rateBpm;
    for (const s of segments) if (s.startMs <= tMs) rate = s.rateBpm;
    return rate;
  };
  const guidePhase = (tMs: number): number => {
    let s = segments[0]!;
    for (const x of segments) if (x.startMs <= tMs) s = x;
    return s.phaseAtStart + (s.rateBpm / 60000) * (tMs - s.startMs);
  };
  let phase = guidePhase(0) - (p.breathLagS * rateAt(0)) / 60;
  let rate = rateAt(0);
  let lastTarget = rate;
  let y1 = 0, y2 = 0;
  const w0 = 2 * Math.PI * p.rsaCornerHz;
  const hr: number[] = new Array(n);
  let prevV = 0;
  for (let i = 0; i < n; i++) {
    const tMs = i * dt * 1000 - 2000;
    const seen = Math.max(0, tMs - p.breathLagS * 1000);
    const target = rateAt(seen);
    // At a rate hop the breathing moves a `compliance` share of the way at once, then catches up.
    if (target !== lastTarget) {
      rate += p.compliance * (target - rate);
      lastTarget = target;
    }
    rate += (target - rate) * Math.min(1, dt / p.catchUpS);
    // Phase-lock to the guide seen a lag ago (a person breathes with the pacer, not free-running).
    const err = guidePhase(seen) - phase;
    const wrapped = err - Math.round(err);
    phase += (rate / 60) * dt + wrapped * Math.min(1, dt * 0.8 * p.compliance);
    // Asymmetric breath: inhalation takes ieRatio/(1+ieRatio) of the cycle.
    const f = ((phase % 1) + 1) % 1;
    const fi = p.ieRatio / (1 + p.ieRatio);
    const v = f < fi ? (1 - Math.cos((Math.PI * f) / fi)) / 2 : (1 + Math.cos((Math.PI * (f - fi)) / (1 - fi))) / 2;
    const flow = (v - prevV) / dt;
    prevV = v;
    // Second-order critically damped low-pass of volume (+ lead from flow).
    const u = v - 0.5 + p.rsaLeadS * flow;
    y2 += dt * (w0 * w0 * (u - y1) - 2 * w0 * y2);
    y1 += dt * y2;
    hr[i] = p.hrBpm + 2 * p.rsaBpm * y1 + lf(tMs / 1000) + vlf(tMs / 1000);
  }
  const hrAt = (tMs: number): number => hr[clamp(Math.round((tMs + 2000) / 1000 / dt), 0, n - 1)]!;
  const rr: { t: number; ms: number }[] = [];
  let t = -r.uniform(0, 900);
  let prevDetected = t;
  let pendingPause = 0;
  while (t < durationMs) {
    let ms = 60000 / clamp(hrAt(t), 35, 190) + r.normal(0, p.rrNoiseMs);
    if (pendingPause) {
      ms += pendingPause;
      pendingPause = 0;
    } else if (r.chance(p.ectopicProb)) {
      const early = ms * r.uniform(0.25, 0.4);
      ms -= early;
      pendingPause = early * r.uniform(0.8, 1);
    }
    t += ms;
    if (t >= durationMs) break;
    if (r.chance(p.missProb)) continue; // the detector misses this beat: the next interval spans two
    const tt = Math.round(t + r.normal(0, p.jitterMs));
    if (tt >= 0 && tt > prevDetected) rr.push({ t: tt, ms: Math.round(tt - prevDetected) });
    prevDetected = tt;
  }
  return { stream: { rr: rr.filter((x) => x.t >= 0 && x.ms > 0) } };
}
