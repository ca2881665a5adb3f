/**
 * Small numeric helpers for the verifiers. Plain loops over Float64Array: every verifier runs on
 * ~30 s of data, and all six together must verify in well under 50 ms.
 */

export function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return x.length ? s / x.length : NaN;
}

export function std(x: ArrayLike<number>): number {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - m) ** 2;
  return x.length > 1 ? Math.sqrt(s / (x.length - 1)) : 0;
}

export function quantile(x: ArrayLike<number>, q: number): number {
  if (x.length === 0) return NaN;
  const a = Float64Array.from(x).sort();
  const pos = (a.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(a.length - 1, lo + 1);
  return a[lo]! + (a[hi]! - a[lo]!) * (pos - lo);
}

export function median(x: ArrayLike<number>): number {
  return quantile(x, 0.5);
}

/** Sample skewness (adjusted Fisher-Pearson). */
export function skewness(x: ArrayLike<number>): number {
  const n = x.length;
  if (n < 3) return 0;
  const m = mean(x);
  let m2 = 0, m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - m;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= n;
  m3 /= n;
  if (m2 === 0) return 0;
  return (Math.sqrt(n * (n - 1)) / (n - 2)) * (m3 / m2 ** 1.5);
}

/** Pearson correlation of a[i] and b[i] over the common length. NaN if either is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let sa = 0, sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i]!;
    sb += b[i]!;
  }
  const ma = sa / n, mb = sb / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma, db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/**
 * Linear interpolation of (t[i], v[i]) onto a uniform grid t0 + k*dt, k < n. Outside the data the end
 * values are held. `t` must be non-decreasing.
 */
export function resample(t: ArrayLike<number>, v: ArrayLike<number>, t0: number, dt: number, n: number): Float64Array {
  const out = new Float64Array(n);
  let j = 0;
  for (let k = 0; k < n; k++) {
    const tk = t0 + k * dt;
    while (j < t.length - 2 && t[j + 1]! < tk) j++;
    if (t.length === 0) out[k] = NaN;
    else if (t.length === 1 || tk <= t[0]!) out[k] = v[0]!;
    else if (tk >= t[t.length - 1]!) out[k] = v[t.length - 1]!;
    else {
      const ta = t[j]!, tb = t[j + 1]!;
      out[k] = tb > ta ? v[j]! + ((v[j + 1]! - v[j]!) * (tk - ta)) / (tb - ta) : v[j]!;
    }
  }
  return out;
}

/** Remove the least-squares line. */
export function detrend(x: Float64Array): Float64Array {
  const n = x.length;
  if (n < 2) return Float64Array.from(x);
  const mx = (n - 1) / 2;
  const my = mean(x);
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - mx) * (x[i]! - my);
    sxx += (i - mx) ** 2;
  }
  const b = sxy / sxx;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = x[i]! - my - b * (i - mx);
  return out;
}

/** Centred moving average with window w samples (shrinks at the edges). */
export function movingAverage(x: ArrayLike<number>, w: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  const h = Math.floor(w / 2);
  const cs = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) cs[i + 1] = cs[i]! + x[i]!;
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - h), b = Math.min(n, i + h + 1);
    out[i] = (cs[b]! - cs[a]!) / (b - a);
  }
  return out;
}

/**
 * Second-order Butterworth low-pass run forwards and backwards (zero phase), cutoff fc for sample
 * rate fs. Zero phase keeps response onsets where they are.
 */
export function lowpass(x: ArrayLike<number>, fc: number, fs: number): Float64Array {
  const k = Math.tan((Math.PI * Math.min(fc, fs * 0.45)) / fs);
  const q = Math.SQRT1_2;
  const norm = 1 / (1 + k / q + k * k);
  const b0 = k * k * norm, b1 = 2 * b0, b2 = b0;
  const a1 = 2 * (k * k - 1) * norm, a2 = (1 - k / q + k * k) * norm;
  const run = (inp: Float64Array): Float64Array => {
    const n = inp.length;
    const out = new Float64Array(n);
    if (n === 0) return out;
    let x1 = inp[0]!, x2 = inp[0]!, y1 = inp[0]!, y2 = inp[0]!;
    for (let i = 0; i < n; i++) {
      const x0 = inp[i]!;
      const y0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      out[i] = y0;
      x2 = x1; x1 = x0; y2 = y1; y1 = y0;
    }
    return out;
  };
  const fwd = run(Float64Array.from(x));
  fwd.reverse();
  const back = run(fwd);
  back.reverse();
  return back;
}

/**
 * Normalised permutation entropy (Bandt & Pompe 2002), order m (default 3), delay 1: Shannon entropy of
 * the ordinal-pattern distribution divided by log(m!). Needs only n >> m! samples (6 for m = 3), so it
 * is meaningful for ~30 RR intervals where sample entropy is not (Richman & Moorman 2000 need
 * hundreds). 1 = i.i.d. noise; low = regular or monotone. Ties count in index order.
 */
export function permutationEntropy(x: ArrayLike<number>, m = 3): number {
  const n = x.length - m + 1;
  if (n < 2) return NaN;
  const counts = new Map<number, number>();
  const idx = new Array<number>(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) idx[j] = j;
    idx.sort((a, b) => x[i + a]! - x[i + b]! || a - b);
    let code = 0;
    for (let j = 0; j < m; j++) code = code * m + idx[j]!;
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  let h = 0;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log(p);
  }
  let fact = 1;
  for (let j = 2; j <= m; j++) fact *= j;
  return h / Math.log(fact);
}

/** Autocorrelation at lag k (biased estimator). */
export function autocorr(x: ArrayLike<number>, k: number): number {
  const m = mean(x);
  let num = 0, den = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - m;
    den += d * d;
    if (i + k < x.length) num += d * (x[i + k]! - m);
  }
  return den > 0 ? num / den : 0;
}

export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Stream-shape validation shared by the verifiers: finite numbers and non-decreasing t. */
export function checkTimes(items: readonly { t: number }[]): string | null {
  if (!Array.isArray(items)) return 'samples are not an array';
  let prev = -Infinity;
  for (let i = 0; i < items.length; i++) {
    const t = items[i]?.t;
    if (typeof t !== 'number' || !Number.isFinite(t)) return `sample ${i} has no finite time`;
    if (t < prev) return `sample ${i} goes back in time (${t} ms after ${prev} ms)`;
    prev = t;
  }
  return null;
}
