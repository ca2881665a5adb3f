/**
 * Search terms of log entries: which people and which policy rules an entry concerns, so a
 * regulator can ask "everything person X did or approved" and "everything rule R decided" without
 * scanning the log. Terms are derived from the canonical entry (never stored separately from it)
 * and written in the same transaction as the entry (the SQL drivers keep them in `tlog_terms (term, idx)`).
 *
 *   person:<id>  `by` (veto, regulator access, unlock, erasure), `who` (signature, approval and
 *                comparator entries), `person` (the person concerned when not `who`: person.erased,
 *                signature.challenge_*, person_locked/unlocked, witness entries), `approvals[].who`
 *                (action.authorised)
 *   rule:<id>    `rule` (action.classified, action.blocked), `matchedRules[]` (action.classified)
 *   agent:<id>   `agent` (action.received, action.passed): the agent that asked
 *   tier:<tier>  `tier` (action.classified, action.passed, action.authorised)
 *   decision:<d> `decision` (action.classified, action.passed): ALLOW or BLOCK
 */

/** Version of the term extraction; a database indexed with another version is re-indexed. */
export const TERMS_VERSION = '3';

const MAX_TERM = 512;
const MAX_TERMS = 256;

export const TERM_KINDS = ['person', 'rule', 'agent', 'tier', 'decision'] as const;
export type TermKind = (typeof TERM_KINDS)[number];

export function term(kind: TermKind, value: string): string {
  return `${kind}:${value}`;
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_TERM;
}

/** The distinct terms of one (parsed, canonical) entry. */
export function entryTerms(entry: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const add = (kind: TermKind, v: unknown): void => {
    if (isId(v) && out.size < MAX_TERMS) out.add(term(kind, v));
  };
  add('person', entry['by']);
  add('person', entry['who']);
  // The person an entry is about but who did not act (erased, locked, challenged, witnessed).
  add('person', entry['person']);
  const approvals = entry['approvals'];
  if (Array.isArray(approvals)) {
    for (const a of approvals) if (a !== null && typeof a === 'object' && !Array.isArray(a)) add('person', (a as Record<string, unknown>)['who']);
  }
  add('rule', entry['rule']);
  const matched = entry['matchedRules'];
  if (Array.isArray(matched)) for (const r of matched) add('rule', r);
  add('agent', entry['agent']);
  add('tier', entry['tier']);
  add('decision', entry['decision']);
  return [...out];
}
