import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { FirewallError } from '../errors.ts';

/**
 * Deterministic random bit generator for stimulus derivation.
 *
 * Why this construction: the challenge nonce (32 bytes from the HSM) is the only secret input. The
 * server must recompute the exact stimulus later (to verify the answer) without storing it, so the
 * derivation is deterministic; without the nonce the output is pseudorandom (HMAC-SHA-256 is a PRF),
 * so nobody can predict an element before the server reveals it.
 *
 * HKDF and HMAC come from @noble/hashes rather than node:crypto so that a device (the approver
 * app in a browser) recomputes the stimulus with this very code before it signs (docs/protocol.md).
 *
 * Exact definition (docs/liveness.md §Stimulus derivation):
 *   K_label = HKDF-SHA-256(ikm = seed, salt = "analog-firewall/stimulus/v1", info = label, L = 32)
 *   block_i = HMAC-SHA-256(K_label, uint64be(i)),  i = 0, 1, 2, ...
 *   stream  = block_0 || block_1 || ...   (bytes consumed strictly in order, never skipped)
 *   uint32()   = next 4 bytes, big-endian
 *   float()    = (next 8 bytes as uint64be) >> 11, divided by 2^53   -> [0, 1)
 *   int(n)     = rejection sampling: x = uint32(); retry while x >= floor(2^32 / n) * n; return x mod n
 */
export const STIMULUS_SALT = 'analog-firewall/stimulus/v1';
export const SEED_BYTES = 32;

const utf8 = new TextEncoder();

export class StimulusDrbg {
  readonly #key: Uint8Array;
  #counter = 0;
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;

  constructor(seed: Uint8Array, label: string) {
    if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
      throw new FirewallError('STIMULUS_SEED_INVALID', `stimulus seed must be exactly ${SEED_BYTES} bytes`, { status: 400 });
    }
    this.#key = hkdf(sha256, seed, utf8.encode(STIMULUS_SALT), utf8.encode(label), 32);
  }

  #refill(): void {
    const ctr = new Uint8Array(8);
    new DataView(ctr.buffer).setBigUint64(0, BigInt(this.#counter++));
    this.#buf = hmac(sha256, this.#key, ctr);
    this.#pos = 0;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (this.#pos >= this.#buf.length) this.#refill();
      out[i] = this.#buf[this.#pos++]!;
    }
    return out;
  }

  uint32(): number {
    return new DataView(this.bytes(4).buffer).getUint32(0);
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  float(): number {
    const v = new DataView(this.bytes(8).buffer);
    const hi = v.getUint32(0);
    const lo = v.getUint32(4);
    return (hi * 2 ** 21 + (lo >>> 11)) / 2 ** 53;
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling). */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 32) throw new FirewallError('STIMULUS_RANGE_INVALID', `int(n) needs 1 <= n <= 2^32, got ${n}`);
    const limit = Math.floor(2 ** 32 / n) * n;
    for (;;) {
      const x = this.uint32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.float();
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}
