import type { QuorumRequirement } from '../policy/types.ts';

/**
 * The quorum engine's vocabulary. Pure data: the gateway fills it from the action record, the
 * classification's `requirements.quorum` and its principal registry.
 */

export type ApprovalRole = 'authorizer' | 'comparator' | 'witness';

/** One recorded approval, as the signature flows deliver it (gateway/action-record.ts `Approval`). */
export interface QuorumApproval {
  /** The person (principal id) who approved. */
  who: string;
  /** The device that carried the biological signature. */
  device: string;
  role: ApprovalRole;
  /** When the approval was given, ms since the epoch. */
  at: number;
  /** Outcome of the liveness check: present exactly when the approval carries a biological signature. */
  liveness?: Record<string, unknown>;
  /** The group the approver asked to be counted in; when absent the engine assigns one. */
  group?: string;
  /** The action digest the approver signed, when the flow records it. */
  digest?: string;
  /**
   * Witness approvals only: the person who authorised in front of the institutional witness `who`
   * (seed §VI.2, Threat 2: nobody is excluded because they cannot produce a biological signal).
   */
  onBehalfOf?: string;
}

/** What the principal registry knows about one person. */
export interface DirectoryPerson {
  /** Principal roles: agent | authorizer | comparator | regulator | admin. */
  roles: readonly string[];
  /** Used when the quorum's own organisationOf has no entry for the person. */
  organisation?: string;
  /** Devices registered to this person; when known, an approval from any other device is refused. */
  devices?: readonly string[];
  disabled?: boolean;
}

/** Person id → what the registry knows. A person not listed here never counts. */
export type PrincipalDirectory = Readonly<Record<string, DirectoryPerson>>;

export interface QuorumContext {
  /** The canonical digest of the action being approved. */
  actionDigest: string;
  /** When the quorum window opened (the action's creation), ms since the epoch. */
  openedAt: number;
  /** The requesting agent and the people who own or operate it: none of them ever counts. */
  requester: { agent: string; owner?: string; operators?: readonly string[] };
  directory: PrincipalDirectory;
}

/** The quorum a CRITICAL classification requires (`requirements.quorum`). */
export type QuorumRule = QuorumRequirement;

/** Why one approval does not count. `index` is its position in the list evaluated. */
export interface ApprovalRefusal {
  index: number;
  who: string;
  device: string;
  role: ApprovalRole;
  code: QuorumRefusalCode;
  message: string;
}

/** Why the quorum as a whole is not (yet) met. */
export interface QuorumShortfall {
  code: 'QUORUM_GROUP_SHORT' | 'COMPARATOR_SHORT';
  group: string;
  required: number;
  counted: number;
  message: string;
}

export interface CountedApproval {
  index: number;
  /** The person counted: `who`, or for a witness approval the person it was given on behalf of. */
  person: string;
  who: string;
  device: string;
  role: ApprovalRole;
  /** The group the approval was counted in. */
  group: string;
}

export interface GroupCount {
  group: string;
  required: number;
  /** Distinct people counted in this group (never more than `required`). */
  counted: number;
  people: string[];
}

export interface QuorumEvaluation {
  /** Every all_of group and every comparator is met. */
  satisfied: boolean;
  /** The all_of part (the authorizers) is met; comparators can only count after this. */
  quorumMet: boolean;
  /** Time of the approval that completed the all_of part. */
  quorumMetAt?: number;
  groups: GroupCount[];
  comparators: (GroupCount & { biological: boolean })[];
  counted: CountedApproval[];
  /** Valid approvals that were not needed (the group was already full). */
  surplus: number[];
  refused: ApprovalRefusal[];
  shortfalls: QuorumShortfall[];
  /** One human-readable line per refusal and shortfall, or one line saying the quorum is met. */
  reasons: string[];
}

export const QUORUM_REFUSAL_CODES = [
  'QUORUM_DIGEST_MISMATCH',
  'QUORUM_APPROVAL_BEFORE_REQUEST',
  'QUORUM_WINDOW_CLOSED',
  'QUORUM_UNKNOWN_PERSON',
  'QUORUM_PERSON_DISABLED',
  'QUORUM_SEPARATION_OF_DUTIES',
  'QUORUM_ROLE_FORBIDDEN',
  'QUORUM_DEVICE_MISMATCH',
  'QUORUM_DEVICE_NOT_REGISTERED',
  'QUORUM_NOT_BIOLOGICAL',
  'QUORUM_WITNESS_NOT_ALLOWED',
  'QUORUM_WITNESS_INVALID',
  'QUORUM_GROUP_NOT_REQUIRED',
  'QUORUM_NOT_A_MEMBER',
  'QUORUM_ORGANISATION_UNKNOWN',
  'QUORUM_DUPLICATE_PERSON',
  'COMPARATOR_NOT_BIOLOGICAL',
  'COMPARATOR_BEFORE_QUORUM',
] as const;
export type QuorumRefusalCode = (typeof QUORUM_REFUSAL_CODES)[number];
