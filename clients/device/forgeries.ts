import { breathingGuide } from '../../src/core/stimulus/hrv.ts';
import { gazeTarget } from '../../src/core/stimulus/gaze.ts';
import type { Modality, Stimulus } from '../../src/core/stimulus/types.ts';
import type { KeyEvent, SessionStreams } from '../../src/core/liveness/types.ts';
import { PinkNoise, Rng } from './rng.ts';
import { botTyping } from './timing-bots.ts';

/**
 * The forged streams the presentation attacks of attacks.ts are built from: a genuine session
 * re-timed, clean or noise signals answering a revealed stimulus, physiologically impossible values
 * injected, two sessions spliced at a cut.
 */

type Arr = Record<string, Record<string, Record<string, unknown>[]>>;

/** Apply a time map to every sample of every stream, keep samples inside [0, D), and fix RR intervals. */
export function retime(streams: SessionStreams, f: (t: number) => number, durationMs: number, nominal: boolean): SessionStreams {
  const out = structuredClone(streams) as Arr;
  for (const [m, s] of Object.entries(out)) {
    for (const [k, arr] of Object.entries(s)) {
      const mapped: (Record<string, unknown> & { t: number })[] = arr.map((x) => ({ ...x, t: f(x.t as number) })).filter((x) => x.t >= 0 && x.t < durationMs);
      if (nominal && m !== 'hrv' && m !== 'typing' && mapped.length > 2) {
        // A careful attacker resamples to the device's nominal rate so the sample rate stays normal.
        const dt = median(arr.slice(1).map((x, i) => (x.t as number) - (arr[i]!.t as number)));
        const grid: Record<string, unknown>[] = [];
        let j = 0;
        for (let t = Math.ceil(mapped[0]!.t / dt) * dt; t < durationMs && t <= mapped[mapped.length - 1]!.t; t += dt) {
          while (j < mapped.length - 2 && mapped[j + 1]!.t < t) j++;
          const a = mapped[j]!, b = mapped[j + 1]!;
          const w = b.t > a.t ? (t - a.t) / (b.t - a.t) : 0;
          const o: Record<string, unknown> = { t: Math.round(t * 10) / 10 };
          for (const key of Object.keys(a)) {
            if (key === 't') continue;
            const va = a[key], vb = b[key];
            o[key] = typeof va === 'number' && typeof vb === 'number' ? va + (vb - va) * w : va;
          }
          grid.push(o);
        }
        s[k] = grid;
      } else s[k] = mapped;
    }
    if (m === 'hrv') {
      const rr = s.rr as { t: number; ms: number }[];
      for (let i = 1; i < rr.length; i++) rr[i]!.ms = Math.round(rr[i]!.t - rr[i - 1]!.t);
      for (const x of rr) x.t = Math.round(x.t);
      if (rr.length > 1) rr.shift();
    }
  }
  return out as SessionStreams;
}

function median(a: number[]): number {
  const b = [...a].sort((x, y) => x - y);
  return b.length ? b[Math.floor(b.length / 2)]! : 10;
}

export function synthetic(kind: 'synthetic-periodic' | 'white-noise' | 'pink-noise', stim: Stimulus, m: Modality, r: Rng): SessionStreams {
  const D = stim.durationMs;
  const periodic = kind === 'synthetic-periodic';
  const pink = new PinkNoise(r.fork('pink'), 1, 0.05, 20);
  const noise = (): number => (kind === 'white-noise' ? r.normal() : pink.step(0.01));
  if (m === 'hrv') {
    const rr: { t: number; ms: number }[] = [];
    let t = 0, prev = -800;
    const hr0 = r.uniform(60, 80);
    while (t < D) {
      let ms: number;
      if (periodic) ms = 60000 / (hr0 + 6 * (breathingGuide(stim.hrv!, Math.max(0, t - 1000)).volume - 0.5) * 2);
      else ms = 60000 / hr0 + 40 * (kind === 'white-noise' ? r.normal() : pink.step(0.8) * 1.5);
      t = prev + ms;
      if (t >= 0 && t < D) rr.push({ t: Math.round(t), ms: Math.round(t) - Math.round(prev) });
      prev = t;
    }
    return { hrv: { rr } };
  }
  if (m === 'motion') {
    const acc: { t: number; x: number; y: number; z: number }[] = [];
    const p0 = r.uniform(35, 55) * Math.PI / 180;
    for (let t = 0; t < D; t += 10) {
      let roll = 0, pitch = p0;
      let lin = 0;
      if (periodic) {
        for (const p of stim.motion!.prompts) {
          const u = (t - p.atMs - 400) / 1200;
          if (u < 0 || u > 1) continue;
          const bump = 0.5 - 0.5 * Math.cos(2 * Math.PI * u);
          const A = 30 * Math.PI / 180;
          if (p.gesture === 'tilt-left') roll -= A * bump;
          else if (p.gesture === 'tilt-right') roll += A * bump;
          else if (p.gesture === 'tilt-forward') pitch -= A * bump;
          else if (p.gesture === 'tilt-back') pitch += A * bump;
          else lin = 15 * bump * Math.sin(2 * Math.PI * 4 * (t - p.atMs) / 1000);
        }
      } else {
        roll = 0.15 * noise();
        pitch = p0 + 0.15 * noise();
      }
      const g = 9.81;
      const n = periodic ? 0 : 0.3;
      acc.push({ t, x: -g * Math.sin(roll) * Math.cos(pitch) + lin + n * noise(), y: g * Math.sin(pitch) + n * noise(), z: g * Math.cos(roll) * Math.cos(pitch) + n * noise() });
    }
    return { motion: { acc } };
  }
  if (m === 'typing') {
    const mu = r.uniform(180, 320);
    if (periodic) return { typing: botTyping(stim, () => mu, () => 90, 500) };
    if (kind === 'white-noise') return { typing: botTyping(stim, () => r.normal(mu, 0.35 * mu), () => r.normal(95, 25), r.uniform(300, 800)) };
    return { typing: botTyping(stim, () => mu * (1 + 0.35 * pink.step(0.25)), () => 95 * (1 + 0.25 * pink.step(0.25)), r.uniform(300, 800)) };
  }
  if (m === 'gaze') {
    const pts: { t: number; x: number; y: number }[] = [];
    for (let t = 0; t < D; t += 1000 / 60) {
      if (periodic) {
        const p = gazeTarget(stim.gaze!, t - 150);
        pts.push({ t: Math.round(t * 10) / 10, x: p.x, y: p.y });
      } else pts.push({ t: Math.round(t * 10) / 10, x: 0.5 + 0.15 * noise(), y: 0.5 + 0.15 * noise() });
    }
    return { gaze: { pts } };
  }
  if (m === 'voice') {
    const frames: { t: number; f0Hz: number | null; energyDb: number }[] = [];
    const f0 = r.uniform(100, 220);
    for (let t = 0; t < D; t += 10) {
      if (periodic) {
        const on = stim.voice!.words.some((w) => t >= w.atMs + 600 && t < w.atMs + 600 + 250 * w.syllables);
        frames.push({ t, f0Hz: on ? f0 : null, energyDb: on ? -20 : -55 });
      } else {
        const e = -40 + 12 * noise();
        frames.push({ t, f0Hz: e > -35 ? Math.max(60, f0 * (1 + 0.2 * noise())) : null, energyDb: Math.min(0, e) });
      }
    }
    return { voice: { frames } };
  }
  const sc: { t: number; uS: number }[] = [];
  const scl = r.uniform(2, 10);
  for (let t = 0; t < D; t += 125) {
    let v = scl;
    if (periodic) {
      for (const e of stim.eda!.events) {
        const d = (t - e.atMs - 2000) / 1000;
        if (d > 0) v += 0.3 * (Math.exp(-d / 3) - Math.exp(-d / 0.75)) / 0.46;
      }
    } else v += 0.3 * noise();
    sc.push({ t, uS: Math.round(Math.max(0.06, v) * 1000) / 1000 });
  }
  return { eda: { sc } };
}

export function injectImpossible(streams: SessionStreams, m: Modality, r: Rng): SessionStreams {
  const s = structuredClone(streams);
  const k = 3 + r.int(6);
  const idx = (n: number): number => 5 + r.int(Math.max(1, n - 10));
  if (m === 'hrv') {
    const rr = s.hrv!.rr;
    for (let i = 0; i < k; i++) {
      const j = idx(rr.length);
      rr[j]!.ms = r.chance(0.5) ? r.uniform(150, 280) : r.uniform(2100, 3000);
    }
  } else if (m === 'motion') {
    const acc = s.motion!.acc;
    for (let i = 0; i < k; i++) {
      const j = idx(acc.length);
      acc[j] = { ...acc[j]!, x: acc[j]!.x + r.uniform(60, 150) * (r.chance(0.5) ? 1 : -1) };
    }
  } else if (m === 'typing') {
    const keys = s.typing!.keys;
    const downs = keys.map((x, i) => [x, i] as const).filter(([x]) => x.type === 'down');
    for (let i = 0; i < k; i++) {
      const [d] = downs[idx(downs.length)]!;
      const up = keys.find((x) => x.type === 'up' && x.key === d.key && x.t >= d.t);
      if (up) up.t = d.t + r.uniform(1, 8);
    }
    keys.sort((a, b) => a.t - b.t);
  } else if (m === 'gaze') {
    const pts = s.gaze!.pts;
    for (let i = 0; i < k; i++) {
      const j = idx(pts.length);
      pts[j] = { ...pts[j]!, x: r.chance(0.5) ? r.uniform(2, 4) : pts[j]!.x + 1.5 };
    }
  } else if (m === 'voice') {
    const fr = s.voice!.frames;
    const voiced = fr.filter((f) => f.f0Hz !== null);
    for (let i = 0; i < k * 3; i++) voiced[idx(voiced.length)]!.f0Hz = r.uniform(700, 1500);
  } else {
    const sc = s.eda!.sc;
    for (let i = 0; i < k; i++) {
      const j = idx(sc.length);
      sc[j] = { ...sc[j]!, uS: r.chance(0.5) ? r.uniform(0.001, 0.04) : sc[j]!.uS + r.uniform(8, 20) };
    }
  }
  return s;
}

/** Concatenate A before the cut and B after it (B's samples at their own times). */
export function splice(a: SessionStreams, b: SessionStreams, cut: number): SessionStreams {
  const out = structuredClone(a) as Arr;
  const bb = b as unknown as Arr;
  for (const [m, s] of Object.entries(out)) {
    for (const k of Object.keys(s)) {
      const before = s[k]!.filter((x) => (x.t as number) < cut);
      const after = (bb[m]?.[k] ?? []).filter((x) => (x.t as number) >= cut);
      s[k] = [...before, ...structuredClone(after)];
    }
    if (m === 'hrv') {
      const rr = s.rr as { t: number; ms: number }[];
      const j = rr.findIndex((x) => x.t >= cut);
      if (j > 0) rr[j]!.ms = rr[j]!.t - rr[j - 1]!.t;
    }
    if (m === 'typing') {
      // Drop key-ups whose key-down lies on the other side of the cut.
      (s.keys as unknown as KeyEvent[]).sort((x, y) => x.t - y.t);
    }
  }
  return out as SessionStreams;
}
