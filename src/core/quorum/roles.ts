import type { ApprovalRole } from './types.ts';

/**
 * The principal role an approver (`who`) must hold for each kind of approval. Admins administer and
 * regulators read: neither role approves, so an admin without the authorizer role can never stand
 * in for an authorizer. A witness is institutional, so it needs the comparator role; the person it
 * witnessed (`onBehalfOf`) must be an authorizer.
 */
export const ROLE_REQUIRED: Readonly<Record<ApprovalRole, string>> = {
  authorizer: 'authorizer',
  comparator: 'comparator',
  witness: 'comparator',
};

/**
 * Authorizer approvals, and witness approvals (which stand for the witnessed person's own), fill
 * all_of groups; comparator approvals fill comparator groups.
 */
export function isComparatorSide(role: ApprovalRole): boolean {
  return role === 'comparator';
}

/** The person an approval counts for: the approver, or the person a witness attested. */
export function subjectOf(a: { who: string; role: ApprovalRole; onBehalfOf?: string }): string {
  return a.role === 'witness' ? (a.onBehalfOf ?? '') : a.who;
}
