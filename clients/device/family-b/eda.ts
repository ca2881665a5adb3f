import type { EdaStimulus } from '../../../src/core/stimulus/types.ts';
import type { EdaStream } from '../../../src/core/liveness/types.ts';
import type { Rng } from '../rng.ts';
import { powerLaw, sampleClock } from './dist.ts';
import type { PersonB } from './person.ts';

/** Sigmoid-exponential SCR shape (Lim et al. 1997), peak-normalised: (1 + (t1/u)^2)^-2 * exp(-u/td). */
function scrShape(riseS: number, decayS: number): (uS: number) => number {
  const raw = (u: number): number => (u <= 0 ? 0 : (1 + (riseS / u) ** 2) ** -2 * Math.exp(-u / decayS));
  let peak = 0;
  for (let u = 0.05; u < 20; u += 0.05) peak = Math.max(peak, raw(u));
  return (u) => raw(u) / peak;
}

/**
 * Family-B skin conductance: tonic level with linear drift and 1/f wander; each cue answered with
 * a probability (hypo-responders 30-65 %, others 70-100 %; electrodermal lability, Crider 2008),
 * latency per trial normal around the person's mean (1.2-2.8 s; Dawson et al. 2017), amplitude
 * habituating exponentially and renewed by a change of cue (Sokolov 1963), shape sigmoid-exponential
 * (Lim et al. 1997) with slow and fast responders (rise 0.35-1.6 s, decay 2-10 s); non-specific SCRs
 * as a Poisson process (0.5-6/min), including ones under way at the start. Device: 4-32 Hz with
 * jitter, noise and quantisation. Truth: the onset of each answered cue's SCR (NaN when unanswered).
 */
export function edaB(p: PersonB['eda'], events: EdaStimulus['events'], durationMs: number, r: Rng): { stream: EdaStream; truth: number[] } {
  const shape = scrShape(p.riseS * 0.6, p.decayS);
  const scrs: [number, number][] = [];
  const truth: number[] = [];
  let amp = p.ampUs;
  events.forEach((e, i) => {
    if (i > 0) amp *= Math.exp(-p.habit) * (e.cue !== events[i - 1]!.cue ? 1.25 : 1);
    if (!r.chance(p.respProb)) {
      truth.push(NaN);
      return;
    }
    const lat = Math.max(0.9, p.latencyS + r.normal(0, p.latencySdS));
    truth.push(e.atMs + lat * 1000);
    scrs.push([e.atMs + lat * 1000, amp * Math.exp(r.normal(0, 0.3))]);
  });
  for (let t = -15000 + r.exponential(60000 / p.nsPerMin); t < durationMs; t += r.exponential(60000 / p.nsPerMin)) scrs.push([t, p.ampUs * 0.6 * Math.exp(r.normal(0, 0.5))]);
  const wander = powerLaw(r.fork('wander'), p.wanderUs, 0.005, 0.1, 1);
  const sc: { t: number; uS: number }[] = [];
  for (const t of sampleClock(r.fork('clock'), p.rateHz, durationMs, 2, 0.002)) {
    let v = p.sclUs + p.driftUsPerS * (t / 1000) + wander(t / 1000);
    for (const [on, a] of scrs) if (t > on) v += a * shape((t - on) / 1000);
    v += r.normal(0, p.noiseUs);
    sc.push({ t, uS: Math.max(0.06, Math.round(v / p.quantUs) * p.quantUs) });
  }
  return { stream: { sc }, truth };
}
