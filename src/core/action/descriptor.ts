import type { BranchCard } from '../branch-card/branch-card.ts';

/** Declared reversibility, in the Branch Card's vocabulary (seed Appendix B). */
export const REVERSIBILITY = ['fully_reversible', 'partially_reversible', 'irreversible'] as const;
export type Reversibility = (typeof REVERSIBILITY)[number];

/** The request an action was derived from, when it came through the reverse proxy. */
export interface RequestBinding {
  method: string;
  /** Path below the actuator's upstream base, with query string. */
  path: string;
  /** Lower-case hex SHA-256 of the exact body bytes forwarded upstream ('' body hashes too). */
  bodySha256: string;
}

/**
 * What an agent asks to do. Everything a human approves and a receipt binds is in here, so the
 * canonical digest of this object is the action's identity for every later signature.
 */
export interface ActionDescriptor {
  agent: string;
  actuator: string;
  operation: string;
  target: string;
  parameters: Record<string, unknown>;
  /** Decimal amount in major units (e.g. 1250.50), with ISO 4217 currency. Both or neither. */
  amount?: number;
  currency?: string;
  reversibility: Reversibility;
  request: RequestBinding;
  /** SHA-256 of the canonical Branch Card, when one was supplied. */
  branchCardSha256?: string;
}

export interface ActionSubmission {
  descriptor: ActionDescriptor;
  branchCard?: BranchCard;
}
