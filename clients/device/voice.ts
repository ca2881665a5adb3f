import { WORDS } from '../../src/core/stimulus/words.ts';
import type { RevealEvent } from '../../src/core/stimulus/types.ts';
import type { VoiceFrame, VoiceStream } from '../../src/core/liveness/types.ts';
import type { ModalitySimulator } from './body.ts';
import type { VoicePerson } from './person.ts';
import type { Rng } from './rng.ts';

const SYLLABLES = new Map(WORDS.map((w) => [w.word, w.syllables]));

interface Utterance {
  start: number;
  /** Per frame-time lookup: segments of [t0, t1, kind, syllable index]. */
  parts: { t0: number; t1: number; kind: 'onset' | 'vowel' | 'gap' }[];
  f0Word: number;
  end: number;
  inhale: boolean;
  gapVoiced: boolean;
  /** Loudness of this word relative to the speaker's level, dB (word-to-word variation). */
  gainDb: number;
}

/**
 * Voice features of reading words aloud, per 10 ms frame: f0 (Hz, null when unvoiced) and energy (dBFS).
 * Onset = reveal + word-naming latency (log-normal around the person's median). A word is an optional
 * unvoiced onset consonant, then one energy hump per syllable (raised-cosine nucleus, first syllable
 * stressed) separated by short consonant dips that may be unvoiced. f0 follows a per-word level with
 * a pitch accent on the stressed syllable and declination across the word, with frame-level jitter
 * and rare octave errors of the pitch tracker. Between words: background noise, occasional audible
 * inhalation (unvoiced) and rare false voicing.
 */
export class VoiceSimulator implements ModalitySimulator<VoiceStream> {
  readonly #p: VoicePerson;
  readonly #rng: Rng;
  readonly #utt: Utterance[] = [];
  readonly #seen = new Set<number>();
  #next = 0;
  #noiseLevel: number;

  constructor(person: VoicePerson, rng: Rng) {
    this.#p = person;
    this.#rng = rng;
    this.#noiseLevel = person.noiseFloorDb;
  }

  #plan(revealed: readonly RevealEvent[]): void {
    const p = this.#p;
    const r = this.#rng;
    for (const e of revealed) {
      if (e.modality !== 'voice' || e.payload.type !== 'word' || this.#seen.has(e.index)) continue;
      this.#seen.add(e.index);
      const syl = SYLLABLES.get(e.payload.word) ?? Math.max(1, Math.round(e.payload.word.length / 3));
      const prevEnd = this.#utt.length ? this.#utt[this.#utt.length - 1]!.end : -Infinity;
      const lat = Math.max(300, p.namingMs + p.namingSdMs * r.normal());
      let t = Math.max(e.revealAt + lat, prevEnd + 200);
      const start = t;
      const parts: Utterance['parts'] = [];
      if (r.chance(0.5)) {
        const d = r.uniform(30, 90);
        parts.push({ t0: t, t1: t + d, kind: 'onset' });
        t += d;
      }
      for (let s = 0; s < syl; s++) {
        const d = p.syllableMs * Math.exp(0.15 * r.normal());
        parts.push({ t0: t, t1: t + d, kind: 'vowel' });
        t += d;
        if (s < syl - 1) {
          const g = r.uniform(40, 90);
          parts.push({ t0: t, t1: t + g, kind: 'gap' });
          t += g;
        }
      }
      this.#utt.push({ start, parts, f0Word: p.f0Hz * 2 ** (r.normal(0, 1) / 12), end: t, inhale: r.chance(0.3), gapVoiced: r.chance(0.5), gainDb: r.normal(0, 1.5) });
    }
  }

  advance(untilMs: number, revealed: readonly RevealEvent[]): VoiceStream {
    this.#plan(revealed);
    const p = this.#p;
    const r = this.#rng;
    const frames: VoiceFrame[] = [];
    while (this.#next * 10 < untilMs) {
      const t = this.#next * 10;
      this.#next++;
      this.#noiseLevel += (p.noiseFloorDb - this.#noiseLevel) * 0.01 + r.normal(0, 0.3);
      let energy = this.#noiseLevel + r.normal(0, 1.5);
      let f0: number | null = null;
      const u = this.#utt.find((x) => t >= x.start - 400 && t < x.end);
      if (u && t < u.start && t >= u.start - 350 && u.inhale) {
        energy = Math.max(energy, p.noiseFloorDb + 8 + r.normal(0, 1)); // audible inhalation before some words
      } else if (u && t >= u.start) {
        const part = u.parts.find((q) => t >= q.t0 && t < q.t1);
        const vowels = u.parts.filter((q) => q.kind === 'vowel');
        if (part?.kind === 'onset') {
          energy = Math.max(energy, p.levelDb + u.gainDb - 18 + r.normal(0, 2));
        } else if (part?.kind === 'gap') {
          energy = Math.max(energy, p.levelDb + u.gainDb - 14 + r.normal(0, 2));
          if (u.gapVoiced) f0 = u.f0Word * 2 ** (-1 / 12);
        } else if (part?.kind === 'vowel') {
          const k = vowels.indexOf(part);
          const x = (t - part.t0) / (part.t1 - part.t0);
          const shape = 0.5 - 0.5 * Math.cos(2 * Math.PI * Math.min(1, Math.max(0, x)));
          const stress = k === 0 ? 2 : -1 * k;
          energy = Math.max(energy, p.levelDb + u.gainDb + stress - 16 * (1 - shape) + r.normal(0, 0.8));
          const pos = (t - u.start) / Math.max(1, u.end - u.start);
          const accent = k === 0 ? (p.f0RangeSt / 2) * Math.sin(Math.PI * x) : 0;
          const st = accent - (p.f0RangeSt / 2) * pos;
          f0 = u.f0Word * 2 ** (st / 12);
        }
      }
      if (f0 !== null) {
        f0 *= 1 + r.normal(0, p.jitter);
        if (r.chance(0.003)) f0 *= r.chance(0.5) ? 2 : 0.5; // pitch-tracker octave error
        if (energy < this.#noiseLevel + 10) f0 = null;
      } else if (r.chance(0.002)) f0 = r.uniform(80, 300); // false voicing in noise
      frames.push({ t: t, f0Hz: f0 === null ? null : Math.round(f0 * 10) / 10, energyDb: Math.round(Math.min(0, energy) * 10) / 10 });
    }
    return { frames };
  }
}
