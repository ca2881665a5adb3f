import { describe, expect, it } from 'vitest';
import { BeatClock, parseHeartRateMeasurement } from '../../web/app/src/signing/sources/heart-rate-measurement.ts';

const view = (bytes: number[]) => new DataView(Uint8Array.from(bytes).buffer);

describe('Heart Rate Measurement (0x2A37) parsing', () => {
  it('uint8 rate, RR intervals in 1/1024 s', () => {
    expect(parseHeartRateMeasurement(view([0x10, 72, 0x00, 0x04, 0x33, 0x03]))).toEqual({ bpm: 72, contact: undefined, energyKj: undefined, rrMs: [1000, (0x0333 * 1000) / 1024] });
  });
  it('uint16 rate, contact supported and detected, energy expended before the RR intervals', () => {
    // flags: 0x01 uint16 | 0x06 contact supported+detected | 0x08 energy | 0x10 RR
    expect(parseHeartRateMeasurement(view([0x1f, 0x2c, 0x01, 0x10, 0x00, 0x00, 0x04]))).toEqual({ bpm: 300, contact: true, energyKj: 16, rrMs: [1000] });
  });
  it('contact supported but lost; no RR', () => {
    expect(parseHeartRateMeasurement(view([0x04, 60]))).toEqual({ bpm: 60, contact: false, energyKj: undefined, rrMs: [] });
  });
  it('a truncated packet is refused', () => {
    expect(() => parseHeartRateMeasurement(view([0x10]))).toThrow(RangeError);
    expect(() => parseHeartRateMeasurement(view([0x10, 60, 0x00]))).toThrow(RangeError);
    expect(() => parseHeartRateMeasurement(view([0x01, 60]))).toThrow(RangeError);
  });
});

describe('beat times from notifications', () => {
  it('chains beats by their intervals, slews towards a notification that came sooner after its beat, and re-anchors after a loss or an impossible interval', () => {
    const c = new BeatClock();
    expect(c.beats([800, 1000], 5000)).toEqual([4000, 5000]);
    // Arrived 30 ms later after its beat than the first: the chain keeps the interval.
    expect(c.beats([900], 5930)).toEqual([5900]);
    // Arrived 100 ms sooner after its beat than the first: the chain moves 40 ms towards it (the
    // interval stays within 50 ms of the strap's), then 40 ms a beat more while it is still after.
    expect(c.beats([1000], 6800)).toEqual([6860]);
    expect(c.beats([500, 500], 7800)).toEqual([7330, 7800]);
    // Later than the chain: kept.
    expect(c.beats([1000], 8950)).toEqual([8800]);
    // 3 s of notifications lost: re-anchored.
    expect(c.beats([1000], 11_900)).toEqual([11_900]);
    // Intervals that would put the beat 1.6 s after its arrival: re-anchored.
    expect(c.beats([2600], 12_900)).toEqual([12_900]);
  });

  it('every interval it dates stays within 40 ms of the strap\'s, whatever the delivery delays', () => {
    const c = new BeatClock();
    let beat = 0;
    let prev: number | undefined;
    for (let i = 0; i < 200; i++) {
      const rr = 700 + ((i * 37) % 300);
      beat += rr;
      const delay = (i * 7919 + 600) % 900; // 0-900 ms after the beat, in no order; the first 600
      const [t] = c.beats([rr], beat + delay);
      if (prev !== undefined) expect(Math.abs(t! - prev - rr)).toBeLessThanOrEqual(40);
      expect(t! - beat).toBeGreaterThanOrEqual(0); // never before the beat
      prev = t;
    }
    // And it has come to the shortest delay seen: the beats' true times.
    expect(prev! - beat).toBeLessThan(50);
  });
});
