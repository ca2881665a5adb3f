/**
 * The Heart Rate Measurement characteristic (0x2A37) of the Bluetooth Heart Rate Service (0x180D),
 * Heart Rate Service specification v1.0 §3.1 and the GATT specification supplement:
 *
 *   byte 0  flags: bit 0 heart-rate value format (0 = uint8, 1 = uint16 little-endian)
 *                  bits 1–2 sensor contact status (bit 2 = supported, bit 1 = detected)
 *                  bit 3 energy expended present (uint16, kJ)
 *                  bit 4 RR-interval present (one or more uint16, units of 1/1024 s)
 *                  bits 5–7 reserved
 *   then the heart rate, the energy expended if flagged, then RR intervals to the end.
 *
 * Pure: a DataView in, the fields out; throws RangeError on a truncated packet.
 */
export interface HeartRateMeasurement {
  bpm: number;
  /** undefined when the strap does not report contact. */
  contact: boolean | undefined;
  energyKj: number | undefined;
  /** RR intervals in ms, oldest first. */
  rrMs: number[];
}

export function parseHeartRateMeasurement(v: DataView): HeartRateMeasurement {
  if (v.byteLength < 2) throw new RangeError('heart rate measurement shorter than 2 bytes');
  const flags = v.getUint8(0);
  let i = 1;
  const wide = (flags & 0x01) !== 0;
  const bpm = wide ? v.getUint16(i, true) : v.getUint8(i);
  i += wide ? 2 : 1;
  const contact = (flags & 0x04) !== 0 ? (flags & 0x02) !== 0 : undefined;
  let energyKj: number | undefined;
  if ((flags & 0x08) !== 0) {
    energyKj = v.getUint16(i, true);
    i += 2;
  }
  const rrMs: number[] = [];
  if ((flags & 0x10) !== 0) {
    if ((v.byteLength - i) % 2 !== 0) throw new RangeError('RR intervals are uint16 values: an odd byte is left');
    for (; i + 1 < v.byteLength; i += 2) rrMs.push((v.getUint16(i, true) * 1000) / 1024);
  }
  return { bpm, contact, energyKj, rrMs };
}

/**
 * Beat times for RR intervals that arrive in notifications (a strap sends about one a second,
 * holding zero to several intervals; some send one per beat). The stream wants `t` = the beat that
 * ends each interval, with beat times that agree with the intervals (the gateway checks that they
 * do, within 50 ms: docs/liveness.md, hrv time-consistency). So beats follow each other by their
 * intervals from the first notification on, which dates them by that notification's arrival: late
 * by however long after its last beat it came (up to about a second with a once-a-second strap,
 * plus the radio's and the browser's delays). A later notification that came sooner after its beat
 * finds the chain after its arrival; the chain then slews towards it by at most 40 ms a beat, which
 * keeps every interval within the tolerance (jumping there would break one at every new shortest
 * delay) and brings the beats to their true times over the session. A beat dated after its
 * notification's arrival is sent once its time has passed (SampleQueue.take). The chain is
 * re-anchored to the arrival only when it fell more than 1.5 s behind (notifications lost) or ran
 * more than 1.5 s ahead (intervals that cannot be: a detection error of the strap).
 */
export class BeatClock {
  #last: number | undefined;

  /** `arrivedAt`: when the notification came (performance ms). Returns the beat time of each interval. */
  beats(rrMs: readonly number[], arrivedAt: number): number[] {
    if (rrMs.length === 0) return [];
    const total = rrMs.reduce((a, b) => a + b, 0);
    let end = this.#last === undefined ? arrivedAt : this.#last + total;
    let slew = 0;
    if (Math.abs(end - arrivedAt) > REANCHOR_MS) end = arrivedAt;
    else if (end > arrivedAt) slew = Math.min(end - arrivedAt, SLEW_MS * rrMs.length);
    const out: number[] = [];
    let t = end - total;
    rrMs.forEach((rr, i) => {
      t += rr;
      out.push(t - (slew * (i + 1)) / rrMs.length);
    });
    this.#last = end - slew;
    return out;
  }
}

const REANCHOR_MS = 1500;
/** Per beat; under the gateway's 50 ms tolerance between beat times and intervals. */
const SLEW_MS = 40;
