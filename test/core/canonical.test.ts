import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical.ts';
import { isFirewallError } from '../../src/core/errors.ts';

/** The reference implementation, for differential checks (a devDependency only). */
const reference = canonicalize as unknown as (v: unknown) => string | undefined;

function outcome(f: (v: unknown) => string | undefined, v: unknown): { json?: string | undefined; threw?: true } {
  try {
    return { json: f(v) };
  } catch {
    return { threw: true };
  }
}

function invalid(v: unknown): boolean {
  try {
    canonicalJson(v);
    return false;
  } catch (e) {
    return isFirewallError(e, 'CANONICAL_JSON_INVALID');
  }
}

describe('canonicalJson (RFC 8785)', () => {
  it('gives the RFC\'s own examples (§3.2.2 serialisation, §3.2.3 key order)', () => {
    const input = JSON.parse('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}');
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
    const sorted: [string, string][] = [
      ['\r', 'Carriage Return'],
      ['1', 'One'],
      ['\u0080', 'Control'],
      ['\u00f6', 'Latin Small Letter O With Diaeresis'],
      ['\u20ac', 'Euro Sign'],
      ['\ud83d\ude00', 'Emoji: Grinning Face'],
      ['\ufb33', 'Hebrew Letter Dalet With Dagesh'],
    ];
    const shuffled = Object.fromEntries([sorted[4]!, sorted[0]!, sorted[6]!, sorted[1]!, sorted[5]!, sorted[2]!, sorted[3]!]);
    expect(canonicalJson(shuffled)).toBe('{' + sorted.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',') + '}');
  });

  it('writes numbers in their shortest round-trip form (RFC 8785 appendix B samples)', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [5e-324, '5e-324'],
      [-5e-324, '-5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [9007199254740992, '9007199254740992'],
      [-9007199254740992, '-9007199254740992'],
      [295147905179352830000, '295147905179352830000'],
      [1e21, '1e+21'],
      [1e23, '1e+23'],
      [0.000001, '0.000001'],
      [1e-7, '1e-7'],
    ];
    for (const [n, s] of cases) expect(canonicalJson([n])).toBe(`[${s}]`);
  });

  it('agrees with the reference implementation on every JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: 5000 },
    );
  });

  it('orders any number of keys as the reference does (a few sorted by insertion, many by Array#sort)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uniqueArray(fc.string({ unit: 'grapheme' }), { maxLength: 32 }), fc.uniqueArray(fc.string({ unit: 'grapheme' }), { minLength: 33, maxLength: 80 })), (keys) => {
        const o = Object.fromEntries(keys.map((k, i) => [k, i]));
        expect(canonicalJson(o)).toBe(reference(o));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with it on any string, as value or key: the same form, or both refuse a lone surrogate', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (k, s) => {
        for (const v of [s, { [k]: s, z: [s] }]) expect(outcome(canonicalJson, v)).toEqual(outcome(reference, v));
      }),
      { numRuns: 5000 },
    );
    expect(invalid('a\ud800')).toBe(true);
    expect(invalid({ ['\udc00x']: 1 })).toBe(true);
    expect(canonicalJson('\ud83d\ude00')).toBe('"\ud83d\ude00"');
  });

  it('follows JSON.stringify where JSON has no value: undefined members left out, undefined elements and holes null, toJSON used', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(canonicalJson({ b: undefined, a: [undefined, , 1], d: new Date(0) })).toBe('{"a":[null,null,1],"d":"1970-01-01T00:00:00.000Z"}');
  });

  it('fails closed on what JSON cannot carry', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = { back: cyclic };
    const shared = { x: 1 };
    for (const v of [undefined, NaN, Infinity, -Infinity, { n: NaN }, [Infinity], () => 1, { f: () => 1 }, [Symbol('s')], { s: Symbol('s') }, 10n, { b: 10n }, cyclic, { toJSON: () => { throw new Error('no'); } }]) {
      expect(invalid(v)).toBe(true);
    }
    // Nesting is bounded (stack and cycle check), at a depth no record comes near.
    const deep = (d: number): unknown => JSON.parse('['.repeat(d) + ']'.repeat(d));
    expect(canonicalJson(deep(1000))).toBe('['.repeat(1000) + ']'.repeat(1000));
    expect(invalid(deep(1001))).toBe(true);
    expect(invalid(deep(200_000))).toBe(true);
    // Shared (not circular) references are fine.
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });
});
