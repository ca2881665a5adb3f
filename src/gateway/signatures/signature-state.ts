import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { FirewallError } from '../../core/errors.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { Approval } from '../action-record.ts';
import type { GatewayContext } from '../context.ts';
import type { ChallengeIssuer } from './challenge-issuer.ts';
import type { SignatureConfig } from './config.ts';
import type { LiveEnd } from './session-types.ts';
import type { SignatureReads, SignaturesTx } from '../ports/signatures.ts';

/**
 * Where a CRITICAL action's biological (or witness) approval goes: the quorum engine
 * (src/gateway/approvals.ts `recordApproval`) evaluates the quorum and moves the action; `digest`
 * is the digest the approver's passkey signed. Without a sink the approval stays in the log
 * (signature.verified) and the action keeps waiting.
 */
export type QuorumApprovalSink = (ctx: GatewayContext, actionId: string, approval: Approval & { digest: string }) => Promise<unknown>;

/**
 * What the parts of the signature capability share within one gateway process: the gateway
 * context, configuration and tables, the challenge issuer (which holds the nonces), the sessions
 * running here, and the per-person session limit. (Witness ceremonies live in the store: witness.ts.)
 */
export interface SignatureState {
  readonly ctx: GatewayContext;
  readonly config: SignatureConfig;
  /** Committed reads of the signature aggregate (ctx.store.signatures); writes go through `tx.signatures`. */
  readonly store: SignatureReads;
  readonly issuer: ChallengeIssuer;
  /** Sessions running in this process, by challenge: the transport registers a way to end them. */
  readonly live: Map<string, (why: LiveEnd) => void>;
  readonly sessionsPerPerson: RateLimiterAbstract;
  readonly recordApproval: QuorumApprovalSink | undefined;
}

/** The roles that may hold devices and answer challenges. Agents never. */
export const HUMAN_ROLES: ReadonlySet<string> = new Set(['authorizer', 'comparator']);

export function isPerson(principal: PrincipalRecord): boolean {
  return principal.roles.some((r) => HUMAN_ROLES.has(r));
}

/** A person manages only their own enrolment, and only people enrol. */
export function assertSelf(principal: PrincipalRecord, personId: string): void {
  if (!isPerson(principal)) {
    throw new FirewallError('ROLE_FORBIDDEN', 'only people (authorizers, comparators) enrol devices and sign', { status: 403 });
  }
  if (principal.id !== personId) throw new FirewallError('ROLE_FORBIDDEN', 'a person manages only their own enrolment', { status: 403 });
}

/** Committed lock state (the transaction-visible one is `txLocked`). */
export async function isLocked(s: SignatureState, personId: string): Promise<boolean> {
  const p = await s.store.getPerson(personId);
  return p !== undefined && p.lockedAt !== null;
}

/** Inside a store.tx: the lock as this transaction sees it, including one committed earlier in its batch. */
export async function txLocked(tx: SignaturesTx, personId: string): Promise<boolean> {
  const p = await tx.person(personId);
  return p !== undefined && p.lockedAt !== null;
}

/** Issuing is not what the person asked for: its failure is logged, and their request still succeeds. */
export async function catchUp(s: SignatureState, personId: string): Promise<void> {
  await s.issuer.issueWaiting(personId).catch((e: unknown) => s.ctx.log.error({ person: personId, err: (e as Error).message }, 'could not issue challenges for actions already waiting'));
}

/** Hands a CRITICAL action's approval to the quorum engine; its refusal is logged, not thrown. */
export async function toQuorum(s: SignatureState, actionId: string, approval: Approval & { digest: string }): Promise<void> {
  if (s.recordApproval === undefined) {
    s.ctx.log.warn({ actionId, who: approval.who }, 'biological approval of a CRITICAL action recorded in the log; no quorum engine is wired to count it');
    return;
  }
  try {
    await s.recordApproval(s.ctx, actionId, approval);
  } catch (e) {
    s.ctx.log.error({ actionId, who: approval.who, err: (e as Error).message }, 'the quorum engine refused the approval');
  }
}
