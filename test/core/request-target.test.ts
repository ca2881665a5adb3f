import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FirewallError } from '../../src/core/errors.ts';
import { normaliseRequestPath } from '../../src/core/policy/path-pattern.ts';
import { checkBodyForm } from '../../src/core/wire/media-type.ts';
import { checkRequestTarget } from '../../src/core/wire/request-target.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof FirewallError) return e.code;
    throw e;
  }
}

describe('request targets with one routing', () => {
  it('an accepted path decodes, segment by segment, to exactly what the policy matches (property)', () => {
    const unit = fc.constantFrom(...'ab-._~!$&\'()*+,=:@/;\\%2F5C2E25003B61C3A9 "#'.split(''), '%2F', '%2E', '%25', '%00', '%C3%A9', '%3B', '..', '//');
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 12 }), (parts) => {
        const path = '/' + parts.join('');
        if (codeOf(() => checkRequestTarget(path)) !== undefined) return;
        // No dot segments, no empty ones, no encoded separators: one decoding gives the routed segments.
        const segments = path.split('/').slice(1).filter((s, i, all) => !(s === '' && i === all.length - 1));
        const decoded = segments.map((s) => decodeURIComponent(s));
        expect(decoded.every((s) => s !== '' && s !== '.' && s !== '..' && !s.includes('/') && !s.includes('\\'))).toBe(true);
        expect(normaliseRequestPath(path)).toBe('/' + decoded.map((s) => s.replace(/%/g, '%25')).join('/'));
      }),
      { numRuns: 3000 },
    );
  });

  it('returns the query as the classifier reads it', () => {
    expect(checkRequestTarget('/a/b/?x=1&note=a+b%20c&flag')).toEqual({ path: '/a/b/', search: '?x=1&note=a+b%20c&flag', query: { x: '1', note: 'a b c', flag: '' } });
    expect(codeOf(() => checkRequestTarget('/a?x=1&x=1'))).toBe('QUERY_PARAMETER_DUPLICATE');
    expect(codeOf(() => checkRequestTarget('/a?x+y=1&x%20y=2'))).toBe('QUERY_PARAMETER_DUPLICATE');
  });
});

describe('body forms', () => {
  const b = (s: string) => Buffer.from(s);
  it('decides JSON by media type and refuses ambiguous declarations', () => {
    expect(checkBodyForm('POST', ['application/merge-patch+json'], b('{}')).json).toBe(true);
    expect(checkBodyForm('POST', ['text/csv'], b('a,b')).json).toBe(false);
    expect(checkBodyForm('GET', [], b('')).json).toBe(false);
    expect(codeOf(() => checkBodyForm('HEAD', ['application/json'], b('{}')))).toBe('BODY_NOT_ALLOWED');
    expect(codeOf(() => checkBodyForm('POST', ['application/json; charset="latin1"'], b('{}')))).toBe('CONTENT_TYPE_CHARSET_UNSUPPORTED');
    expect(codeOf(() => checkBodyForm('POST', ['application/json; charset=utf-8; charset=latin1'], b('{}')))).toBe('CONTENT_TYPE_CHARSET_UNSUPPORTED');
    expect(codeOf(() => checkBodyForm('POST', ['application/x-www-form-urlencoded'], b(' \n[1]')))).toBe('CONTENT_TYPE_MISMATCH');
    expect(codeOf(() => checkBodyForm('GET', ['a/b', 'c/d'], b('')))).toBe('CONTENT_TYPE_DUPLICATE');
  });
});
