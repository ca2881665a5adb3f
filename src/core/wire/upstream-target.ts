import { FirewallError } from '../errors.ts';

export interface UpstreamTarget {
  /** Where to send it. */
  url: URL;
  /** The request target the actuator receives (path with the upstream's prefix, and query): the receipt's `req.p`. */
  target: string;
}

const bases = new Map<string, { origin: string; prefix: string }>();

/**
 * The request an action's `path` (below the actuator's base, as the policy routes see it) becomes
 * at an upstream with a path prefix: `http://host/pfx` + `/balances/acc-1` is `/pfx/balances/acc-1`.
 * The receipt binds `target`, which is what `url` sends (docs/receipts.md `p`).
 */
export function upstreamTarget(upstream: string, path: string): UpstreamTarget {
  let base = bases.get(upstream);
  if (base === undefined) {
    const u = new URL(upstream);
    base = { origin: u.origin, prefix: u.pathname.replace(/\/+$/, '') };
    if (bases.size < 1000) bases.set(upstream, base);
  }
  const joined = base.prefix + (path.startsWith('/') ? path : '/' + path);
  // A target starting '//' would name another host to the URL parser.
  if (joined.startsWith('//')) {
    throw new FirewallError('UPSTREAM_TARGET_INVALID', `'${joined.slice(0, 100)}' cannot be sent: it starts with '//'`, { status: 502 });
  }
  const url = new URL(joined, base.origin);
  return { url, target: url.pathname + url.search };
}
