import { isComparatorSide, ROLE_REQUIRED, subjectOf } from './roles.ts';
import type { QuorumApproval, QuorumContext, QuorumRefusalCode, QuorumRule } from './types.ts';

/**
 * The checks one approval must pass on its own, before the evaluation looks at the others (one
 * person counting once, comparators after the quorum). Fail closed: anything unknown refuses.
 */

export type Admissibility =
  | { ok: true; groups: string[]; organisation?: string }
  | { ok: false; code: QuorumRefusalCode; message: string };

export interface AdmissibilityInput {
  rule: QuorumRule;
  ctx: QuorumContext;
  /** Person → why they are on the requesting side (separation-of-duties.ts). */
  parties: ReadonlyMap<string, string>;
  /** Device → the person the directory registers it to. */
  deviceOwner: ReadonlyMap<string, string>;
}

export function describeApproval(a: QuorumApproval, index: number): string {
  const behalf = a.role === 'witness' && a.onBehalfOf !== undefined ? ` for ${a.onBehalfOf}` : '';
  return `approval ${index + 1} (${a.who}, ${a.role}${behalf}, device ${a.device})`;
}

function list(xs: readonly string[]): string {
  return xs.length === 0 ? 'none' : xs.map((x) => `'${x}'`).join(', ');
}

export function checkApproval(a: QuorumApproval, index: number, input: AdmissibilityInput): Admissibility {
  const { rule, ctx, parties, deviceOwner } = input;
  const label = describeApproval(a, index);
  const refuse = (code: QuorumRefusalCode, why: string): Admissibility => ({ ok: false, code, message: `${label}: ${why}` });

  if (a.digest !== undefined && a.digest.toLowerCase() !== ctx.actionDigest.toLowerCase()) {
    return refuse('QUORUM_DIGEST_MISMATCH', `signed digest ${a.digest.slice(0, 12)}… but the action's digest is ${ctx.actionDigest.slice(0, 12)}…; it approves something else`);
  }
  if (!Number.isFinite(a.at) || a.at < ctx.openedAt) {
    return refuse('QUORUM_APPROVAL_BEFORE_REQUEST', `given at ${Number.isFinite(a.at) ? new Date(a.at).toISOString() : String(a.at)}, before the action was requested (${new Date(ctx.openedAt).toISOString()})`);
  }
  const closesAt = ctx.openedAt + rule.windowMs;
  if (a.at >= closesAt) {
    return refuse('QUORUM_WINDOW_CLOSED', `given at ${new Date(a.at).toISOString()}, after the quorum window closed at ${new Date(closesAt).toISOString()}`);
  }
  const known = (id: string) => (Object.hasOwn(ctx.directory, id) ? ctx.directory[id] : undefined);
  const party = parties.get(a.who);
  if (party !== undefined) return refuse('QUORUM_SEPARATION_OF_DUTIES', `${party}; the requesting side never approves its own action`);
  const person = known(a.who);
  if (person === undefined) return refuse('QUORUM_UNKNOWN_PERSON', `'${a.who}' is not a registered principal`);
  if (person.disabled === true) return refuse('QUORUM_PERSON_DISABLED', `'${a.who}' is disabled`);
  if (person.roles.includes('agent')) return refuse('QUORUM_SEPARATION_OF_DUTIES', `'${a.who}' holds an agent credential; agents never approve`);
  const needed = ROLE_REQUIRED[a.role];
  if (!person.roles.includes(needed)) {
    const admin = person.roles.includes('admin') ? ' (an admin cannot approve in place of an authorizer or comparator)' : '';
    const article = a.role === 'authorizer' ? 'an' : 'a';
    return refuse('QUORUM_ROLE_FORBIDDEN', `${article} ${a.role} approval needs the role '${needed}', but ${a.who} holds ${list(person.roles)}${admin}`);
  }
  const owner = deviceOwner.get(a.device);
  if (owner !== undefined && owner !== a.who) return refuse('QUORUM_DEVICE_MISMATCH', `device ${a.device} is registered to ${owner}, not to ${a.who}; a device belongs to one person`);
  if (person.devices !== undefined && !person.devices.includes(a.device)) {
    return refuse('QUORUM_DEVICE_NOT_REGISTERED', `device ${a.device} is not among ${a.who}'s registered devices`);
  }

  // The person the approval counts for: the approver, or the person a witness attested.
  const subject = subjectOf(a);
  let subjectInfo = person;
  if (a.role === 'witness') {
    if (rule.allowWitness !== true) {
      return refuse('QUORUM_WITNESS_NOT_ALLOWED', 'witness approvals are recorded but this quorum does not count them (the policy has no allow_witness: true)');
    }
    if (a.onBehalfOf === undefined || a.onBehalfOf === '') return refuse('QUORUM_WITNESS_INVALID', 'a witness approval must name the person it was given on behalf of (onBehalfOf)');
    if (a.onBehalfOf === a.who) return refuse('QUORUM_WITNESS_INVALID', `${a.who} cannot witness their own authorisation`);
    const p2 = parties.get(a.onBehalfOf);
    if (p2 !== undefined) return refuse('QUORUM_SEPARATION_OF_DUTIES', `${p2}; the requesting side never approves its own action`);
    const witnessed = known(a.onBehalfOf);
    if (witnessed === undefined) return refuse('QUORUM_UNKNOWN_PERSON', `'${a.onBehalfOf}' (witnessed) is not a registered principal`);
    if (witnessed.disabled === true) return refuse('QUORUM_PERSON_DISABLED', `'${a.onBehalfOf}' (witnessed) is disabled`);
    if (witnessed.roles.includes('agent')) return refuse('QUORUM_SEPARATION_OF_DUTIES', `'${a.onBehalfOf}' holds an agent credential; agents never approve`);
    if (!witnessed.roles.includes('authorizer')) {
      return refuse('QUORUM_ROLE_FORBIDDEN', `a witnessed authorisation needs ${a.onBehalfOf} to hold the role 'authorizer', but they hold ${list(witnessed.roles)}`);
    }
    subjectInfo = witnessed;
  }

  if (!isComparatorSide(a.role)) {
    if (a.role === 'authorizer' && a.liveness === undefined) return refuse('QUORUM_NOT_BIOLOGICAL', 'an authorizer approval must carry a biological signature (liveness result missing)');
    const required = rule.allOf.map((c) => c.group);
    let groups: string[];
    if (a.group !== undefined) {
      const clause = rule.allOf.find((c) => c.group === a.group);
      if (clause === undefined) return refuse('QUORUM_GROUP_NOT_REQUIRED', `group '${a.group}' is not part of this quorum (its groups: ${list(required)})`);
      if (!clause.members.includes(subject)) return refuse('QUORUM_NOT_A_MEMBER', `${subject} is not a member of group '${a.group}'`);
      groups = [a.group];
    } else {
      groups = rule.allOf.filter((c) => c.members.includes(subject)).map((c) => c.group);
      if (groups.length === 0) return refuse('QUORUM_NOT_A_MEMBER', `${subject} is a member of none of the quorum's groups (${list(required)})`);
    }
    if (rule.distinctOrganisations) {
      const organisation = rule.organisationOf?.[subject] ?? subjectInfo.organisation;
      if (organisation === undefined) return refuse('QUORUM_ORGANISATION_UNKNOWN', `the quorum needs signers from distinct organisations, but ${subject} belongs to none`);
      return { ok: true, groups, organisation };
    }
    return { ok: true, groups };
  }

  const required = rule.comparators.map((c) => c.group);
  if (a.group !== undefined) {
    const comp = rule.comparators.find((c) => c.group === a.group);
    if (comp === undefined) return refuse('QUORUM_GROUP_NOT_REQUIRED', `'${a.group}' is not a comparator group of this quorum (comparators: ${list(required)})`);
    if (!comp.members.includes(a.who)) return refuse('QUORUM_NOT_A_MEMBER', `${a.who} is not a member of comparator group '${a.group}'`);
    if (comp.biological && a.liveness === undefined) return refuse('COMPARATOR_NOT_BIOLOGICAL', `comparator group '${a.group}' must verify with a biological signature (liveness result missing)`);
    return { ok: true, groups: [a.group] };
  }
  const member = rule.comparators.filter((c) => c.members.includes(a.who));
  if (member.length === 0) return refuse('QUORUM_NOT_A_MEMBER', `${a.who} is a member of none of the comparator groups (${list(required)})`);
  const usable = member.filter((c) => !c.biological || a.liveness !== undefined);
  if (usable.length === 0) return refuse('COMPARATOR_NOT_BIOLOGICAL', `comparator group(s) ${list(member.map((c) => c.group))} must verify with a biological signature (liveness result missing)`);
  return { ok: true, groups: usable.map((c) => c.group) };
}
