import { checkApproval, describeApproval } from './admissibility.ts';
import { assignToGroups, type AssignmentCandidate } from './assignment.ts';
import { isComparatorSide, subjectOf } from './roles.ts';
import { requestingParties } from './separation-of-duties.ts';
import type { ApprovalRefusal, CountedApproval, QuorumApproval, QuorumContext, QuorumEvaluation, QuorumRule, QuorumShortfall } from './types.ts';

/**
 * Does a list of approvals meet a CRITICAL action's quorum? Pure and deterministic.
 *
 *  1. Approvals are taken in time order. Each must pass the checks of admissibility.ts (digest,
 *     window, known and enabled person, separation of duties, role, device, biological signature,
 *     group membership, organisation).
 *  2. A device belongs to one person: a device already used by someone else on this action refuses.
 *  3. One person counts once, however many devices they use: a second approval on the same side
 *     refuses with QUORUM_DUPLICATE_PERSON. A person who is a member of several all_of groups is
 *     counted in exactly one of them; the engine picks the assignment that fills the most required
 *     places (assignment.ts), honouring a group the approver named. With distinct_organisations,
 *     at most one counted authorizer per organisation.
 *  4. Whoever took part in the authorisation (as authorizer, as witnessed person or as witness)
 *     never counts as a comparator: the comparator verifies the authorizers, so it is someone else.
 *  5. Comparator approvals count only when given after the approval that completed the all_of part
 *     (`quorumMetAt`); earlier ones refuse with COMPARATOR_BEFORE_QUORUM and must be given again.
 *  6. A witness approval (role 'witness', only where the policy has allow_witness: true) stands
 *     for the authorisation of the person it names (`onBehalfOf`), who then counts in their group
 *     without a biological signature of their own: the institutional witness vouches instead.
 */
export function evaluateQuorum(rule: QuorumRule, approvals: readonly QuorumApproval[], ctx: QuorumContext): QuorumEvaluation {
  const parties = requestingParties(ctx);
  const deviceOwner = new Map<string, string>();
  const sharedDevices = new Set<string>();
  for (const [person, info] of Object.entries(ctx.directory)) {
    for (const d of info.devices ?? []) {
      const prev = deviceOwner.get(d);
      if (prev !== undefined && prev !== person) sharedDevices.add(d);
      else deviceOwner.set(d, person);
    }
  }
  const authorizerPeople = new Set(approvals.filter((a) => !isComparatorSide(a.role)).flatMap((a) => [a.who, subjectOf(a)]));

  const order = approvals.map((_, i) => i).sort((x, y) => approvals[x]!.at - approvals[y]!.at || x - y);
  const refused: ApprovalRefusal[] = [];
  const refuse = (i: number, code: ApprovalRefusal['code'], message: string) => {
    const a = approvals[i]!;
    refused.push({ index: i, who: a.who, device: a.device, role: a.role, code, message });
  };
  const deviceUsedBy = new Map<string, string>();
  const admitted = { authorizer: new Map<string, number>(), comparator: new Map<string, number>() };
  const candidates = { authorizer: [] as (AssignmentCandidate & { index: number })[], comparator: [] as (AssignmentCandidate & { index: number })[] };
  const comparatorSide: (AssignmentCandidate & { index: number })[] = [];
  /** One person counts once per side: refuses (and returns true) when this person was already admitted. */
  const duplicate = (i: number, seen: Map<string, number>): boolean => {
    const a = approvals[i]!;
    const person = subjectOf(a);
    const earlier = seen.get(person);
    if (earlier === undefined) {
      seen.set(person, i);
      return false;
    }
    const e = approvals[earlier]!;
    refuse(i, 'QUORUM_DUPLICATE_PERSON', `${describeApproval(a, i)}: ${person} already approved (approval ${earlier + 1}, device ${e.device}); one person counts once, whatever the number of devices`);
    return true;
  };

  for (const i of order) {
    const a = approvals[i]!;
    const label = describeApproval(a, i);
    const usedBy = deviceUsedBy.get(a.device);
    if (!deviceUsedBy.has(a.device)) deviceUsedBy.set(a.device, a.who);
    if (sharedDevices.has(a.device)) {
      refuse(i, 'QUORUM_DEVICE_MISMATCH', `${label}: device ${a.device} is registered to more than one person; a device must belong to one person`);
      continue;
    }
    const adm = checkApproval(a, i, { rule, ctx, parties, deviceOwner });
    if (!adm.ok) {
      refuse(i, adm.code, adm.message);
      continue;
    }
    if (usedBy !== undefined && usedBy !== a.who) {
      refuse(i, 'QUORUM_DEVICE_MISMATCH', `${label}: device ${a.device} already approved this action for ${usedBy}; a device belongs to one person`);
      continue;
    }
    if (isComparatorSide(a.role)) {
      if (authorizerPeople.has(a.who)) {
        refuse(i, 'QUORUM_SEPARATION_OF_DUTIES', `${label}: ${a.who} also approved as an authorizer; the comparator must be someone else`);
        continue;
      }
      // Timing and duplicates are decided below, once the moment the quorum was met is known.
      comparatorSide.push({ key: a.who, groups: adm.groups, index: i });
      continue;
    }
    if (duplicate(i, admitted.authorizer)) continue;
    candidates.authorizer.push({ key: subjectOf(a), groups: adm.groups, index: i, ...(adm.organisation === undefined ? {} : { organisation: adm.organisation }) });
  }

  // --- authorizers: all_of groups ---------------------------------------------------------------
  const clauseCaps = new Map(rule.allOf.map((c) => [c.group, c.min]));
  const needed = rule.allOf.reduce((s, c) => s + c.min, 0);
  const options = { distinctOrganisations: rule.distinctOrganisations };
  let quorumMetAt: number | undefined;
  for (let n = 1; n <= candidates.authorizer.length && quorumMetAt === undefined; n++) {
    if (assignToGroups(candidates.authorizer.slice(0, n), clauseCaps, options).size >= needed) quorumMetAt = approvals[candidates.authorizer[n - 1]!.index]!.at;
  }
  const quorumMet = quorumMetAt !== undefined;
  const authorizerAssignment = assignToGroups(candidates.authorizer, clauseCaps, options);

  // --- comparators: only after the all_of part is met -------------------------------------------
  for (const c of comparatorSide) {
    const a = approvals[c.index]!;
    if (quorumMetAt === undefined || a.at <= quorumMetAt) {
      const why =
        quorumMetAt === undefined
          ? 'the authorizers have not met the quorum yet; the comparator verifies after them'
          : `given at ${new Date(a.at).toISOString()}, not after the quorum was met at ${new Date(quorumMetAt).toISOString()}; the comparator verifies after the authorizers`;
      refuse(c.index, 'COMPARATOR_BEFORE_QUORUM', `${describeApproval(a, c.index)}: ${why}`);
      continue;
    }
    if (duplicate(c.index, admitted.comparator)) continue;
    candidates.comparator.push(c);
  }
  const timely = candidates.comparator;
  const comparatorCaps = new Map(rule.comparators.map((c) => [c.group, c.min]));
  const comparatorAssignment = assignToGroups(timely, comparatorCaps);

  // --- results ------------------------------------------------------------------------------------
  const counted: CountedApproval[] = [];
  const surplus: number[] = [];
  for (const [list, assignment] of [
    [candidates.authorizer, authorizerAssignment],
    [timely, comparatorAssignment],
  ] as const) {
    for (const c of list) {
      const group = assignment.get(c.key);
      const a = approvals[c.index]!;
      if (group === undefined) surplus.push(c.index);
      else counted.push({ index: c.index, person: c.key, who: a.who, device: a.device, role: a.role, group });
    }
  }
  counted.sort((x, y) => x.index - y.index);
  surplus.sort((x, y) => x - y);
  refused.sort((x, y) => x.index - y.index);

  const peopleIn = (group: string, assignment: Map<string, string>) => [...assignment].filter(([, g]) => g === group).map(([p]) => p).sort();
  const groups = rule.allOf.map((c) => {
    const people = peopleIn(c.group, authorizerAssignment);
    return { group: c.group, required: c.min, counted: people.length, people };
  });
  const comparators = rule.comparators.map((c) => {
    const people = peopleIn(c.group, comparatorAssignment);
    return { group: c.group, required: c.min, counted: people.length, people, biological: c.biological };
  });
  const shortfalls: QuorumShortfall[] = [];
  const orgs = rule.distinctOrganisations ? ' from distinct organisations' : '';
  for (const g of groups) {
    if (g.counted < g.required) {
      shortfalls.push({ code: 'QUORUM_GROUP_SHORT', group: g.group, required: g.required, counted: g.counted, message: `group '${g.group}' has ${g.counted} of ${g.required} required distinct people${orgs}` });
    }
  }
  for (const c of comparators) {
    if (c.counted < c.required) {
      const bio = c.biological ? ', with a biological signature' : '';
      shortfalls.push({ code: 'COMPARATOR_SHORT', group: c.group, required: c.required, counted: c.counted, message: `comparator group '${c.group}' has ${c.counted} of ${c.required} required verification(s)${bio}, given after the quorum` });
    }
  }
  if (rule.allOf.length === 0) {
    shortfalls.push({ code: 'QUORUM_GROUP_SHORT', group: '(none)', required: 1, counted: 0, message: 'the quorum names no all_of group; nothing can satisfy it (fail closed)' });
  }
  const satisfied = shortfalls.length === 0 && quorumMet;
  const reasons = [
    ...refused.map((r) => `${r.code}: ${r.message}`),
    ...(satisfied ? [`quorum met: ${[...groups, ...comparators].map((g) => `${g.group} ${g.counted}/${g.required}`).join(', ')}`] : shortfalls.map((s) => `${s.code}: ${s.message}`)),
  ];
  const out: QuorumEvaluation = { satisfied, quorumMet, groups, comparators, counted, surplus, refused, shortfalls, reasons };
  if (quorumMetAt !== undefined) out.quorumMetAt = quorumMetAt;
  return out;
}
