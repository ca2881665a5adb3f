import { FirewallError } from '../errors.ts';

/**
 * One pass over a JSON body's bytes that refuses every text two conforming parsers may read
 * differently, so the gateway judges exactly what the actuator will execute (docs/receipts.md
 * §What an actuator may rely on). JSON.parse stays the one that builds values; this only refuses.
 *
 * Refused, each with its own code (all 400):
 * - `JSON_BOM`: a UTF-8 byte-order mark (RFC 8259 §8.1: parsers may ignore it or fail);
 * - `JSON_UTF8_INVALID`: bytes that are not UTF-8 (decoders replace or reject them differently);
 * - `JSON_SURROGATE_UNPAIRED`: a `\uD800`-style escape without its partner (no Unicode reading);
 * - `JSON_DUPLICATE_KEY`: a name twice in one object, at any depth, compared after unescaping
 *   (`"a"` and `"\u0061"` are the same name); parsers keep the first, the last, or both;
 * - `JSON_NUMBER_AMBIGUOUS`: an exponent (`1e3`), negative zero, or more than 15 significant
 *   digits (beyond what every IEEE double and decimal parser reads alike; 2^53 has 16);
 * - `BODY_MALFORMED`: anything else that is not RFC 8259 JSON.
 *
 * Hand-written rather than a library: the checks are on the bytes (UTF-8 validity, the BOM, the
 * spelling of numbers, escaped surrogates), which a string-level parser such as jsonc-parser sees
 * only after decoding, and the LOW path wants one pass (README §Design notes).
 */
export function checkStrictJson(bytes: Uint8Array): void {
  new Scanner(bytes).run();
}

const MAX_SIGNIFICANT_DIGITS = 15;

/** An open array or object; `fresh` until its first element (or its end) is read. */
type Container = { object: boolean; keys: Set<string> | undefined; fresh: boolean };

class Scanner {
  readonly b: Uint8Array;
  readonly text: Buffer;
  i = 0;
  // An explicit stack rather than recursion: a 1 MiB body of '[' must not overflow the call stack.
  readonly stack: Container[] = [];

  constructor(b: Uint8Array) {
    this.b = b;
    this.text = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  run(): void {
    const b = this.b;
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
      throw new FirewallError('JSON_BOM', 'the JSON body starts with a byte-order mark; send it without one', { status: 400, detail: { offset: 0 } });
    }
    this.ws();
    this.value();
    for (;;) {
      this.ws();
      const top = this.stack.at(-1);
      if (top === undefined) break;
      const c = b[this.i];
      if (c === (top.object ? 0x7d /* } */ : 0x5d) /* ] */) {
        this.i++;
        this.stack.pop();
        continue;
      }
      if (top.fresh) top.fresh = false;
      else if (c === 0x2c /* , */) {
        this.i++;
        this.ws();
      } else this.syntax();
      if (top.keys !== undefined) this.key(top.keys);
      this.value();
    }
    if (this.i !== b.length) this.syntax();
  }

  ws(): void {
    const b = this.b;
    let c = b[this.i];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++this.i];
  }

  /** A scalar, or the opening of an array or object (pushed; the main loop reads its elements). */
  value(): void {
    const c = this.b[this.i];
    if (c === 0x22) {
      this.string();
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      this.i++;
      const object = c === 0x7b;
      this.stack.push({ object, keys: object ? new Set() : undefined, fresh: true });
    } else if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) {
      this.number();
    } else if (!this.literal('true') && !this.literal('false') && !this.literal('null')) {
      this.syntax();
    }
  }

  /** A member's name and the colon after it; the name must be new in its object. */
  key(keys: Set<string>): void {
    if (this.b[this.i] !== 0x22) this.syntax();
    const start = this.i;
    const escaped = this.string();
    const key = escaped ? (JSON.parse(this.text.toString('utf8', start, this.i)) as string) : this.text.toString('utf8', start + 1, this.i - 1);
    if (keys.has(key)) {
      throw new FirewallError('JSON_DUPLICATE_KEY', `the JSON body names '${key.slice(0, 100)}' twice in one object; parsers disagree on which one counts`, {
        status: 400,
        detail: { offset: start, key: key.slice(0, 100) },
      });
    }
    keys.add(key);
    this.ws();
    if (this.b[this.i] !== 0x3a /* : */) this.syntax();
    this.i++;
    this.ws();
  }

  literal(word: string): boolean {
    for (let k = 0; k < word.length; k++) if (this.b[this.i + k] !== word.charCodeAt(k)) return false;
    this.i += word.length;
    return true;
  }

  /** Reads a string token; returns whether it holds escapes. */
  string(): boolean {
    const b = this.b;
    this.i++;
    let escaped = false;
    let pendingHigh = -1; // offset of an escaped high surrogate still waiting for its low half
    for (;;) {
      const c = b[this.i];
      if (c === undefined) this.syntax();
      if (c === 0x5c /* \ */) {
        escaped = true;
        const e = b[this.i + 1];
        if (e === 0x75 /* u */) {
          const unit = this.hex4(this.i + 2);
          if (unit >= 0xdc00 && unit <= 0xdfff) {
            if (pendingHigh < 0) this.surrogate(this.i);
            pendingHigh = -1;
          } else {
            if (pendingHigh >= 0) this.surrogate(pendingHigh);
            pendingHigh = unit >= 0xd800 && unit <= 0xdbff ? this.i : -1;
          }
          this.i += 6;
          continue;
        }
        if (pendingHigh >= 0) this.surrogate(pendingHigh);
        if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          this.i += 2;
          continue;
        }
        this.syntax();
      }
      if (pendingHigh >= 0) this.surrogate(pendingHigh);
      if (c === 0x22) {
        this.i++;
        return escaped;
      }
      if (c < 0x20) this.syntax();
      this.i += c < 0x80 ? 1 : this.utf8(this.i);
    }
  }

  hex4(at: number): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.b[at + k];
      const d = c === undefined ? -1 : c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
      if (d < 0) this.syntax();
      v = v * 16 + d;
    }
    return v;
  }

  /** Length of the well-formed UTF-8 sequence at `at` (Unicode Table 3-7), or a refusal. */
  utf8(at: number): number {
    const b = this.b;
    const c = b[at]!;
    const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
      const x = b[at + k];
      return x !== undefined && x >= lo && x <= hi;
    };
    if (c >= 0xc2 && c <= 0xdf && cont(1)) return 2;
    if (c === 0xe0 && cont(1, 0xa0) && cont(2)) return 3;
    if (((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) && cont(1) && cont(2)) return 3;
    if (c === 0xed && cont(1, 0x80, 0x9f) && cont(2)) return 3;
    if (c === 0xf0 && cont(1, 0x90) && cont(2) && cont(3)) return 4;
    if (c >= 0xf1 && c <= 0xf3 && cont(1) && cont(2) && cont(3)) return 4;
    if (c === 0xf4 && cont(1, 0x80, 0x8f) && cont(2) && cont(3)) return 4;
    throw new FirewallError('JSON_UTF8_INVALID', `the JSON body is not valid UTF-8 (byte ${at})`, { status: 400, detail: { offset: at } });
  }

  number(): void {
    const b = this.b;
    const start = this.i;
    const negative = b[this.i] === 0x2d;
    if (negative) this.i++;
    let significant = 0; // digits from the first non-zero one on
    let intDigits = 0;
    let c = b[this.i];
    if (c === 0x30) {
      c = b[++this.i];
      if (c !== undefined && c >= 0x30 && c <= 0x39) this.syntax(); // leading zero
    } else {
      for (; c !== undefined && c >= 0x30 && c <= 0x39; c = b[++this.i]) intDigits++;
      if (intDigits === 0) this.syntax();
      significant = intDigits;
    }
    if (c === 0x2e /* . */) {
      let fracDigits = 0;
      for (c = b[++this.i]; c !== undefined && c >= 0x30 && c <= 0x39; c = b[++this.i]) {
        fracDigits++;
        if (significant > 0 || c !== 0x30) significant++;
      }
      if (fracDigits === 0) this.syntax();
    }
    if (c === 0x65 || c === 0x45) this.ambiguous(start, 'exponent', 'has an exponent (write it out: 1000, not 1e3)');
    if (negative && significant === 0) this.ambiguous(start, 'negative_zero', 'is negative zero');
    if (significant > MAX_SIGNIFICANT_DIGITS) this.ambiguous(start, 'precision', `has more than ${MAX_SIGNIFICANT_DIGITS} significant digits (send it as a string)`);
  }

  ambiguous(at: number, reason: string, what: string): never {
    throw new FirewallError('JSON_NUMBER_AMBIGUOUS', `the JSON number at byte ${at} ${what}; parsers read it differently`, { status: 400, detail: { offset: at, reason } });
  }

  surrogate(at: number): never {
    throw new FirewallError('JSON_SURROGATE_UNPAIRED', `the JSON body escapes half of a surrogate pair at byte ${at}; it is no Unicode text`, { status: 400, detail: { offset: at } });
  }

  syntax(): never {
    if ((this.b[this.i] ?? 0) >= 0x80) this.utf8(this.i); // a bad byte outside a string is still bad UTF-8
    throw new FirewallError('BODY_MALFORMED', `the request body is declared JSON but is not RFC 8259 JSON (at byte ${this.i})`, { status: 400, detail: { offset: this.i } });
  }
}
