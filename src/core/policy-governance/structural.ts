import { canonicalJson } from '../canonical.ts';
import type { PolicyDocument } from '../policy/types.ts';
import { weakenedRequirements } from './requirement-order.ts';
import { governanceRequirements } from './strictest.ts';
import type { RelaxationFinding } from './types.ts';

/**
 * Weakenings that are not about how one action classifies:
 *
 *  - an actuator added, or its upstream changed: actions can now reach a system they could not
 *    (always treated as a relaxation, whatever the rules say);
 *  - proxy routes changed: they decide which operation, amount and reversibility a request is
 *    recorded with, and are not compared by meaning, so any change counts as a relaxation;
 *  - a vetoer or a webhook removed: fewer people can stop a cooling action or hear of one;
 *  - the governance requirements (strictest.ts) weakened: the bar for FUTURE relaxations is part
 *    of what a policy means.
 * Removing an actuator is not a relaxation: its actions are refused from then on.
 */
export function structuralFindings(old: PolicyDocument, next: PolicyDocument): RelaxationFinding[] {
  const out: RelaxationFinding[] = [];
  for (const [name, a] of Object.entries(next.actuators)) {
    const before = Object.hasOwn(old.actuators, name) ? old.actuators[name]! : undefined;
    if (before === undefined) {
      out.push({ code: 'ACTUATOR_ADDED', message: `actuator '${name}' is new: actions can now reach ${a.upstream}` });
      continue;
    }
    if (before.upstream !== a.upstream) out.push({ code: 'UPSTREAM_CHANGED', message: `actuator '${name}' now forwards to ${a.upstream} instead of ${before.upstream}` });
    if (canonicalJson(before.proxy) !== canonicalJson(a.proxy)) {
      out.push({ code: 'PROXY_CHANGED', message: `actuator '${name}': proxy routes changed (they decide how requests become actions and are not compared by meaning)` });
    }
  }
  for (const v of old.notify.vetoers) if (!next.notify.vetoers.includes(v)) out.push({ code: 'VETOER_REMOVED', message: `${v} can no longer veto cooling actions` });
  const hooks = new Set(next.notify.webhooks.map((w) => canonicalJson(w)));
  for (const w of old.notify.webhooks) if (!hooks.has(canonicalJson(w))) out.push({ code: 'WEBHOOK_REMOVED', message: `webhook ${w.url} is no longer notified` });
  const go = governanceRequirements(old);
  const gn = governanceRequirements(next);
  if (go !== undefined && gn !== undefined) {
    for (const w of weakenedRequirements(go, gn)) out.push({ code: 'GOVERNANCE_WEAKENED', message: `the quorum for future relaxations is weaker: ${w}` });
  }
  return out;
}
