import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FirewallError } from '../../src/core/errors.ts';
import { checkStrictJson } from '../../src/core/wire/strict-json.ts';

function codeOf(text: string | Uint8Array): string | undefined {
  try {
    checkStrictJson(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
    return undefined;
  } catch (e) {
    if (e instanceof FirewallError) return e.code;
    throw e;
  }
}

describe('strict JSON: one reading for every parser', () => {
  it('accepts plain JSON of every kind', () => {
    for (const t of ['{}', '[]', '0', '-1', '12.5', '"x"', 'true', 'null', ' { "a" : [1, {"b": "c\\n\\u00e9\\ud83d\\ude00"}], "b": {"a": 1} } ', '{"€": "ü"}', '123456789012345', '0.000012345678901234']) {
      expect(codeOf(t), t).toBeUndefined();
    }
  });

  it('refuses a duplicate key at any depth, compared after unescaping', () => {
    expect(codeOf('{"payee":"DE89","amount":50000,"currency":"EUR","amount":1}')).toBe('JSON_DUPLICATE_KEY');
    expect(codeOf('{"a":{"b":[{"c":1,"c":2}]}}')).toBe('JSON_DUPLICATE_KEY');
    expect(codeOf('{"amount":1,"\\u0061mount":2}')).toBe('JSON_DUPLICATE_KEY');
    expect(codeOf('[{"a":1},{"a":2}]')).toBeUndefined(); // sibling objects have their own names
  });

  it('refuses a byte-order mark, invalid UTF-8 and unpaired surrogates, each with its own code', () => {
    expect(codeOf('\uFEFF{}')).toBe('JSON_BOM');
    expect(codeOf(Buffer.from([0x22, 0xc3, 0x28, 0x22]))).toBe('JSON_UTF8_INVALID'); // truncated sequence
    expect(codeOf(Buffer.from([0x22, 0xc0, 0xaf, 0x22]))).toBe('JSON_UTF8_INVALID'); // overlong '/'
    expect(codeOf(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toBe('JSON_UTF8_INVALID'); // a surrogate encoded in UTF-8
    expect(codeOf(Buffer.from([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]))).toBe('JSON_UTF8_INVALID'); // beyond U+10FFFF
    expect(codeOf('"\\uD800"')).toBe('JSON_SURROGATE_UNPAIRED');
    expect(codeOf('"\\udc00x"')).toBe('JSON_SURROGATE_UNPAIRED');
    expect(codeOf('"\\uD800\\u0041"')).toBe('JSON_SURROGATE_UNPAIRED');
    expect(codeOf('{"\\uD83D":1}')).toBe('JSON_SURROGATE_UNPAIRED');
  });

  it('refuses number forms parsers read differently', () => {
    for (const t of ['1e3', '1E-2', '-0', '-0.0', '9007199254740993', '0.1234567890123456', '[1, 2.50000000000000001]']) {
      expect(codeOf(t), t).toBe('JSON_NUMBER_AMBIGUOUS');
    }
    expect(codeOf('-0.5')).toBeUndefined();
  });

  it('refuses what is not JSON, without overflowing on deep nesting', () => {
    for (const t of ['', '{', '[1,]', '{"a":1,}', '01', '1.', '.5', '+1', 'NaN', "{'a':1}", '"\t"', '"\\x"', '{"a" 1}', '[1 2]', '{} {}', '{,}', '[,]', 'tru']) {
      expect(codeOf(t), JSON.stringify(t)).toBe('BODY_MALFORMED');
    }
    expect(codeOf('['.repeat(200_000))).toBe('BODY_MALFORMED');
    expect(codeOf('['.repeat(5000) + ']'.repeat(5000))).toBeUndefined();
  });

  it('agrees with JSON.parse on every text without duplicates or ambiguous numbers (property)', () => {
    const safe = fc.letrec((tie) => ({
      v: fc.oneof({ maxDepth: 4 }, fc.string(), fc.integer({ min: -1e9, max: 1e9 }), fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('v'), { maxKeys: 4 })),
    })).v;
    fc.assert(
      fc.property(safe, fc.integer({ min: 0, max: 3 }), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        if (text.includes('-0')) return; // -0 stringifies as 0; nothing to compare
        expect(codeOf(text)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
    // Random mutations: whatever the scanner accepts, JSON.parse accepts too.
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'{}[],:"\\ 0123456789.-eEtrufalsn\u00e9') , maxLength: 30 }), (text) => {
        if (codeOf(text) === undefined) expect(() => JSON.parse(text)).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });
});
