import { round, SampleQueue, type SampleSource, type SourceFailure } from './source.ts';

/**
 * Motion (docs/liveness.md §Stream formats): acceleration including gravity in m/s², device frame
 * (x right, y up the screen, z out of the screen), and the rotation rate in rad/s.
 *
 * Source, in order of preference: the Generic Sensor API (`Accelerometer`, `Gyroscope`, Chromium on
 * Android and desktop), else `devicemotion` (Safari, Firefox), whose rotation rate is in deg/s
 * (beta about x, gamma about y, alpha about z). iOS asks the person first
 * (`DeviceMotionEvent.requestPermission()`, only from a click).
 *
 * Sampling: every reading is kept at its own time. A sensor that reports only when its value
 * changes (Chromium does) is held at its last value every 20 ms so the stream keeps a steady rate;
 * a sensor silent for more than 1.5 s has stopped, and the session ends.
 */

interface Xyz { t: number; x: number; y: number; z: number }

interface GenericSensor extends EventTarget {
  x: number | null;
  y: number | null;
  z: number | null;
  start(): void;
  stop(): void;
}
type SensorCtor = new (o: { frequency: number }) => GenericSensor;

const HOLD_MS = 20;
const MIN_GAP_MS = 5;
const STOPPED_MS = 1500;
const G = 9.80665;

export class MotionSource implements SampleSource {
  readonly modality = 'motion' as const;
  readonly #acc = new SampleQueue<Xyz>(MIN_GAP_MS);
  readonly #gyro = new SampleQueue<Xyz>(MIN_GAP_MS);
  #lastAcc: { at: number; x: number; y: number; z: number } | undefined;
  #lastGyro: { at: number; x: number; y: number; z: number } | undefined;
  #lastReadingAt = 0;
  #failure: SourceFailure | undefined;
  #sensors: GenericSensor[] = [];
  #onMotion: ((e: DeviceMotionEvent) => void) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #began = false;

  async open(): Promise<void> {
    const w = globalThis as unknown as { Accelerometer?: SensorCtor; Gyroscope?: SensorCtor; DeviceMotionEvent?: { requestPermission?: () => Promise<string> } };
    if (w.Accelerometer) {
      const ok = await this.#openGeneric(w.Accelerometer, w.Gyroscope);
      if (ok) return this.#startClock();
    }
    if (typeof w.DeviceMotionEvent === 'undefined') {
      this.#failure = 'unavailable';
      throw new Error('unavailable');
    }
    // iOS 13+: permission from a user gesture; other browsers have no such method.
    if (typeof w.DeviceMotionEvent.requestPermission === 'function') {
      const answer = await w.DeviceMotionEvent.requestPermission().catch(() => 'denied');
      if (answer !== 'granted') {
        this.#failure = 'denied';
        throw new Error('denied');
      }
    }
    this.#onMotion = (e) => {
      const a = e.accelerationIncludingGravity;
      if (a?.x == null || a.y == null || a.z == null) return;
      const at = e.timeStamp;
      this.#acceleration(at, a.x, a.y, a.z);
      const r = e.rotationRate;
      if (r?.alpha != null && r.beta != null && r.gamma != null) {
        const k = Math.PI / 180;
        this.#rotation(at, r.beta * k, r.gamma * k, r.alpha * k);
      }
    };
    addEventListener('devicemotion', this.#onMotion);
    this.#startClock();
  }

  async #openGeneric(Acc: SensorCtor, Gyro: SensorCtor | undefined): Promise<boolean> {
    const perms = navigator.permissions;
    for (const name of ['accelerometer', 'gyroscope']) {
      const state = await perms?.query({ name: name as PermissionName }).then((p) => p.state).catch(() => 'prompt');
      if (state === 'denied') {
        this.#failure = 'denied';
        throw new Error('denied');
      }
    }
    const acc = new Acc({ frequency: 60 });
    const first = new Promise<boolean>((resolve) => {
      acc.addEventListener('reading', () => resolve(true), { once: true });
      acc.addEventListener('error', () => resolve(false), { once: true });
      setTimeout(() => resolve(this.#lastAcc !== undefined), 1000);
    });
    acc.addEventListener('reading', (e) => {
      if (acc.x !== null && acc.y !== null && acc.z !== null) this.#acceleration(e.timeStamp, acc.x, acc.y, acc.z);
    });
    acc.addEventListener('error', () => (this.#failure ??= this.#began ? 'failed' : undefined));
    acc.start();
    this.#sensors.push(acc);
    if (!(await first)) {
      acc.stop();
      this.#sensors = [];
      return false;
    }
    if (Gyro) {
      try {
        const gyro = new Gyro({ frequency: 60 });
        gyro.addEventListener('reading', (e) => {
          if (gyro.x !== null && gyro.y !== null && gyro.z !== null) this.#rotation(e.timeStamp, gyro.x, gyro.y, gyro.z);
        });
        gyro.addEventListener('error', () => gyro.stop());
        gyro.start();
        this.#sensors.push(gyro);
      } catch {
        // No gyroscope: the stream's gyro is optional.
      }
    }
    return true;
  }

  #startClock(): void {
    this.#lastReadingAt = performance.now();
    this.#timer = setInterval(() => this.#hold(), HOLD_MS);
  }

  #acceleration(at: number, x: number, y: number, z: number): void {
    this.#lastReadingAt = performance.now();
    this.#lastAcc = { at, x, y, z };
    this.#acc.push(at, (t) => ({ t, x: round(x, 3), y: round(y, 3), z: round(z, 3) }));
  }

  #rotation(at: number, x: number, y: number, z: number): void {
    this.#lastGyro = { at, x, y, z };
    this.#gyro.push(at, (t) => ({ t, x: round(x, 4), y: round(y, 4), z: round(z, 4) }));
  }

  /** Holds the last reading of a sensor that reports only on change; notices one that stopped. */
  #hold(): void {
    const now = performance.now();
    if (this.#began && now - this.#lastReadingAt > STOPPED_MS) this.#failure ??= 'stopped';
    for (const [last, q] of [[this.#lastAcc, this.#acc], [this.#lastGyro, this.#gyro]] as const) {
      if (last === undefined || now - last.at < 2 * HOLD_MS) continue;
      last.at = now;
      q.push(now, (t) => ({ t, x: round(last.x, 3), y: round(last.y, 3), z: round(last.z, 3) }));
    }
  }

  begin(t0: number): void {
    this.#began = true;
    this.#lastReadingAt = Math.max(this.#lastReadingAt, t0);
    this.#acc.begin(t0);
    this.#gyro.begin(t0);
  }

  take(untilMs: number): { acc: Xyz[]; gyro?: Xyz[] } {
    const acc = this.#acc.take(untilMs);
    const gyro = this.#gyro.take(untilMs);
    return gyro.length ? { acc, gyro } : { acc };
  }

  failure(): SourceFailure | undefined {
    return this.#failure;
  }

  /** |a| in g: 1 at rest, peaks on a shake. */
  plotValue(): number | undefined {
    const a = this.#lastAcc;
    return a === undefined ? undefined : Math.hypot(a.x, a.y, a.z) / G;
  }

  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    for (const s of this.#sensors) s.stop();
    if (this.#onMotion) removeEventListener('devicemotion', this.#onMotion);
  }
}
