import { v7 as uuidV7 } from 'uuid';
import type { ActionDescriptor } from '../core/action/descriptor.ts';
import type { VelocityPrincipal } from '../core/policy/types.ts';
import { actionDigest } from '../core/action/digest.ts';
import { nextStatus, type ActionEvent } from '../core/action/state-machine.ts';
import type { BranchCard } from '../core/branch-card/branch-card.ts';
import type { Clock } from '../core/clock.ts';
import { FirewallError } from '../core/errors.ts';
import type { Store } from './ports/store.ts';
import type { ActionRecord, ClassificationSummary, ForwardRequest } from './action-record.ts';
import { entry } from './audit-entries.ts';
import { idRandomBytes } from './id-random.ts';
import type { PolicyPort } from './ports/policy.ts';

export interface AcceptInput {
  descriptor: ActionDescriptor;
  idempotencyKey: string;
  /** The requesting agent's owner and organisation: velocity windows wider than one agent count by them. */
  principal: VelocityPrincipal;
  branchCard?: BranchCard;
  forward: ForwardRequest;
  /**
   * The caller's own classification of this descriptor with no velocity history, under the policy
   * with this hash: used as is when that policy counts no velocity for the action (then history
   * cannot change it), instead of classifying a second time.
   */
  provisional?: { policyHash: string; classification: ClassificationSummary };
  /** Called with a newly created record once it has committed, before it is durable (store.ts `onCommitted`). */
  onCommitted?: (record: ActionRecord) => void;
}

export interface AcceptDeps {
  store: Store;
  policy: () => PolicyPort;
  clock: Clock;
  /** How long a dispatched action may stay in flight before the scheduler retries it. */
  dispatchLeaseMs: number;
}

const INITIAL_EVENT: Record<string, ActionEvent> = {
  LOW: 'pass',
  MEDIUM: 'cool',
  HIGH: 'await_signature',
  CRITICAL: 'await_quorum',
};

function msOf(requirements: Record<string, unknown>, path: string[]): number | undefined {
  let v: unknown = requirements;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/**
 * Records a new action and its first decision in one transaction, or returns the action an
 * earlier request with the same idempotency key created. Velocity totals are read inside that
 * transaction, so two concurrent halves of a split transfer cannot both slip under a limit.
 */
export async function acceptAction(deps: AcceptDeps, input: AcceptInput): Promise<{ record: ActionRecord; created: boolean }> {
  const { descriptor } = input;
  const digest = actionDigest(descriptor);
  return deps.store.tx(async (tx) => {
    const prior = await tx.findByIdempotencyKey(descriptor.agent, input.idempotencyKey);
    if (prior !== undefined) {
      if (prior.digest !== digest) {
        throw new FirewallError('IDEMPOTENCY_KEY_REUSED', 'this idempotency key was already used for a different action', {
          status: 422,
          detail: { actionId: prior.id },
        });
      }
      return { record: prior, created: false };
    }
    const policy = deps.policy();
    const now = deps.clock.now();
    const queries = policy.velocityQueries(descriptor, now, input.principal);
    const c: ClassificationSummary =
      queries.length === 0 && input.provisional !== undefined && input.provisional.policyHash === policy.hash
        ? input.provisional.classification
        : policy.classify(descriptor, {
            ...(input.branchCard === undefined ? {} : { branchCard: input.branchCard }),
            velocity: await tx.velocityTotals(queries),
          });
    const record: ActionRecord = {
      // UUIDv7: time-ordered, so a new action's index entry lands at the end of the index, not on
      // a random page (one WAL frame less per action per commit).
      id: `act_${uuidV7({ msecs: now, rng: idRandomBytes })}`,
      agent: descriptor.agent,
      principal: input.principal,
      idempotencyKey: input.idempotencyKey,
      status: 'received',
      digest,
      descriptor,
      classification: c,
      forward: input.forward,
      createdAt: now,
      updatedAt: now,
      dueAt: null,
      approvals: [],
      dispatchAttempts: 0,
    };
    const received = { agent: record.agent, idempotencyKey: record.idempotencyKey, descriptor };
    const classified = {
      tier: c.tier,
      decision: c.decision,
      rule: c.rule,
      reasons: c.reasons,
      matchedRules: c.matchedRules,
      policyHash: c.policyHash,
      requirements: c.requirements,
    };
    const event: ActionEvent = c.decision === 'BLOCK' ? 'block' : INITIAL_EVENT[c.tier]!;
    record.status = nextStatus(record.status, event);
    if (record.status === 'authorised') {
      // LOW: received, classified, authorised and dispatched in one canonical entry
      // (docs/transparency-log.md §action.passed), so the action costs one entry and one durable
      // write before it leaves. Its receipt names this entry's index (`log`).
      record.status = nextStatus(record.status, 'dispatch');
      record.dueAt = now + deps.dispatchLeaseMs;
      const index = await tx.audit([entry('action.passed', now, record, { ...received, ...classified, event, approvals: [], attempt: 1 })]);
      record.authorisationLogIndex = index;
      await tx.insertAction(record);
      return { record, created: true };
    }
    const entries: Record<string, unknown>[] = [entry('action.received', now, record, received), entry('action.classified', now, record, classified)];
    if (record.status === 'cooling') {
      // Fail closed: a MEDIUM action without a cooling period from policy still waits.
      record.dueAt = now + (msOf(c.requirements, ['coolingMs']) ?? 60_000);
      entries.push(entry('action.cooling', now, record, { event, notBefore: record.dueAt, policyHash: c.policyHash }));
    } else if (record.status === 'awaiting_signature' || record.status === 'awaiting_quorum') {
      const windowMs = msOf(c.requirements, record.status === 'awaiting_signature' ? ['signature', 'windowMs'] : ['quorum', 'windowMs']) ?? 15 * 60_000;
      record.dueAt = now + windowMs;
      entries.push(entry(`action.${record.status}`, now, record, { event, expiresAt: record.dueAt, policyHash: c.policyHash }));
    } else {
      entries.push(entry('action.blocked', now, record, { event, rule: c.rule, reasons: c.reasons, policyHash: c.policyHash }));
    }
    await tx.audit(entries);
    await tx.insertAction(record);
    return { record, created: true };
  }, { onCommitted: (out) => out.created && input.onCommitted?.(out.record) });
}
