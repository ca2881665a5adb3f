/**
 * Wire framing: every message is a 4-byte big-endian length followed by that many bytes of UTF-8
 * JSON. The decoder never buffers more than `maxFrameBytes` of one frame: an oversized frame is
 * reported once and its body skipped as it streams past, so the connection stays usable.
 */
import { FirewallError } from '../../src/core/errors.ts';

export const FRAME_HEADER_BYTES = 4;
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** The length field is a uint32; anything larger cannot be framed at all. */
export const ABSOLUTE_MAX_FRAME_BYTES = 0xffff_ffff;

export type FrameEvent = { kind: 'frame'; body: Buffer } | { kind: 'oversized'; length: number };

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, FRAME_HEADER_BYTES);
  return out;
}

export class FrameDecoder {
  readonly #maxFrameBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes of an oversized frame still to discard. */
  #skip = 0;

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > ABSOLUTE_MAX_FRAME_BYTES) {
      throw new RangeError(`maxFrameBytes must be an integer in 1..${ABSOLUTE_MAX_FRAME_BYTES}, got ${maxFrameBytes}`);
    }
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held waiting for the rest of a frame (tests use it to check nothing leaks). */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, this.#buffered);
        this.#take(n);
        this.#skip -= n;
        if (this.#skip > 0) break;
        continue;
      }
      if (this.#buffered < FRAME_HEADER_BYTES) break;
      const length = this.#peekHeader();
      if (length > this.#maxFrameBytes) {
        this.#take(FRAME_HEADER_BYTES);
        this.#skip = length;
        events.push({ kind: 'oversized', length });
        continue;
      }
      if (this.#buffered < FRAME_HEADER_BYTES + length) break;
      this.#take(FRAME_HEADER_BYTES);
      events.push({ kind: 'frame', body: this.#take(length) });
    }
    return events;
  }

  #peekHeader(): number {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= FRAME_HEADER_BYTES) return first.readUInt32BE(0);
    return Buffer.concat(this.#chunks, FRAME_HEADER_BYTES).readUInt32BE(0);
  }

  /** Remove and return the first `n` buffered bytes, concatenating only when a frame spans chunks. */
  #take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.#chunks[0];
    let out: Buffer;
    if (first !== undefined && first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.#chunks, this.#buffered);
      out = all.subarray(0, n);
      this.#chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.#buffered -= n;
    return out;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parse a frame body into a plain JSON object. Invalid UTF-8, invalid JSON, JSON nested deep
 * enough to exhaust the stack, and non-object roots are all FRAME_MALFORMED.
 */
export function parseFrameBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) throw new FirewallError('FRAME_MALFORMED', 'frame is empty; expected a JSON object');
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new FirewallError('FRAME_MALFORMED', 'frame is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const why = e instanceof RangeError ? 'nested too deeply' : 'not valid JSON';
    throw new FirewallError('FRAME_MALFORMED', `frame body is ${why}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FirewallError('FRAME_MALFORMED', 'frame body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
