import { BeatClock, parseHeartRateMeasurement } from './heart-rate-measurement.ts';
import { round, SampleQueue, type SampleSource, type SourceFailure } from './source.ts';

/**
 * Heart rate (hrv stream, docs/liveness.md): RR intervals from a Bluetooth LE chest strap or watch
 * through Web Bluetooth — Heart Rate Service 0x180D, notifications of Heart Rate Measurement
 * 0x2A37 (parsed in heart-rate-measurement.ts). A strap that disconnects, loses skin contact or
 * sends no interval for 3 s ends the session.
 */

interface Rr { t: number; ms: number }

interface BluetoothLike {
  requestDevice(o: { filters: { services: (number | string)[] }[] }): Promise<BtDevice>;
}
interface BtDevice extends EventTarget {
  gatt?: { connected: boolean; connect(): Promise<BtServer>; disconnect(): void };
}
interface BtServer {
  getPrimaryService(s: number): Promise<{ getCharacteristic(c: number): Promise<BtCharacteristic> }>;
}
interface BtCharacteristic extends EventTarget {
  value?: DataView;
  startNotifications(): Promise<BtCharacteristic>;
  stopNotifications(): Promise<BtCharacteristic>;
}

const SILENT_MS = 3000;

export class HeartRateSource implements SampleSource {
  readonly modality = 'hrv' as const;
  readonly #q = new SampleQueue<Rr>();
  readonly #clock = new BeatClock();
  #device: BtDevice | undefined;
  #char: BtCharacteristic | undefined;
  #failure: SourceFailure | undefined;
  #lastRrAt = 0;
  #bpm: number | undefined;
  #began = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  async open(): Promise<void> {
    const bt = (navigator as unknown as { bluetooth?: BluetoothLike }).bluetooth;
    if (!bt) {
      this.#failure = 'unavailable';
      throw new Error('unavailable');
    }
    try {
      this.#device = await bt.requestDevice({ filters: [{ services: [0x180d] }] });
      const server = await this.#device.gatt!.connect();
      const service = await server.getPrimaryService(0x180d);
      this.#char = await service.getCharacteristic(0x2a37);
    } catch (e) {
      this.#failure = (e as DOMException).name === 'NotFoundError' || (e as DOMException).name === 'NotAllowedError' ? 'denied' : 'failed';
      throw e;
    }
    this.#device.addEventListener('gattserverdisconnected', () => (this.#failure ??= 'disconnected'));
    this.#char.addEventListener('characteristicvaluechanged', (e) => this.#measurement(e.timeStamp));
    await this.#char.startNotifications();
    this.#lastRrAt = performance.now();
    this.#timer = setInterval(() => {
      if (this.#began && performance.now() - this.#lastRrAt > SILENT_MS) this.#failure ??= 'stopped';
    }, 250);
  }

  #measurement(at: number): void {
    const v = this.#char?.value;
    if (!v) return;
    let m;
    try {
      m = parseHeartRateMeasurement(v);
    } catch {
      return; // a garbled packet: skipped; a strap that only sends those stops (SILENT_MS)
    }
    this.#bpm = m.bpm;
    if (m.contact === false) return;
    if (m.rrMs.length === 0) return;
    this.#lastRrAt = performance.now();
    const beats = this.#clock.beats(m.rrMs, at);
    beats.forEach((b, i) => this.#q.push(b, (t) => ({ t, ms: round(m.rrMs[i]!, 1) })));
  }

  begin(t0: number): void {
    this.#began = true;
    this.#lastRrAt = Math.max(this.#lastRrAt, t0);
    this.#q.begin(t0);
  }

  take(untilMs: number): { rr: Rr[] } {
    return { rr: this.#q.take(untilMs) };
  }

  failure(): SourceFailure | undefined {
    return this.#failure;
  }

  plotValue(): number | undefined {
    return this.#bpm;
  }

  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#char?.stopNotifications().catch(() => undefined);
    if (this.#device?.gatt?.connected) this.#device.gatt.disconnect();
  }
}
