import type { Modality } from '../policy/modality.ts';
import { median } from './dsp.ts';
import type { Fingerprint, SessionStreams } from './types.ts';

/**
 * Near-duplicate detection without keeping samples. Each modality's stream is reduced to a sequence
 * of coarse symbols, cut into overlapping k-grams ("shingles"), and summarised by a MinHash signature
 * (Broder 1997): for each of H seeded hash functions, the minimum hash over all shingles. The share
 * of equal positions between two signatures estimates the Jaccard similarity of their shingle sets.
 * A replay (verbatim, shifted, or lightly re-timed) shares most shingles with the original; two
 * independent sessions share few. The signature is a list of 32-bit hashes: it cannot be turned back
 * into a signal.
 *
 * Symbols: event modalities use scale-free ratios (so uniform time stretching does not change them):
 *   hrv: successive RR difference / median |difference|, 6 bins; shingles of 4 beats.
 *   typing: (interval / median interval: 4 bins) x (hold / median hold: 3 bins); shingles of 3 keys.
 * Sampled modalities use successive differences quantised at about the sensor's resolution, in
 * shingles of 6 (4 for eda, which has few samples) (motion |acc| 0.01 m/s^2, gaze x 0.002, voice energy 0.5 dB, eda 0.002 uS). Sensor
 * and physiological noise make these sequences unique to one recording, so only a copy (verbatim or
 * lightly edited) shares them; shingles with no change at all carry no identity and are skipped.
 * A replay that is re-timed and resampled no longer matches here: coupling to the new challenge is
 * what rejects it (docs/liveness.md).
 */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function shingleHashes(symbols: readonly number[], k: number, skipStill = false): Uint32Array {
  const n = Math.max(0, symbols.length - k + 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let h = 0x811c9dc5;
    let moving = false;
    for (let j = 0; j < k; j++) {
      const v = symbols[i + j]!;
      if (v !== 0) moving = true;
      h = Math.imul(h ^ ((v + 0x10000) >>> 0), 0x01000193);
    }
    if (!skipStill || moving) out.push(h >>> 0);
  }
  return Uint32Array.from(out);
}

function minhash(sh: Uint32Array, hashes: number): number[] {
  const out = new Array<number>(hashes).fill(0xffffffff);
  if (sh.length === 0) return [];
  for (let j = 0; j < hashes; j++) {
    const seed = fmix32(0x9e3779b9 ^ Math.imul(j + 1, 0x632be5ab));
    let m = 0xffffffff;
    for (let i = 0; i < sh.length; i++) {
      const v = fmix32(sh[i]! ^ seed);
      if (v < m) m = v;
    }
    out[j] = m;
  }
  return out;
}

function bin(x: number, edges: readonly number[]): number {
  let k = 0;
  while (k < edges.length && x >= edges[k]!) k++;
  return k;
}

function quantisedSteps(x: readonly number[], q: number): number[] {
  const out: number[] = [];
  for (let i = 1; i < x.length; i++) out.push(Math.round((x[i]! - x[i - 1]!) / q));
  return out;
}

function symbols(m: Modality, streams: SessionStreams): { sym: number[]; k: number; skipStill?: boolean } | null {
  if (m === 'hrv' && streams.hrv?.rr) {
    const ms = streams.hrv.rr.map((s) => s.ms);
    const d = ms.slice(1).map((v, i) => v - ms[i]!);
    const scale = median(d.map(Math.abs)) || 1;
    return { sym: d.map((v) => bin(v / scale, [-1.5, -0.5, 0, 0.5, 1.5])), k: 4 };
  }
  if (m === 'typing' && streams.typing?.keys) {
    const downs = streams.typing.keys.filter((k) => k.type === 'down');
    const ups = streams.typing.keys.filter((k) => k.type === 'up');
    const iki = downs.slice(1).map((d, i) => d.t - downs[i]!.t);
    const hold = downs.slice(1).map((d) => (ups.find((u) => u.key === d.key && u.t >= d.t)?.t ?? d.t + 100) - d.t);
    const mi = median(iki) || 1, mh = median(hold) || 1;
    return { sym: iki.map((v, i) => bin(v / mi, [0.7, 1, 1.4]) * 3 + bin(hold[i]! / mh, [0.85, 1.15])), k: 3 };
  }
  if (m === 'motion' && streams.motion?.acc) return { sym: quantisedSteps(streams.motion.acc.map((s) => Math.hypot(s.x, s.y, s.z)), 0.01), k: 6, skipStill: true };
  if (m === 'gaze' && streams.gaze?.pts) return { sym: quantisedSteps(streams.gaze.pts.map((p) => p.x), 0.002), k: 6, skipStill: true };
  if (m === 'voice' && streams.voice?.frames) return { sym: quantisedSteps(streams.voice.frames.map((f) => f.energyDb), 0.5), k: 6, skipStill: true };
  if (m === 'eda' && streams.eda?.sc) return { sym: quantisedSteps(streams.eda.sc.map((s) => s.uS), 0.002), k: 4, skipStill: true };
  return null;
}

export function fingerprintStreams(streams: SessionStreams, modalities: readonly Modality[], hashes = 64): Fingerprint {
  const fp: Fingerprint = { v: 1, modalities: {} };
  for (const m of modalities) {
    const s = symbols(m, streams);
    if (s) fp.modalities[m] = minhash(shingleHashes(s.sym, s.k, s.skipStill), hashes);
  }
  return fp;
}

/** Estimated Jaccard similarity per modality present in both fingerprints. */
export function compareFingerprints(a: Fingerprint, b: Fingerprint): Partial<Record<Modality, number>> {
  const out: Partial<Record<Modality, number>> = {};
  for (const [m, sa] of Object.entries(a.modalities) as [Modality, number[]][]) {
    const sb = b.modalities[m];
    if (!sb || sb.length !== sa.length || sa.length === 0) continue;
    let eq = 0;
    for (let i = 0; i < sa.length; i++) if (sa[i] === sb[i]) eq++;
    out[m] = eq / sa.length;
  }
  return out;
}

/** The fingerprint without its per-element descriptors (what is kept of a session that was not accepted). */
export function withoutElements(fp: Fingerprint): Fingerprint {
  return { v: fp.v, modalities: fp.modalities };
}
