import { createHash } from 'node:crypto';

/**
 * Seeded PRNG for the simulators (sfc32, Doerr 2010; passes PractRand to 2^40+). Not for secrets:
 * it only makes simulated corpora reproducible. `fork(label)` gives an independent stream whose
 * output does not depend on how much the parent consumed, so adding a draw somewhere does not shift
 * every later person, session or attack.
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  readonly seed: string;
  #spare: number | null = null;

  constructor(seed: string | number) {
    this.seed = String(seed);
    const h = createHash('sha256').update('sim-rng/' + this.seed).digest();
    this.#a = h.readUInt32LE(0);
    this.#b = h.readUInt32LE(4);
    this.#c = h.readUInt32LE(8);
    this.#d = h.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.uint32();
  }

  fork(label: string | number): Rng {
    return new Rng(this.seed + '/' + String(label));
  }

  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  uniform(a: number, b: number): number {
    return a + (b - a) * this.float();
  }

  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal (Marsaglia polar). */
  normal(mean = 0, sd = 1): number {
    if (this.#spare !== null) {
      const s = this.#spare;
      this.#spare = null;
      return mean + sd * s;
    }
    let u: number, v: number, q: number;
    do {
      u = 2 * this.float() - 1;
      v = 2 * this.float() - 1;
      q = u * u + v * v;
    } while (q >= 1 || q === 0);
    const f = Math.sqrt((-2 * Math.log(q)) / q);
    this.#spare = v * f;
    return mean + sd * u * f;
  }

  /** Log-normal with the given median and log-space sd. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Log-uniform in [a, b]. */
  logUniform(a: number, b: number): number {
    return Math.exp(this.uniform(Math.log(a), Math.log(b)));
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }
}

/**
 * 1/f ("pink") noise in continuous time, stepped with any dt: a sum of Ornstein-Uhlenbeck processes
 * with octave-spaced time constants and equal variance has a spectrum close to 1/f between
 * 1/(2*pi*tauMax) and 1/(2*pi*tauMin) (Kasdin 1995). Exact OU updates keep it correct for irregular
 * steps, which incremental (chunked) generation needs.
 */
export class PinkNoise {
  readonly #taus: number[];
  readonly #x: number[];
  readonly #sdEach: number;
  readonly #rng: Rng;

  constructor(rng: Rng, sd: number, tauMinS: number, tauMaxS: number) {
    this.#rng = rng;
    this.#taus = [];
    for (let tau = tauMinS; tau <= tauMaxS * 1.0001; tau *= 2) this.#taus.push(tau);
    this.#sdEach = sd / Math.sqrt(this.#taus.length);
    this.#x = this.#taus.map(() => rng.normal(0, this.#sdEach));
  }

  #dt = NaN;
  #a: number[] = [];
  #b: number[] = [];

  step(dtS: number): number {
    if (dtS !== this.#dt) {
      // Most callers step with a constant dt: cache the OU coefficients.
      this.#dt = dtS;
      this.#a = this.#taus.map((tau) => Math.exp(-dtS / tau));
      this.#b = this.#a.map((a) => this.#sdEach * Math.sqrt(1 - a * a));
    }
    let sum = 0;
    for (let i = 0; i < this.#taus.length; i++) {
      this.#x[i] = this.#x[i]! * this.#a[i]! + this.#b[i]! * this.#rng.normal();
      sum += this.#x[i]!;
    }
    return sum;
  }
}
