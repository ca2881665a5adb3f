import type { VoicePrompt } from '../../../src/core/stimulus/types.ts';
import type { VoiceFrame, VoiceStream } from '../../../src/core/liveness/types.ts';
import type { Rng } from '../rng.ts';
import { exGauss, gamma, powerLaw } from './dist.ts';
import type { PersonB } from './person.ts';

interface Seg { a: number; b: number; level: number; voiced: boolean; dipIn: number; dipOut: number; accent: number }

/**
 * Family-B speech, as the features a device would send (f0 and energy per frame). Naming latency is
 * ex-Gaussian (Balota et al. 2004; Andrews & Heathcote 2001). Syllables at the speaker's rate
 * (3.5-6.5 syllables/s; Jacewicz et al. 2009, Pellegrino et al. 2011), durations gamma-distributed,
 * the stressed syllable longer and the last lengthened (Klatt 1976); energy dips between syllables of
 * 3-18 dB (shallow across sonorants, deep across stops); voiceless onset consonants unvoiced.
 * f0 by the Fujisaki (1984) command-response model: a phrase command per word, an accent command on
 * the stressed syllable, plus cycle jitter and occasional creak at word ends (f0 lost or halved).
 * Background: noise floor with slow wander and occasional room noises (unvoiced, sometimes voiced).
 */
export function voiceB(p: PersonB['voice'], words: readonly VoicePrompt[], durationMs: number, r: Rng): { stream: VoiceStream; truth: number[] } {
  const segs: Seg[] = [];
  const truth: number[] = [];
  let busyUntil = -1;
  for (const w of words) {
    let t = Math.max(w.atMs + Math.max(220, exGauss(r, p.namingMu, p.namingSigma, p.namingTau)), busyUntil + 150);
    truth.push(t);
    if (r.chance(p.unvoicedOnset)) {
      const d = r.uniform(40, 120);
      segs.push({ a: t, b: t + d, level: p.levelDb - r.uniform(12, 20), voiced: false, dipIn: 0, dipOut: 0, accent: 0 });
      t += d;
    }
    const stress = r.chance(0.75) ? 0 : r.int(w.syllables);
    for (let s = 0; s < w.syllables; s++) {
      let d = (1000 / p.syllPerS) * gamma(r, 8, 1);
      if (s === stress) d *= 1.3;
      if (s === w.syllables - 1) d *= 1.2;
      const dip = r.uniform(p.dipDb[0], p.dipDb[1]);
      segs.push({ a: t, b: t + d, level: p.levelDb + (s === stress ? 3 : 0) + r.normal(0, 1.5), voiced: true, dipIn: s === 0 ? 0 : dip, dipOut: s === w.syllables - 1 ? 0 : dip, accent: s === stress ? p.accent : 0 });
      t += d;
    }
    busyUntil = t;
  }
  const wander = powerLaw(r.fork('floor'), 2, 0.02, 1, 1);
  const noises: [number, number, number, boolean][] = [];
  const nNoise = Math.floor(p.bursts + r.float());
  for (let i = 0; i < nNoise; i++) {
    const a = r.uniform(0, durationMs);
    noises.push([a, a + r.uniform(100, 400), p.floorDb + r.uniform(12, 28), r.chance(0.2)]);
  }
  const frames: VoiceFrame[] = [];
  const wordStart = (t: number): number => {
    let s = -1;
    for (const x of truth) if (x <= t) s = x;
    return s;
  };
  for (let k = 0; k * p.hopMs < durationMs; k++) {
    const t = k * p.hopMs;
    let e = p.floorDb + wander(t / 1000) + r.normal(0, 1.2);
    let f0: number | null = null;
    const sg = segs.find((s) => t >= s.a && t < s.b);
    if (sg) {
      const u = (t - sg.a) / (sg.b - sg.a);
      // Energy: the nucleus at full level, falling toward the boundaries by the dip there.
      const edge = u < 0.5 ? sg.dipIn * (1 - u / 0.5) ** 2 : sg.dipOut * ((u - 0.5) / 0.5) ** 2;
      const attack = sg.dipIn === 0 && sg.voiced ? Math.max(0, 1 - u / 0.15) * 10 : 0;
      const se = sg.level - edge - attack + r.normal(0, 0.8);
      e = 10 * Math.log10(10 ** (e / 10) + 10 ** (se / 10));
      if (sg.voiced && se > p.levelDb - 14) {
        const tw = (t - wordStart(t)) / 1000;
        const gp = 9 * tw * Math.exp(-3 * tw); // Fujisaki phrase component, alpha = 3/s
        const ta = (t - sg.a) / 1000, tb = (t - sg.b) / 1000;
        const ga = (x: number): number => (x <= 0 ? 0 : Math.min(0.9, 1 - (1 + 20 * x) * Math.exp(-20 * x)));
        let lf = Math.log(p.fbHz) + p.phrase * gp + sg.accent * (ga(ta) - ga(tb)) - 0.05 * tw;
        lf += p.jitter * r.normal();
        f0 = Math.exp(lf);
        // Creak at the end of a word: voicing lost, or once in a while an octave below.
        const isLast = !segs.some((s) => s.a >= sg.b && s.a - sg.b < 1);
        if (isLast && u > 0.85 && r.chance(p.creak)) f0 = r.chance(0.2) ? f0 / 2 : null;
      }
    }
    for (const [a, b, lvl, voiced] of noises) {
      if (t >= a && t < b) {
        e = 10 * Math.log10(10 ** (e / 10) + 10 ** ((lvl + r.normal(0, 2)) / 10));
        if (voiced && f0 === null) f0 = 180 * (1 + 0.005 * r.normal()); // someone talking nearby
      }
    }
    frames.push({ t: Math.round(t * 10) / 10, f0Hz: f0 === null ? null : Math.round(f0 * 10) / 10, energyDb: Math.round(Math.min(0, e) * 10) / 10 });
  }
  return { stream: { frames }, truth };
}
