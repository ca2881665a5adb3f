import { FirewallError } from '../errors.ts';

/**
 * Path patterns for rule `match.path` and proxy routes. One syntax covers both:
 *   `:name`  one whole segment, captured as a route parameter
 *   `*`      any characters within one segment (may sit inside a segment: `/v1/*.json`)
 *   `**`     a whole segment: zero or more segments
 * everything else is literal. Matching is against the NORMALISED request path (see below), so
 * `/transfers`, `/transfers/`, `//transfers` and `/a/../transfers` are one path to the policy.
 */
export interface PathPattern {
  source: string;
  params: string[];
  regex: RegExp;
}

const PARAM_RE = /^:([A-Za-z_][A-Za-z0-9_]*)$/;

function escapeLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compilePathPattern(pattern: string): PathPattern {
  if (!pattern.startsWith('/')) {
    throw new FirewallError('PATH_PATTERN_INVALID', `path pattern '${pattern}' must start with '/'`, { status: 400 });
  }
  const params: string[] = [];
  let re = '';
  // Empty segments (trailing or doubled slashes) are normalised away on both sides.
  const segments = pattern.split('/').filter((s) => s !== '');
  for (const seg of segments) {
    if (seg === '**') {
      re += '(?:/[^/]+)*';
      continue;
    }
    if (seg.startsWith(':')) {
      const m = PARAM_RE.exec(seg);
      if (m === null) {
        throw new FirewallError('PATH_PATTERN_INVALID', `'${seg}' in '${pattern}' is not a valid parameter (':' then a name of letters, digits, _)`, { status: 400 });
      }
      const name = m[1] as string;
      if (params.includes(name)) {
        throw new FirewallError('PATH_PATTERN_INVALID', `parameter ':${name}' appears twice in '${pattern}'`, { status: 400 });
      }
      params.push(name);
      re += '/([^/]+)';
      continue;
    }
    if (seg.includes('**')) {
      throw new FirewallError('PATH_PATTERN_INVALID', `'**' must be a whole segment in '${pattern}'`, { status: 400 });
    }
    // Literals are written decoded; '%' is escaped exactly as normaliseRequestPath escapes it.
    re += '/' + seg.replace(/%/g, '%25').split('*').map(escapeLiteral).join('[^/]*');
  }
  return { source: pattern, params, regex: new RegExp(`^${re === '' ? '/' : re}$`) };
}

// RFC 3986 path characters without '%': the URL parser leaves these as they are.
const PLAIN_PATH = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/**
 * Query and fragment dropped, dot segments resolved, empty segments and the trailing slash
 * removed, percent-escapes decoded except an encoded "/" (which stays `%2F` so it can never act as
 * a separator and shift a segment into a different pattern position).
 */
export function normaliseRequestPath(raw: string): string {
  // Most paths (every one the proxy entrance lets through: checked, escapes canonical) hold no
  // escape, query, dot segment or empty segment: for them all that changes is a trailing slash.
  if (PLAIN_PATH.test(raw) && !raw.includes('//') && !DOT_SEGMENT.test(raw)) {
    const p = raw.endsWith('/') ? raw.slice(0, -1) : raw;
    return p.startsWith('/') ? p : '/' + p;
  }
  let p = raw;
  const cut = p.search(/[?#]/);
  if (cut >= 0) p = p.slice(0, cut);
  // Collapse slash runs first: the URL parser would read a leading "//admin" as a host name.
  p = ('/' + p).replace(/\/{2,}/g, '/');
  let resolved: string;
  try {
    resolved = new URL(p, 'http://path.invalid').pathname;
  } catch {
    resolved = p;
  }
  const segs = resolved.split('/').filter((s) => s !== '');
  const out = segs.map((s) => {
    let d: string;
    try {
      d = decodeURIComponent(s);
    } catch {
      d = s;
    }
    return d.replace(/%/g, '%25').replace(/\//g, '%2F');
  });
  return '/' + out.join('/');
}

/** Route parameters when `path` (already normalised) matches, undefined otherwise. */
export function matchPathPattern(pattern: PathPattern, normalisedPath: string): Record<string, string> | undefined {
  const m = pattern.regex.exec(normalisedPath);
  if (m === null) return undefined;
  const params: Record<string, string> = {};
  pattern.params.forEach((name, i) => {
    params[name] = (m[i + 1] as string).replace(/%2F/g, '/').replace(/%25/g, '%');
  });
  return params;
}
