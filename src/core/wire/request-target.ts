import { FirewallError } from '../errors.ts';

/**
 * The request target (path and query) of a proxied request is forwarded exactly as sent, so it
 * must have one reading on every server: the gateway refuses the forms that two servers may route
 * or parse differently instead of guessing which reading the actuator will take
 * (docs/receipts.md §What an actuator may rely on). One pass over the characters; pure.
 */
export interface RequestTarget {
  /** The path, exactly as sent. */
  path: string;
  /** `?` and the query, exactly as sent, or ''. */
  search: string;
  /** Query parameters as the classifier reads them: each name once, percent- and `+`-decoded. */
  query: Record<string, string>;
}

// RFC 3986 pchar without ';' (matrix parameters) and '%' (checked as escapes): unreserved,
// sub-delims, ':' and '@'.
const PATH_CHAR = charSet("A-Za-z0-9-._~!$&'()*+,=:@");
// RFC 3986 query characters: pchar, '/' and '?' (';' and '%' checked separately).
const QUERY_CHAR = charSet("A-Za-z0-9-._~!$&'()*+,=:@/?");
const UNRESERVED = charSet('A-Za-z0-9-._~');
const CONTROL = /[\u0000-\u001f\u007f]/;

function charSet(spec: string): Uint8Array {
  const set = new Uint8Array(128);
  for (let k = 0; k < spec.length; k++) {
    if (spec[k + 1] === '-' && k + 2 < spec.length) {
      for (let c = spec.charCodeAt(k); c <= spec.charCodeAt(k + 2); c++) set[c] = 1;
      k += 2;
    } else set[spec.charCodeAt(k)] = 1;
  }
  return set;
}

function refuse(code: string, message: string, detail: Record<string, unknown> = {}): never {
  throw new FirewallError(code, message, { status: 400, detail });
}

function hexValue(c: number): number {
  return c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
}

/** Decodes `%XY` escapes as UTF-8 (fatal on malformed escapes or bytes); undefined when malformed. */
function decodeEscapes(s: string): string | undefined {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * Checks `target` (origin form: absolute path, optional query; as received, e.g. Express
 * `req.originalUrl`) and returns its parts. Refused (all 400):
 * - `PATH_ENCODED_SEPARATOR`: `%2F`, `%5C` or a raw `\` (decoders and Windows servers split on them);
 * - `PATH_DOT_SEGMENT`: a `.` or `..` segment, written or escaped (`%2E`), which servers resolve or not;
 * - `PATH_DOUBLE_ENCODED`: `%25`, which a second decoding turns into another escape;
 * - `PATH_CONTROL_CHARACTER`: a control character or NUL, raw or escaped;
 * - `PATH_EMPTY_SEGMENT`: `//` (collapsed by some servers, a host name to URL parsers);
 * - `PATH_MATRIX_PARAMETER`: a raw `;` (Tomcat and Jetty drop `;…` before routing, others do not);
 * - `PATH_ESCAPE_INVALID`: `%` without two hex digits, or escapes that are not UTF-8;
 * - `PATH_ESCAPE_NON_CANONICAL`: an escaped unreserved character (`%61` for `a`), which some
 *   routers decode before matching and others do not;
 * - `PATH_CHARACTER_INVALID`: any other character outside RFC 3986 (space, `"`, `#`, non-ASCII…);
 * - `QUERY_SEPARATOR_AMBIGUOUS`: a raw `;` in the query (some parsers split on it);
 * - `QUERY_PARAMETER_DUPLICATE`: a name twice, after decoding (first-wins and last-wins parsers);
 * - `QUERY_PARAMETER_NAME_AMBIGUOUS`: `[` or `]` in a name (`a[0]=` is a list to qs-style parsers);
 * - `QUERY_ESCAPE_INVALID`, `QUERY_CHARACTER_INVALID`: as for the path.
 * A single trailing slash is allowed and forwarded as sent; the policy matches `/x/` as `/x`.
 */
export function checkRequestTarget(target: string): RequestTarget {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const search = q < 0 ? '' : target.slice(q);
  checkPath(path);
  return { path, search, query: q < 0 ? {} : parseQuery(search.slice(1)) };
}

function checkPath(path: string): void {
  if (path.charCodeAt(0) !== 0x2f) refuse('PATH_CHARACTER_INVALID', 'the request path must start with /');
  let segStart = 1;
  for (let i = 1; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : 0x2f;
    if (c === 0x2f /* / */) {
      const len = i - segStart;
      if (len === 0 && i < path.length) refuse('PATH_EMPTY_SEGMENT', 'the request path has an empty segment (//)', { offset: i });
      // '.', '..' and their escaped spellings are at most six characters long.
      if (len > 0 && len <= 6 && (path.charCodeAt(segStart) === 0x2e || path.charCodeAt(segStart) === 0x25)) {
        const seg = path.slice(segStart, i);
        const plain = seg.replace(/%2e/gi, '.');
        if (plain === '.' || plain === '..') refuse('PATH_DOT_SEGMENT', `the request path has a '${seg}' segment; servers resolve it differently`, { offset: segStart });
      }
      segStart = i + 1;
      continue;
    }
    if (c === 0x25 /* % */) {
      const hi = hexValue(path.charCodeAt(i + 1));
      const lo = hexValue(path.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) refuse('PATH_ESCAPE_INVALID', `'%' at ${i} is not followed by two hex digits`, { offset: i });
      const byte = hi * 16 + lo;
      if (byte === 0x2f || byte === 0x5c) refuse('PATH_ENCODED_SEPARATOR', `the request path has an encoded ${byte === 0x2f ? 'slash' : 'backslash'} (${path.slice(i, i + 3)})`, { offset: i });
      if (byte === 0x25) refuse('PATH_DOUBLE_ENCODED', 'the request path has an encoded % (%25): a second decoding would read another escape', { offset: i });
      if (byte < 0x20 || byte === 0x7f) refuse('PATH_CONTROL_CHARACTER', `the request path has an encoded control character (${path.slice(i, i + 3)})`, { offset: i });
      if (byte === 0x2e) {
        i += 2;
        continue; // judged with its segment: '%2E' alone is a dot segment, 'a%2Eb' is not canonical
      }
      if (byte < 0x80 && UNRESERVED[byte] === 1) refuse('PATH_ESCAPE_NON_CANONICAL', `'${path.slice(i, i + 3)}' escapes an unreserved character; write it as is`, { offset: i });
      i += 2;
      continue;
    }
    if (c < 0x20 || c === 0x7f) refuse('PATH_CONTROL_CHARACTER', 'the request path has a control character', { offset: i });
    if (c === 0x5c) refuse('PATH_ENCODED_SEPARATOR', 'the request path has a backslash', { offset: i });
    if (c === 0x3b) refuse('PATH_MATRIX_PARAMETER', "the request path has a ';' (a matrix parameter to some servers)", { offset: i });
    if (c >= 0x80 || PATH_CHAR[c] !== 1) refuse('PATH_CHARACTER_INVALID', `the request path has a character outside RFC 3986 at ${i}`, { offset: i });
  }
  if (path.includes('%')) {
    if (/%2e/i.test(path)) refuse('PATH_ESCAPE_NON_CANONICAL', "'%2E' escapes an unreserved character; write '.'");
    if (decodeEscapes(path) === undefined) refuse('PATH_ESCAPE_INVALID', 'the escapes in the request path are not UTF-8');
  }
}

function parseQuery(query: string): Record<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c === 0x3b) refuse('QUERY_SEPARATOR_AMBIGUOUS', "the query has a ';', which some parsers read as a separator", { offset: i });
    if (c === 0x25) {
      if (hexValue(query.charCodeAt(i + 1)) < 0 || hexValue(query.charCodeAt(i + 2)) < 0) refuse('QUERY_ESCAPE_INVALID', `'%' at ${i} of the query is not followed by two hex digits`, { offset: i });
      i += 2;
      continue;
    }
    if (c >= 0x80 || QUERY_CHAR[c] !== 1) refuse('QUERY_CHARACTER_INVALID', `the query has a character outside RFC 3986 at ${i}`, { offset: i });
  }
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeEscapes((eq < 0 ? pair : pair.slice(0, eq)).replaceAll('+', ' '));
    const value = decodeEscapes(eq < 0 ? '' : pair.slice(eq + 1).replaceAll('+', ' '));
    if (name === undefined || value === undefined) refuse('QUERY_ESCAPE_INVALID', 'the escapes in the query are not UTF-8');
    if (pair.includes('%') && CONTROL.test(name + value)) refuse('QUERY_CHARACTER_INVALID', 'the query has an encoded control character');
    if (name.includes('[') || name.includes(']')) refuse('QUERY_PARAMETER_NAME_AMBIGUOUS', `query parameter '${name.slice(0, 100)}' has a bracket, which some parsers read as a list or map`);
    if (out.has(name)) refuse('QUERY_PARAMETER_DUPLICATE', `query parameter '${name.slice(0, 100)}' appears twice; parsers disagree on which one counts`, { parameter: name.slice(0, 100) });
    out.set(name, value);
  }
  // fromEntries defines own properties, so even a parameter named '__proto__' is data, not a prototype.
  return Object.fromEntries(out);
}
