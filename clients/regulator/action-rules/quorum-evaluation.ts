/**
 * Does a CRITICAL action's approval list satisfy the quorum its classification recorded
 * (`requirements.quorum`)? Pure, restated from docs/policy.md and docs/regulator.md so the verifier
 * stands on its own (it does not import the gateway's quorum engine):
 *
 *  1. Approvals are taken in time order (`at`). One person counts once per side, whatever the
 *     number of devices; a person named in two different groups is a separation-of-duties failure.
 *  2. Authorizer side: role `authorizer`, a member of the `allOf` group, with an acceptable liveness
 *     summary. A person counts in the group the approval names, else in any group they are eligible
 *     for; the largest assignment is taken (group-assignment.ts), each group needing `min` distinct
 *     people, and with `distinctOrganisations` at most one counted person per organisation.
 *     When `allowWitness`, a `witness` approval counts on this side as the person it names in
 *     `onBehalfOf` (the institutional fallback of docs/protocol.md): the witness vouches in place
 *     of a biological signature, so no liveness summary is asked of it. Without `allowWitness` it
 *     counts for nothing.
 *  3. Comparator side: role `comparator`, a member of the comparator group, with an acceptable
 *     liveness summary when `biological`, not someone who also took part on the authorizer side
 *     (as authorizer, witnessed person or witness), and dated after the approval that completed the
 *     authorizer side.
 */
import { atMs, livenessProblem, type Approval } from './approval.ts';
import { arr, isObj, strings, uint } from './fields.ts';
import { assignToGroups, type Candidate } from './group-assignment.ts';

interface Clause {
  group: string;
  min: number;
  members: string[];
  kind: 'allOf' | 'comparator';
  biological: boolean;
}

export interface QuorumRequirementView {
  clauses: Clause[];
  distinctOrganisations: boolean;
  organisationOf: Record<string, string>;
  allowWitness: boolean;
}

/** Parse `requirements.quorum`; a string says what is malformed. */
export function parseQuorumRequirement(v: unknown): QuorumRequirementView | string {
  if (!isObj(v)) return 'requirements.quorum is missing or not an object';
  const clauses: Clause[] = [];
  for (const kind of ['allOf', 'comparators'] as const) {
    const list = arr(v, kind);
    if (list === undefined || list.length === 0) return `requirements.quorum.${kind} must be a non-empty array`;
    if (list.length > 64) return `requirements.quorum.${kind} has more than 64 clauses`;
    for (const [i, c] of list.entries()) {
      if (!isObj(c)) return `requirements.quorum.${kind}[${i}] is not an object`;
      const group = typeof c['group'] === 'string' && c['group'].length > 0 ? c['group'] : undefined;
      const min = uint(c, 'min');
      const members = strings(c, 'members');
      if (group === undefined || min === undefined || min < 1 || members === undefined) return `requirements.quorum.${kind}[${i}] must be {group, min >= 1, members[]}`;
      if (clauses.some((x) => x.group === group)) return `requirements.quorum names group '${group}' twice`;
      clauses.push({ group, min, members, kind: kind === 'allOf' ? 'allOf' : 'comparator', biological: kind === 'allOf' || c['biological'] === true });
    }
  }
  const orgs: Record<string, string> = {};
  const rawOrgs = v['organisationOf'];
  if (isObj(rawOrgs)) for (const [who, org] of Object.entries(rawOrgs)) if (typeof org === 'string') orgs[who] = org;
  return { clauses, distinctOrganisations: v['distinctOrganisations'] === true, organisationOf: orgs, allowWitness: v['allowWitness'] === true };
}

/** An authorizer-side approval: the person it counts for, and whether a witness stood in for their signature. */
type SideApproval = Approval & { witnessedBy?: string };

function eligible(a: SideApproval, c: Clause, _q: QuorumRequirementView, modalities: readonly string[] | undefined): string | null {
  if (!c.members.includes(a.who)) return `${a.who} is not a member of '${c.group}'`;
  const roleOk = c.kind === 'allOf' ? a.role === 'authorizer' : a.role === 'comparator';
  if (!roleOk) return `${a.who} approved as ${a.role}, which does not count in ${c.kind === 'allOf' ? 'group' : 'comparator group'} '${c.group}'`;
  if (c.biological && a.witnessedBy === undefined) {
    const p = livenessProblem(a.liveness, modalities);
    if (p !== null) return `${a.who} in '${c.group}': ${p}`;
  }
  return null;
}

/** Candidates of one side: first approval per person in time order, with the groups it may count in. */
function candidates(side: SideApproval[], clauses: Clause[], q: QuorumRequirementView, modalities: readonly string[] | undefined, notes: string[]): (Candidate & { at: number })[] {
  const out: (Candidate & { at: number })[] = [];
  const seen = new Set<string>();
  for (const a of side) {
    if (seen.has(a.who)) continue; // one person counts once
    seen.add(a.who);
    const named = a.group === undefined ? clauses : clauses.filter((c) => c.group === a.group);
    if (a.group !== undefined && named.length === 0) notes.push(`${a.who}'s approval names group '${a.group}', which does not take ${a.role} approvals here`);
    const groups: string[] = [];
    const reasons: string[] = [];
    for (const c of named) {
      const why = eligible(a, c, q, modalities);
      if (why === null) groups.push(c.group);
      else reasons.push(why);
    }
    if (groups.length === 0 && reasons.length > 0) notes.push(reasons.join(', '));
    out.push({ key: a.who, groups, at: atMs(a.at), ...(q.organisationOf[a.who] === undefined ? {} : { organisation: q.organisationOf[a.who] }) });
  }
  return out;
}

/** The problems (empty when the quorum is met). */
export function evaluateQuorum(q: QuorumRequirementView, approvals: readonly Approval[], modalities: readonly string[] | undefined): string[] {
  const problems: string[] = [];
  const notes: string[] = [];
  const namedGroups = new Map<string, Set<string>>();
  for (const a of approvals) if (a.group !== undefined) namedGroups.set(a.who, (namedGroups.get(a.who) ?? new Set()).add(a.group));
  for (const [who, gs] of namedGroups) if (gs.size > 1) problems.push(`${who} is counted in ${[...gs].map((g) => `'${g}'`).join(' and ')} (separation of duties)`);

  const ordered = [...approvals].sort((x, y) => atMs(x.at) - atMs(y.at));
  const allOf = q.clauses.filter((c) => c.kind === 'allOf');
  const comparators = q.clauses.filter((c) => c.kind === 'comparator');

  // Witnessed authorisations count as the witnessed person's, only where the policy allows them.
  const witnessed: SideApproval[] = [];
  for (const a of ordered) {
    if (a.role !== 'witness') continue;
    if (!q.allowWitness) notes.push(`${a.who}'s witness approval does not count: the quorum has no allowWitness`);
    else if (a.onBehalfOf === undefined || a.onBehalfOf === a.who) notes.push(`${a.who}'s witness approval names no other person (onBehalfOf)`);
    else witnessed.push({ ...a, who: a.onBehalfOf, role: 'authorizer', witnessedBy: a.who });
  }
  const authorizerSide: SideApproval[] = [...ordered.filter((a) => a.role === 'authorizer'), ...witnessed].sort((x, y) => atMs(x.at) - atMs(y.at));
  const authorizers = candidates(authorizerSide, allOf, q, modalities, notes);
  const caps = new Map(allOf.map((c) => [c.group, c.min]));
  const needed = allOf.reduce((s, c) => s + c.min, 0);
  let metAt: number | undefined;
  for (let n = 1; n <= authorizers.length && metAt === undefined; n++) {
    if (assignToGroups(authorizers.slice(0, n), caps, q.distinctOrganisations).size >= needed) metAt = authorizers[n - 1]!.at;
  }
  const authorizerAssignment = assignToGroups(authorizers, caps, q.distinctOrganisations);

  const authorizerPeople = new Set([...authorizers.map((c) => c.key), ...witnessed.map((w) => w.witnessedBy!)]);
  const comparatorSide = ordered.filter((a) => a.role === 'comparator');
  const timely: Approval[] = [];
  for (const a of comparatorSide) {
    if (authorizerPeople.has(a.who)) notes.push(`${a.who} also approved as an authorizer and cannot be the comparator`);
    else if (metAt === undefined || atMs(a.at) <= metAt) notes.push(`${a.who}'s ${a.role} approval is not dated after the authorizers met the quorum`);
    else timely.push(a);
  }
  const comparatorAssignment = assignToGroups(candidates(timely, comparators, q, modalities, notes), new Map(comparators.map((c) => [c.group, c.min])));

  for (const c of q.clauses) {
    const assignment = c.kind === 'allOf' ? authorizerAssignment : comparatorAssignment;
    const people = [...assignment].filter(([, g]) => g === c.group).map(([p]) => p);
    if (people.length < c.min) {
      const orgs = c.kind === 'allOf' && q.distinctOrganisations ? ' from distinct organisations' : '';
      problems.push(`${c.kind === 'allOf' ? 'group' : 'comparator group'} '${c.group}' has ${people.length} of ${c.min} distinct qualifying approvers${orgs}`);
    }
  }
  if (problems.length > 0 && notes.length > 0) problems.push(`not counted: ${[...new Set(notes)].join('; ')}`);
  return problems;
}
