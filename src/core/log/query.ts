import { FirewallError } from '../errors.ts';
import { isUint } from '../merkle/tree-size.ts';
import { term } from './entry-terms.ts';
import type { EntryQuery } from './types.ts';

export const MAX_QUERY_LIMIT = 10_000;

/**
 * A checked entry query, as a storage driver runs it: every given filter must hold; person and
 * rule become search terms (entry-terms.ts); results in index order, at most `limit`.
 */
export interface EntryFilter {
  type?: string;
  actionId?: string;
  terms: string[];
  /** ts >= since */
  since?: number;
  /** ts < until */
  until?: number;
  /** index > afterIndex */
  afterIndex?: number;
  limit: number;
}

function bad(message: string): FirewallError {
  return new FirewallError('LOG_BAD_REQUEST', message, { status: 400 });
}

/** Checks a query from any entrance (LOG_BAD_REQUEST) and turns it into a filter. */
export function entryFilter(q: EntryQuery): EntryFilter {
  const out: EntryFilter = { terms: [], limit: q.limit ?? 100 };
  for (const k of ['type', 'actionId'] as const) {
    const v = q[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw bad(`${k} must be a string`);
    out[k] = v;
  }
  for (const kind of ['person', 'rule'] as const) {
    const v = q[kind];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw bad(`${kind} must be a string`);
    out.terms.push(term(kind, v));
  }
  for (const k of ['since', 'until', 'afterIndex'] as const) {
    const v = q[k];
    if (v === undefined) continue;
    if (!isUint(v)) throw bad(`${k} must be a non-negative integer`);
    out[k] = v;
  }
  if (!isUint(out.limit) || out.limit < 1 || out.limit > MAX_QUERY_LIMIT) throw bad(`limit must be 1..${MAX_QUERY_LIMIT}`);
  return out;
}
