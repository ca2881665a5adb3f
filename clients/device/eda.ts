import type { RevealEvent } from '../../src/core/stimulus/types.ts';
import type { EdaStream, ScSample } from '../../src/core/liveness/types.ts';
import type { ModalitySimulator } from './body.ts';
import type { EdaPerson } from './person.ts';
import { PinkNoise, type Rng } from './rng.ts';

interface Scr { onset: number; amp: number; cue: number | null }

/**
 * Skin conductance = tonic level (drift + slow 1/f wander) + phasic responses + sensor noise.
 * Each revealed cue evokes, with the person's response probability, an SCR whose onset follows the
 * cue by a log-normal latency (clamped to 1-3 s) and whose amplitude habituates over repeated cues.
 * Each SCR has the Bateman shape exp(-t/tauDecay) - exp(-t/tauRise), normalised to its peak
 * (Benedek & Kaernbach 2010). Non-specific SCRs arrive as a Poisson process (1-3/min).
 */
export class EdaSimulator implements ModalitySimulator<EdaStream> {
  readonly #p: EdaPerson;
  readonly #rng: Rng;
  readonly #scrs: Scr[] = [];
  readonly #seen = new Set<number>();
  readonly #wander: PinkNoise;
  #next = 0;
  #nextNs: number;
  #responses = 0;
  readonly #norm: number;

  constructor(person: EdaPerson, rng: Rng) {
    this.#p = person;
    this.#rng = rng;
    this.#wander = new PinkNoise(rng.fork('wander'), person.sclUs * 0.005 + 0.005, 8, 64);
    this.#nextNs = rng.exponential(60000 / person.nsPerMin) - 5000;
    const t1 = person.riseTauS, t2 = person.decayTauS;
    const tp = (Math.log(t2 / t1) * t1 * t2) / (t2 - t1);
    this.#norm = Math.exp(-tp / t2) - Math.exp(-tp / t1);
  }

  #plan(revealed: readonly RevealEvent[]): void {
    const p = this.#p;
    const r = this.#rng;
    for (const e of revealed) {
      if (e.payload.type !== 'cue' || this.#seen.has(e.index)) continue;
      this.#seen.add(e.index);
      if (!r.chance(p.responseProb)) continue;
      const lat = Math.min(3, Math.max(1, p.latencyS * Math.exp((p.latencySdS / p.latencyS) * r.normal())));
      const amp = p.ampUs * p.habituation ** this.#responses * Math.exp(0.3 * r.normal()) * (e.payload.cue === 'flash' ? 0.85 : 1);
      this.#responses++;
      this.#scrs.push({ onset: e.revealAt + lat * 1000, amp, cue: e.index });
    }
  }

  /** Ground truth for evaluation tooling: every response produced so far (cue index, or null for a non-specific one). */
  get responses(): readonly { onset: number; amp: number; cue: number | null }[] {
    return this.#scrs;
  }

  advance(untilMs: number, revealed: readonly RevealEvent[]): EdaStream {
    this.#plan(revealed);
    const p = this.#p;
    const r = this.#rng;
    const dt = 1000 / p.rateHz;
    const sc: ScSample[] = [];
    while (this.#next * dt < untilMs) {
      const t = this.#next * dt;
      this.#next++;
      while (this.#nextNs <= t) {
        this.#scrs.push({ onset: this.#nextNs, amp: p.ampUs * 0.5 * Math.exp(0.5 * r.normal()), cue: null });
        this.#nextNs += r.exponential(60000 / p.nsPerMin);
      }
      let phasic = 0;
      for (const s of this.#scrs) {
        const d = (t - s.onset) / 1000;
        if (d <= 0 || d > 30) continue;
        phasic += (s.amp * (Math.exp(-d / p.decayTauS) - Math.exp(-d / p.riseTauS))) / this.#norm;
      }
      const tonic = p.sclUs + p.driftUsPerS * (t / 1000) + this.#wander.step(dt / 1000);
      const v = Math.max(0.05, tonic + phasic + r.normal(0, p.noiseUs));
      sc.push({ t: Math.round(t * 10) / 10, uS: Math.round(v * 1000) / 1000 });
    }
    return { sc };
  }
}
