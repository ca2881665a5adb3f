import { breathingGuideFromReveals } from '../../src/core/stimulus/hrv.ts';
import type { RevealEvent } from '../../src/core/stimulus/types.ts';
import type { HrvStream, RrSample } from '../../src/core/liveness/types.ts';
import type { ModalitySimulator } from './body.ts';
import type { HrvPerson } from './person.ts';
import { PinkNoise, type Rng } from './rng.ts';

/**
 * Heartbeats by integral pulse frequency modulation (IPFM; Bayly 1968, Mateo & Laguna 2000): a beat
 * fires each time the integral of the instantaneous heart rate reaches one. The modulating heart rate
 * is
 *   HR(t) = HR0 + drift + RSA(t) + Mayer(t) + pink(t)
 * where RSA is the person's breathing (which follows the revealed paced-breathing guide with a lag
 * and imperfect phase locking) passed through a vagal low-pass, mixed with a flow (quadrature) term
 * that sets the HR-to-volume phase, and scaled by a resonance gain that peaks near 0.1 Hz (Vaschillo
 * 2002). Mayer waves (~0.1 Hz) and 1/f variability sit on top; they are the "other" physiology a
 * verifier must not mistake for the response. Ectopic beats arrive early without resetting the
 * integrator, which gives the classic compensatory pause.
 */
export class HrvSimulator implements ModalitySimulator<HrvStream> {
  readonly #p: HrvPerson;
  readonly #rng: Rng;
  readonly #pink: PinkNoise;
  #t: number;
  #beatPhase: number;
  #breath: number;
  #vLp = 0.5;
  #prevV = 0.5;
  #mayerPhase: number;
  #lastBeat: number | null = null;
  #depth = 1;
  readonly #pending: RrSample[] = [];
  #ectopicAt: number | null = null;
  #blocked = false;

  constructor(person: HrvPerson, rng: Rng, startMs = -3000) {
    this.#p = person;
    this.#rng = rng;
    this.#pink = new PinkNoise(rng.fork('pink'), person.pinkBpm, 0.5, 64);
    this.#t = startMs;
    this.#beatPhase = rng.float();
    this.#breath = rng.float();
    this.#mayerPhase = rng.float();
  }

  advance(untilMs: number, revealed: readonly RevealEvent[]): HrvStream {
    const p = this.#p;
    const dt = 10;
    const dtS = dt / 1000;
    while (this.#t < untilMs) {
      const t = this.#t;
      // Breathing: lock onto the guide as seen breathLag ago; before any guide, breathe freely at ~14/min.
      const guide = breathingGuideFromReveals(revealed, t - p.breathLagMs);
      let rateHz = 14 / 60;
      if (guide !== null) {
        rateHz = guide.rateBpm / 60;
        let d = guide.phase - this.#breath;
        d -= Math.round(d);
        this.#breath += p.lockGain * d * dtS;
      }
      this.#breath += rateHz * dtS + p.breathWander * Math.sqrt(dtS) * this.#rng.normal();
      // Breath depth wanders from breath to breath around the guided depth.
      this.#depth += (1 - this.#depth) * dtS * 0.3 + 0.03 * Math.sqrt(dtS) * this.#rng.normal();
      const v = this.#depth * (1 - Math.cos(2 * Math.PI * this.#breath)) / 2;
      // Vagal low-pass of (volume + flow mix); flow normalised by 2*pi*f to volume units.
      const flow = (v - this.#prevV) / dtS / (2 * Math.PI * rateHz);
      this.#prevV = v;
      const drive = v - 0.5 + p.flowMix * flow;
      this.#vLp += (drive - this.#vLp) * (dtS / p.vagalTauS);
      const f = rateHz;
      const resonance = 1 / Math.sqrt(1 + ((f - 0.1) / 0.12) ** 2);
      const rsa = 2 * p.rsaAmpBpm * resonance * this.#vLp;
      this.#mayerPhase += p.mayerHz * dtS + 0.02 * Math.sqrt(dtS) * this.#rng.normal();
      const mayer = p.mayerAmpBpm * Math.sin(2 * Math.PI * this.#mayerPhase);
      const drift = (p.driftBpmPerMin * t) / 60000;
      const hr = Math.min(180, Math.max(38, p.hrBpm + drift + rsa + mayer + this.#pink.step(dtS)));
      const before = this.#beatPhase;
      this.#beatPhase += (hr / 60) * dtS;
      if (this.#ectopicAt !== null && t + dt >= this.#ectopicAt) {
        this.#beat(this.#ectopicAt);
        this.#ectopicAt = null;
        this.#blocked = true;
      }
      if (this.#beatPhase >= 1) {
        const frac = (1 - before) / (this.#beatPhase - before);
        this.#beatPhase -= 1;
        const bt = t + frac * dt;
        // The sinus beat after a premature beat finds the ventricles refractory: it is not conducted,
        // so the next interval is long (the compensatory pause).
        if (this.#blocked) {
          this.#blocked = false;
          this.#t += dt;
          continue;
        }
        this.#beat(bt);
        // A premature beat lands 60-75 % into the next interval; the integrator keeps running.
        if (this.#rng.chance(p.ectopicProb)) this.#ectopicAt = bt + (60000 / hr) * this.#rng.uniform(0.6, 0.75);
      }
      this.#t += dt;
    }
    // Sensor jitter can move a beat across the chunk edge: keep later beats for the next chunk.
    const out = this.#pending.filter((s) => s.t < untilMs);
    const keep = this.#pending.filter((s) => s.t >= untilMs);
    this.#pending.length = 0;
    this.#pending.push(...keep);
    return { rr: out };
  }

  #beat(trueT: number): void {
    // The detector misses a beat now and then (PPG): the next interval spans two beats.
    if (this.#lastBeat !== null && this.#rng.chance(this.#p.missedBeatProb ?? 0)) return;
    const measured = trueT + this.#rng.normal(0, this.#p.sensorJitterMs);
    const t = Math.round(measured);
    if (this.#lastBeat !== null && t >= 0) this.#pending.push({ t, ms: t - this.#lastBeat });
    this.#lastBeat = t;
  }
}
