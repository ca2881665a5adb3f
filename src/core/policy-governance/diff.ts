import { canonicalJson } from '../canonical.ts';
import type { PolicyDocument } from '../policy/types.ts';

/**
 * A readable structural diff of two normalised policy documents, for reviewers: rules and velocity
 * rules are matched by id (so reordering one rule is not reported as every rule changing), other
 * lists element-wise, mappings key by key. The relaxation decision never reads it; it only
 * explains what changed (relaxation.ts decides by meaning).
 */

export interface PolicyChange {
  op: 'added' | 'removed' | 'changed';
  /** e.g. `rules[id=large-transfer].signature.sustainedMs`, `groups.platform` */
  path: string;
  from?: unknown;
  to?: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

function walk(a: unknown, b: unknown, path: string, out: PolicyChange[]): void {
  if (same(a, b)) return;
  if (a === undefined) {
    out.push({ op: 'added', path, to: b });
    return;
  }
  if (b === undefined) {
    out.push({ op: 'removed', path, from: a });
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[k], b[k], path === '' ? k : `${path}.${k}`, out);
    return;
  }
  out.push({ op: 'changed', path, from: a, to: b });
}

function byId(a: readonly { id: string }[], b: readonly { id: string }[], path: string, out: PolicyChange[]): void {
  const before = new Map(a.map((x, i) => [x.id, { x, i }]));
  const after = new Map(b.map((x, i) => [x.id, { x, i }]));
  for (const [id, { x, i }] of before) {
    const n = after.get(id);
    if (n === undefined) out.push({ op: 'removed', path: `${path}[id=${id}]`, from: x });
    else {
      walk(x, n.x, `${path}[id=${id}]`, out);
      if (n.i !== i) out.push({ op: 'changed', path: `${path}[id=${id}].position`, from: i, to: n.i });
    }
  }
  for (const [id, { x }] of after) if (!before.has(id)) out.push({ op: 'added', path: `${path}[id=${id}]`, to: x });
}

export function diffPolicies(old: PolicyDocument, next: PolicyDocument): PolicyChange[] {
  const out: PolicyChange[] = [];
  for (const k of ['version', 'name', 'defaults', 'groups', 'organisations', 'notify', 'actuators'] as const) walk(old[k], next[k], k, out);
  byId(old.rules, next.rules, 'rules', out);
  byId(old.velocity, next.velocity, 'velocity', out);
  return out;
}
