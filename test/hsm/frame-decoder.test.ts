/**
 * The frame decoder in isolation: any split of any sequence of frames decodes to the same frames,
 * and an oversized frame is reported once and skipped without being buffered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, encodeFrame, parseFrameBody } from '../../hsm-sim/protocol/frame.ts';

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    out.push(buf.subarray(last, p));
    last = p;
  }
  out.push(buf.subarray(last));
  return out;
}

describe('FrameDecoder', () => {
  it('decodes any chunking of any frame sequence identically', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (messages, cuts) => {
        const wire = Buffer.concat(messages.map(encodeFrame));
        const d = new FrameDecoder(1 << 20);
        const got = splitAt(wire, cuts).flatMap((c) => d.push(c));
        expect(got.map((e) => (e.kind === 'frame' ? parseFrameBody(e.body) : e))).toEqual(messages.map((m) => JSON.parse(JSON.stringify(m))));
        expect(d.buffered).toBe(0);
      }),
    );
  });

  it('reports an oversized frame once, skips its body across chunks, then decodes the next frame', () => {
    fc.assert(
      fc.property(fc.integer({ min: 65, max: 5000 }), fc.array(fc.nat(), { maxLength: 10 }), (size, cuts) => {
        const big = Buffer.alloc(4 + size, 0x61);
        big.writeUInt32BE(size);
        const wire = Buffer.concat([big, encodeFrame({ after: true })]);
        const d = new FrameDecoder(64);
        const events = splitAt(wire, cuts).flatMap((c) => d.push(c));
        expect(events[0]).toEqual({ kind: 'oversized', length: size });
        expect(events).toHaveLength(2);
        expect(events[1]!.kind === 'frame' && parseFrameBody(events[1]!.body)).toEqual({ after: true });
        // Nothing of the oversized body was kept.
        expect(d.buffered).toBe(0);
      }),
    );
  });

  it('refuses bodies that are not one JSON object', () => {
    for (const bad of ['', 'nul', '[]', '1', '"x"', '{"a":1}x']) expect(() => parseFrameBody(Buffer.from(bad))).toThrow(expect.objectContaining({ code: 'FRAME_MALFORMED' }));
    expect(() => parseFrameBody(Buffer.from([0xc3, 0x28]))).toThrow(expect.objectContaining({ code: 'FRAME_MALFORMED' }));
  });
});
