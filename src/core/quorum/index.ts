/** The quorum engine (CRITICAL tier): M-of-N over AND-ed groups, comparators, separation of duties. Pure. */
export { evaluateQuorum } from './evaluate.ts';
export { assignToGroups, type AssignmentCandidate, type AssignmentOptions } from './assignment.ts';
export { requestingParties } from './separation-of-duties.ts';
export { ROLE_REQUIRED, isComparatorSide } from './roles.ts';
export { describeApproval } from './admissibility.ts';
export type * from './types.ts';
export { QUORUM_REFUSAL_CODES } from './types.ts';
