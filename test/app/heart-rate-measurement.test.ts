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
  it('chains beats by their intervals across varying delivery delays, and re-anchors after a loss or an impossible interval', () => {
    const c = new BeatClock();
    expect(c.beats([800, 1000], 5000)).toEqual([4000, 5000]);
    // Arrived 30 ms later after its beat than the first: the chain keeps the interval.
    expect(c.beats([900], 5930)).toEqual([5900]);
    // Arrived 100 ms sooner after its beat than the first: still the chain (the interval is the
    // strap's measurement; the arrival only bounds it), dated 100 ms after its arrival.
    expect(c.beats([1000], 6800)).toEqual([6900]);
    expect(c.beats([1000], 7950)).toEqual([7900]);
    // 3 s of notifications lost: re-anchored.
    expect(c.beats([1000], 10_900)).toEqual([10_900]);
    // Intervals that would put the beat 1.6 s after its arrival: re-anchored.
    expect(c.beats([2600], 11_900)).toEqual([11_900]);
  });
});
