import { FirewallError } from '../errors.ts';
import type { ReceiptApproval, ReceiptQuorum } from './receipt.ts';

/**
 * Does a receipt's approval list meet the quorum it claims? Pure, and deliberately independent of
 * the gateway's own quorum engine (core/quorum), so an actuator re-checks rather than trusts:
 *
 *  - each `all_of` group needs `min` distinct people (`who`) whose approval is counted in that group;
 *  - separation of duties: a person counted in two groups (comparator included) fails the quorum;
 *  - when `comparator` names a group, at least one person approved in it;
 *  - approvals without a group, or in a group the quorum does not name, count for nothing.
 */

export interface QuorumShortfall {
  group: string;
  required: number;
  counted: number;
}

export interface ReceiptQuorumEvaluation {
  satisfied: boolean;
  /** Groups (comparator included, with required 1) that have too few distinct people. */
  shortfalls: QuorumShortfall[];
  /** People counted in more than one group. */
  dutyConflicts: string[];
}

export function evaluateReceiptQuorum(quorum: ReceiptQuorum, approvals: readonly ReceiptApproval[]): ReceiptQuorumEvaluation {
  const required = new Map<string, number>();
  for (const g of quorum.all_of) required.set(g.group, g.min);
  if (quorum.comparator !== undefined) required.set(quorum.comparator, 1);

  const peopleByGroup = new Map<string, Set<string>>();
  const groupsByPerson = new Map<string, Set<string>>();
  for (const a of approvals) {
    if (a.group === undefined || !required.has(a.group)) continue;
    let people = peopleByGroup.get(a.group);
    if (!people) peopleByGroup.set(a.group, (people = new Set()));
    people.add(a.who);
    let groups = groupsByPerson.get(a.who);
    if (!groups) groupsByPerson.set(a.who, (groups = new Set()));
    groups.add(a.group);
  }

  const shortfalls: QuorumShortfall[] = [];
  for (const [group, min] of required) {
    const counted = peopleByGroup.get(group)?.size ?? 0;
    if (counted < min) shortfalls.push({ group, required: min, counted });
  }
  const dutyConflicts = [...groupsByPerson].filter(([, groups]) => groups.size > 1).map(([who]) => who);
  return { satisfied: shortfalls.length === 0 && dutyConflicts.length === 0, shortfalls, dutyConflicts };
}

/** Throws RECEIPT_QUORUM_UNSATISFIED (403) saying exactly what is missing. */
export function verifyReceiptQuorum(quorum: ReceiptQuorum, approvals: readonly ReceiptApproval[]): void {
  const r = evaluateReceiptQuorum(quorum, approvals);
  if (r.satisfied) return;
  const parts = r.shortfalls.map((s) =>
    s.group === quorum.comparator ? `comparator group '${s.group}' has no approval` : `group '${s.group}' has ${s.counted} of ${s.required} distinct approvers`,
  );
  if (r.dutyConflicts.length > 0) parts.push(`${r.dutyConflicts.length} approver(s) counted in more than one group`);
  throw new FirewallError('RECEIPT_QUORUM_UNSATISFIED', `receipt approvals do not meet its quorum: ${parts.join('; ')}`, {
    status: 403,
    detail: { shortfalls: r.shortfalls, dutyConflicts: r.dutyConflicts.length },
  });
}
