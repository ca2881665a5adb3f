import type { ActionDescriptor } from '../core/action/descriptor.ts';
import type { ActionStatus } from '../core/action/status.ts';
import type { Tier } from '../core/tier.ts';
import type { VelocityPrincipal } from '../core/policy/types.ts';

/** The exact HTTP request the gateway will send upstream once authorised (body base64). */
export interface ForwardRequest {
  method: string;
  path: string;
  contentType: string | null;
  bodyB64: string;
}

export interface UpstreamResult {
  status: number;
  headers: Record<string, string>;
  bodyB64: string;
}

/** One human approval: filled in by the signature flows (HIGH/CRITICAL). */
export interface Approval {
  who: string;
  device: string;
  role: 'authorizer' | 'comparator' | 'witness';
  /** NumericDate seconds, as receipts carry it (docs/receipts.md `apv`). */
  at: number;
  liveness?: Record<string, unknown>;
  logIndex?: number;
  /** CRITICAL: the quorum group the approval was counted in (set by gateway/approvals.ts when the quorum is met). */
  group?: string;
  /** Witness approvals: the person who authorised in front of the institutional witness `who`. */
  onBehalfOf?: string;
}

export interface ClassificationSummary {
  tier: Tier;
  decision: 'ALLOW' | 'BLOCK';
  rule: string;
  reasons: string[];
  matchedRules: string[];
  policyHash: string;
  requirements: Record<string, unknown>;
}

export interface ActionRecord {
  id: string;
  agent: string;
  /** The agent's owner and organisation when it was accepted (velocity scopes); absent on older records. */
  principal?: VelocityPrincipal;
  idempotencyKey: string;
  status: ActionStatus;
  digest: string;
  descriptor: ActionDescriptor;
  classification: ClassificationSummary;
  forward: ForwardRequest;
  createdAt: number;
  updatedAt: number;
  /** When the scheduler must next look at it: end of cooling, or expiry of a signature window. */
  dueAt: number | null;
  approvals: Approval[];
  vetoedBy?: string;
  result?: UpstreamResult;
  error?: string;
  /** Transparency-log index of the entry that authorised execution. */
  authorisationLogIndex?: number;
  dispatchAttempts: number;
  /** The receipt of the first delivery whose outcome became unknown (it may be the one that executed). */
  unknownReceipt?: { jws: string; jti: string };
  /** An admin's decision on an unresolved `outcome_unknown` (src/gateway/reconcile.ts). */
  reconciliation?: Reconciliation;
}

export interface Reconciliation {
  outcome: 'executed' | 'failed';
  by: string;
  reason: string;
  at: number;
  logIndex: number;
}
