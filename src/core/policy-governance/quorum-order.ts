import { formatDuration } from '../policy/duration.ts';
import type { QuorumRequirement } from '../policy/types.ts';
import { assignToGroups } from '../quorum/assignment.ts';

/**
 * Is quorum `next` at least as strict as `old`, by meaning? A quorum is the set of approver
 * configurations it accepts; `next` is at least as strict when every configuration it accepts,
 * `old` accepts too. Sufficient conditions, each checked (so a "not weaker" answer is sound):
 *
 *  - every old all_of clause maps to its own new clause (injectively: one person counts once, so
 *    two old clauses cannot share one new clause) whose members are a subset of the old clause's
 *    members and whose min is at least as large: anyone who fills the new clause fills the old;
 *  - the same for comparators, with biological at least as demanding;
 *  - distinct organisations kept, and the new organisations never split an old one nor give an
 *    organisation to someone who had none;
 *  - the window not shorter (docs/policy.md: the longer window is the stricter);
 *  - witnesses not newly allowed.
 * Group NAMES play no part: a renamed group with the same members is the same requirement, and a
 * group that gained a member is weaker even under the same name.
 */
export function weakenedQuorum(old: QuorumRequirement, next: QuorumRequirement): string[] {
  const out: string[] = [];
  const unmapped = (
    olds: readonly { group: string; min: number; members: readonly string[]; biological?: boolean }[],
    news: readonly { group: string; min: number; members: readonly string[]; biological?: boolean }[],
  ) => {
    const caps = new Map(news.map((n, i) => [String(i), 1]));
    const candidates = olds.map((o, i) => ({
      key: String(i),
      groups: news.flatMap((n, j) => (n.min >= o.min && n.members.every((m) => o.members.includes(m)) && (o.biological !== true || n.biological === true) ? [String(j)] : [])),
    }));
    const assigned = assignToGroups(candidates, caps);
    return olds.filter((_, i) => !assigned.has(String(i)));
  };
  for (const c of unmapped(old.allOf, next.allOf)) {
    out.push(`quorum clause '${c.group}' (${c.min} of ${c.members.join(', ') || 'nobody'}) has no clause at least as strict (same or fewer members, same or higher min)`);
  }
  for (const c of unmapped(old.comparators, next.comparators)) {
    out.push(`comparator '${c.group}' (${c.min} of ${c.members.join(', ') || 'nobody'}${c.biological ? ', biological' : ''}) has no comparator at least as strict`);
  }
  if (old.distinctOrganisations && !next.distinctOrganisations) out.push('distinct_organisations dropped: signers may now share an organisation');
  if (old.distinctOrganisations && next.distinctOrganisations) {
    const o = old.organisationOf ?? {};
    const n = next.organisationOf ?? {};
    for (const [p, org] of Object.entries(n)) {
      if (!Object.hasOwn(o, p)) out.push(`${p} now has an organisation ('${org}') and can count as a distinct-organisation signer`);
    }
    const people = Object.keys(o).sort();
    for (let i = 0; i < people.length; i++) {
      for (let j = i + 1; j < people.length; j++) {
        const [p, q] = [people[i]!, people[j]!];
        if (o[p] === o[q] && Object.hasOwn(n, p) && Object.hasOwn(n, q) && n[p] !== n[q]) out.push(`${p} and ${q} were one organisation ('${o[p]}') and are now two: both can count`);
      }
    }
  }
  if (next.windowMs < old.windowMs) out.push(`quorum window shortened from ${formatDuration(old.windowMs)} to ${formatDuration(next.windowMs)}`);
  if (next.allowWitness === true && old.allowWitness !== true) out.push('witness approvals now count towards the comparator');
  return out;
}
