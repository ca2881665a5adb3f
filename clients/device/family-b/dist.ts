import type { Rng } from '../rng.ts';

/**
 * Distributions family B draws from (docs/simulators-family-b.md). Kept apart from family A's
 * helpers on purpose: the point of a second family is that nothing but the PRNG is shared.
 */

/** Ex-Gaussian: normal(mu, sigma) + exponential(tau), the standard fit to reaction and reading times (Luce 1986; Ratcliff 1979; Balota & Spieler 1999). */
export function exGauss(r: Rng, mu: number, sigma: number, tau: number): number {
  return mu + sigma * r.normal() + r.exponential(tau);
}

/** Gamma(shape k, mean m) by Marsaglia & Tsang (2000). */
export function gamma(r: Rng, k: number, mean: number): number {
  const boost = k < 1 ? Math.pow(r.float() || 1e-12, 1 / k) : 1;
  const a = k < 1 ? k + 1 : k;
  const d = a - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = r.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = r.float();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return (boost * d * v * mean) / k;
  }
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/**
 * A band of spectrally synthesised noise (McSharry et al. 2003, the RR tachogram of ECGSYN): a sum
 * of sinusoids whose amplitudes follow a Gaussian power spectrum around `centreHz`, random phases.
 * Returns a function of time in seconds with standard deviation `sd`.
 */
export function spectralBand(r: Rng, centreHz: number, widthHz: number, sd: number, n = 24): (tS: number) => number {
  const f: number[] = [], a: number[] = [], ph: number[] = [];
  let power = 0;
  for (let i = 0; i < n; i++) {
    const fi = Math.max(0.003, centreHz + widthHz * (2 * (i / (n - 1)) - 1) * 2.5);
    const w = Math.exp(-((fi - centreHz) ** 2) / (2 * widthHz * widthHz));
    f.push(fi);
    a.push(Math.sqrt(w));
    ph.push(r.uniform(0, 2 * Math.PI));
    power += w / 2;
  }
  const k = sd / Math.sqrt(power);
  return (tS) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i]! * Math.sin(2 * Math.PI * f[i]! * tS + ph[i]!);
    return k * s;
  };
}

/** 1/f^beta noise by spectral synthesis over [fLo, fHi] Hz (log-spaced sinusoids, amplitude ~ f^(-beta/2) per log bin). */
export function powerLaw(r: Rng, sd: number, fLo: number, fHi: number, beta = 1, n = 20): (tS: number) => number {
  const f: number[] = [], a: number[] = [], ph: number[] = [];
  let power = 0;
  for (let i = 0; i < n; i++) {
    const fi = fLo * (fHi / fLo) ** (i / (n - 1));
    // Log-spaced bins have width ~ f: power per bin ~ f^(1-beta).
    const pw = fi ** (1 - beta);
    f.push(fi);
    a.push(Math.sqrt(pw));
    ph.push(r.uniform(0, 2 * Math.PI));
    power += pw / 2;
  }
  const k = sd / Math.sqrt(power);
  return (tS) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i]! * Math.sin(2 * Math.PI * f[i]! * tS + ph[i]!);
    return k * s;
  };
}

/** Device sample times at a nominal rate with timestamp jitter (sd ms) and dropped samples (probability). */
export function sampleClock(r: Rng, rateHz: number, durationMs: number, jitterMs: number, dropProb: number): number[] {
  const out: number[] = [];
  const dt = 1000 / rateHz;
  let last = -Infinity;
  for (let i = 0; i * dt < durationMs; i++) {
    if (r.chance(dropProb)) continue;
    const t = Math.round(Math.max(0, i * dt + r.normal(0, jitterMs)) * 10) / 10;
    if (t <= last || t >= durationMs) continue;
    out.push(t);
    last = t;
  }
  return out;
}
