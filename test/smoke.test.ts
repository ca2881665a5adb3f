import { describe, expect, it } from 'vitest';
import { canonicalDigest, canonicalJson } from '../src/core/canonical.ts';

describe('canonical JSON (RFC 8785)', () => {
  it('orders keys and normalises numbers', () => {
    expect(canonicalJson({ b: 1, a: [1e0, 'x'] })).toBe('{"a":[1,"x"],"b":1}');
  });
  it('digest changes when any field changes', () => {
    expect(canonicalDigest({ a: 1 })).not.toBe(canonicalDigest({ a: 2 }));
  });
});
