import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compilePathPattern, matchPathPattern, normaliseRequestPath } from '../../src/core/policy/path-pattern.ts';

describe('path patterns', () => {
  it('normalises request paths', () => {
    expect(normaliseRequestPath('/a/b/?q=1#f')).toBe('/a/b');
    expect(normaliseRequestPath('//a///b')).toBe('/a/b');
    expect(normaliseRequestPath('/a/./b/../c')).toBe('/a/c');
    expect(normaliseRequestPath('/a/%2e%2e/c')).toBe('/c');
    expect(normaliseRequestPath('/%61/b%20c')).toBe('/a/b c');
    expect(normaliseRequestPath('/a%2Fb/c')).toBe('/a%2Fb/c');
    expect(normaliseRequestPath('')).toBe('/');
    expect(normaliseRequestPath('/bad%zz')).toBe('/bad%25zz');
  });

  it('normalises a plain path (no escape, query or dot segment) as it normalises the general form', () => {
    // A query forces the general path through the URL parser; it must not change the result.
    const segment = fc.oneof(fc.stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@]{0,6}$/), fc.constantFrom('.', '..', '...', ''));
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), fc.boolean(), fc.boolean(), (segs, lead, trail) => {
        const raw = (lead ? '/' : '') + segs.join('/') + (trail ? '/' : '');
        expect(normaliseRequestPath(raw)).toBe(normaliseRequestPath(`${raw}?q`));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches params, single-segment and any-depth wildcards', () => {
    const p = compilePathPattern('/accounts/:id/tx/*.json');
    expect(matchPathPattern(p, '/accounts/a%2Fb/tx/1.json')).toEqual({ id: 'a/b' });
    expect(matchPathPattern(p, '/accounts/a/b/tx/1.json')).toBeUndefined();
    const any = compilePathPattern('/admin/**');
    for (const path of ['/admin', '/admin/x', '/admin/x/y']) expect(matchPathPattern(any, path)).toEqual({});
    expect(matchPathPattern(any, '/adminx')).toBeUndefined();
    expect(matchPathPattern(compilePathPattern('/'), '/')).toEqual({});
    expect(matchPathPattern(compilePathPattern('/v1/items:batch'), '/v1/items:batch')).toEqual({});
    expect(matchPathPattern(compilePathPattern('/a.b'), '/aXb')).toBeUndefined();
  });

  it('refuses malformed patterns', () => {
    for (const bad of ['no-slash', '/a/:', '/a/:1x', '/:x/:x', '/a**b']) {
      expect(() => compilePathPattern(bad), bad).toThrow(expect.objectContaining({ code: 'PATH_PATTERN_INVALID' }));
    }
  });
});
