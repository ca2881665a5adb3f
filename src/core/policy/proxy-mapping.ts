import type { Reversibility } from '../action/descriptor.ts';
import { FirewallError } from '../errors.ts';
import type { CompiledRoute } from './compile.ts';
import { describeFieldExpression, evaluateFieldExpression, type FieldExpression, type RequestParts } from './field-expression.ts';
import { matchPathPattern, normaliseRequestPath } from './path-pattern.ts';
import type { Policy } from './types.ts';

/**
 * Reverse-proxy mode: an agent calls the actuator's own HTTP API through the gateway, and the
 * actuator's `proxy:` routes say which action each request is. The first route whose method and
 * path pattern match wins. Pure: the caller parses the body (JSON) and the query string.
 */
export interface ProxyRequest {
  method: string;
  /** Path below the upstream base; may carry a query string, used when `query` is not given. */
  path: string;
  query?: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export interface MappedAction {
  operation: string;
  target: string;
  parameters: Record<string, unknown>;
  amount?: number;
  currency?: string;
  reversibility: Reversibility;
  /** The route that matched, for logs and error messages. */
  route: { method: string; path: string };
}

function queryOf(req: ProxyRequest): Record<string, string | string[] | undefined> {
  if (req.query !== undefined) return req.query;
  const q = req.path.indexOf('?');
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  if (q < 0) return out;
  for (const [k, v] of new URLSearchParams(req.path.slice(q + 1))) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function missing(field: string, expr: FieldExpression, route: CompiledRoute): FirewallError {
  const e = describeFieldExpression(expr);
  return new FirewallError('PROXY_FIELD_MISSING', `${route.route.method} ${route.route.path}: request has no ${e} (needed for ${field})`, {
    status: 400,
    detail: { field, expression: e },
  });
}

function invalid(field: string, expr: FieldExpression, route: CompiledRoute, what: string): FirewallError {
  const e = describeFieldExpression(expr);
  return new FirewallError('PROXY_FIELD_INVALID', `${route.route.method} ${route.route.path}: ${e} (for ${field}) ${what}`, {
    status: 400,
    detail: { field, expression: e },
  });
}

function scalar(field: string, expr: FieldExpression, route: CompiledRoute, parts: RequestParts): string {
  const v = evaluateFieldExpression(expr, parts);
  if (v === undefined || v === null) throw missing(field, expr, route);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw invalid(field, expr, route, `must be a string or number, not ${Array.isArray(v) ? 'a list' : typeof v}`);
}

function amountOf(expr: FieldExpression, route: CompiledRoute, parts: RequestParts): number {
  const v = evaluateFieldExpression(expr, parts);
  if (v === undefined || v === null) throw missing('amount', expr, route);
  // Decimal strings are common in payment APIs ("12.50"); anything looser (" 12", "1e3", "0x10") is refused.
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0) throw invalid('amount', expr, route, 'must be a non-negative number or decimal string');
  return n;
}

export function mapProxyRequest(policy: Policy, actuator: string, req: ProxyRequest): MappedAction {
  const routes = Object.hasOwn(policy.actuators, actuator) ? policy.compiled.routes.get(actuator) : undefined;
  if (routes === undefined) {
    throw new FirewallError('PROXY_ROUTE_UNKNOWN', `no actuator '${actuator}' in the policy`, { status: 404, detail: { actuator } });
  }
  const method = req.method.toUpperCase();
  const path = normaliseRequestPath(req.path);
  const otherMethods: string[] = [];
  for (const r of routes) {
    const params = matchPathPattern(r.pattern, path);
    if (params === undefined) continue;
    if (r.route.method !== method) {
      otherMethods.push(r.route.method);
      continue;
    }
    const parts: RequestParts = { params, query: queryOf(req), body: req.body };
    const out: MappedAction = {
      operation: r.route.operation,
      target: scalar('target', r.target, r, parts),
      parameters: {},
      reversibility: r.route.reversibility,
      route: { method: r.route.method, path: r.route.path },
    };
    if (r.amount !== undefined && r.currency !== undefined) {
      out.amount = amountOf(r.amount, r, parts);
      const cur = scalar('currency', r.currency, r, parts);
      if (!/^[A-Za-z]{3}$/.test(cur)) throw invalid('currency', r.currency, r, `must be a three-letter ISO 4217 code, got '${cur}'`);
      out.currency = cur.toUpperCase();
    }
    if (r.parameters === undefined) {
      const p: Record<string, unknown> = {};
      if (Object.keys(params).length > 0) p.params = params;
      if (Object.keys(parts.query).length > 0) p.query = { ...parts.query };
      if (req.body !== undefined) p.body = req.body;
      out.parameters = p;
    } else {
      // Named parameters: absent values are left out rather than refused; they are for display.
      for (const [name, expr] of r.parameters) {
        const v = evaluateFieldExpression(expr, parts);
        if (v !== undefined) out.parameters[name] = v;
      }
    }
    return out;
  }
  const hint = otherMethods.length > 0 ? ` (this path accepts ${[...new Set(otherMethods)].join(', ')})` : '';
  throw new FirewallError('PROXY_ROUTE_UNKNOWN', `actuator '${actuator}' has no proxy route for ${method} ${path}${hint}`, {
    status: 404,
    detail: { actuator, method, path },
  });
}
