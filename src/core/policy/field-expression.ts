import { FirewallError } from '../errors.ts';

/**
 * Where a proxy route finds a descriptor field in the HTTP request:
 *   body            the whole parsed JSON body
 *   body.a.b.0      a property path into the body (digits index arrays)
 *   params.name     a route parameter (`:name` in the route pattern)
 *   query.name      a query-string parameter (must occur once)
 *   =text           the literal "text" (for a literal that would otherwise read as an expression)
 * Any other string, and any number or boolean, is a literal.
 */
export type FieldExpression =
  | { kind: 'body'; path: string[] }
  | { kind: 'params'; name: string }
  | { kind: 'query'; name: string }
  | { kind: 'literal'; value: string | number | boolean };

const SEGMENT = /^[A-Za-z0-9_$-]+$/;

export function parseFieldExpression(source: string | number | boolean): FieldExpression {
  if (typeof source !== 'string') return { kind: 'literal', value: source };
  if (source.startsWith('=')) return { kind: 'literal', value: source.slice(1) };
  if (source === 'body') return { kind: 'body', path: [] };
  const m = /^(body|params|query)\.(.*)$/s.exec(source);
  if (m === null) return { kind: 'literal', value: source };
  const kind = m[1] as 'body' | 'params' | 'query';
  const segs = (m[2] as string).split('.');
  if (segs.some((s) => !SEGMENT.test(s))) {
    throw new FirewallError('FIELD_EXPRESSION_INVALID', `'${source}' is not a valid field expression: segments after '${kind}.' must be non-empty names of letters, digits, _, $ or -`, { status: 400 });
  }
  if (kind === 'body') return { kind, path: segs };
  if (segs.length !== 1) {
    throw new FirewallError('FIELD_EXPRESSION_INVALID', `'${source}' is not a valid field expression: ${kind} values are flat, write '${kind}.<name>'`, { status: 400 });
  }
  return { kind, name: segs[0] as string };
}

export interface RequestParts {
  params: Record<string, string>;
  query: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** The value, or `undefined` when the request does not carry it. Own properties only. */
export function evaluateFieldExpression(expr: FieldExpression, req: RequestParts): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'params':
      return Object.hasOwn(req.params, expr.name) ? req.params[expr.name] : undefined;
    case 'query':
      return Object.hasOwn(req.query, expr.name) ? req.query[expr.name] : undefined;
    case 'body': {
      let v: unknown = req.body;
      for (const seg of expr.path) {
        if (Array.isArray(v) && /^(0|[1-9][0-9]*)$/.test(seg)) v = v[Number(seg)];
        else if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, seg)) v = (v as Record<string, unknown>)[seg];
        else return undefined;
      }
      return v;
    }
  }
}

export function describeFieldExpression(expr: FieldExpression): string {
  switch (expr.kind) {
    case 'literal':
      return JSON.stringify(expr.value);
    case 'params':
      return `params.${expr.name}`;
    case 'query':
      return `query.${expr.name}`;
    case 'body':
      return expr.path.length === 0 ? 'body' : `body.${expr.path.join('.')}`;
  }
}
