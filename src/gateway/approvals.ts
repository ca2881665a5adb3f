import { nextStatus } from '../core/action/state-machine.ts';
import { FirewallError } from '../core/errors.ts';
import type { QuorumRequirement } from '../core/policy/types.ts';
import { evaluateQuorum, type PrincipalDirectory, type QuorumApproval, type QuorumEvaluation, type QuorumRefusalCode } from '../core/quorum/index.ts';
import type { PrincipalRecord } from './ports/principals.ts';
import type { Store } from './ports/store.ts';
import type { ActionRecord, Approval } from './action-record.ts';
import { entry } from './audit-entries.ts';
import type { GatewayContext } from './context.ts';
import { isInternalActuator } from './internal-actuators.ts';

/**
 * Counting a CRITICAL action's approvals (issue 5). The biological-signature flow calls
 * `recordApproval` once per verified signature; the policy governance's tests call it directly.
 * In ONE transaction it re-reads the action, evaluates the quorum (core/quorum) over every approval
 * recorded so far plus this one, records the approval (or the refusal) in the log, and, when the
 * quorum and its comparators are complete, authorises the action (quorum_met → dispatch) exactly as
 * a verified signature authorises a HIGH action. After the commit the action is dispatched; a
 * pseudo-actuator's action ('@policy') is executed before this returns.
 *
 * An approval the quorum refuses is not added to the action (except a witness approval where
 * witnesses do not count: it is recorded as such, and counts for nothing) and the refusal, with its
 * code and reason, is in the log; the function then throws that refusal.
 */

export type ApprovalContext = Pick<GatewayContext, 'store' | 'clock' | 'bus' | 'dispatcher' | 'dispatchLeaseMs'>;

export interface ApprovalInput extends Omit<Approval, 'at'> {
  /** NumericDate seconds when the signature completed; defaults to now. */
  at?: number;
  /** The action digest the approver signed, when the flow knows it: a mismatch refuses. */
  digest?: string;
}

export interface ApprovalOutcome {
  record: ActionRecord;
  evaluation: QuorumEvaluation;
  /** True when this approval completed the quorum and the action was authorised. */
  authorised: boolean;
  /** Log index of the approval (or refusal) entry. */
  logIndex: number;
}

export interface RecordApprovalOptions {
  /** The principal registry as the quorum sees it; defaults to the store's principals. */
  directory?: (ids: readonly string[]) => Promise<PrincipalDirectory>;
}

/** Recorded-but-not-counted refusals: the approval stays on the action for the record. */
const RECORDED_ANYWAY: ReadonlySet<QuorumRefusalCode> = new Set(['QUORUM_WITNESS_NOT_ALLOWED']);

const STATUS: Partial<Record<QuorumRefusalCode, number>> = {
  QUORUM_DIGEST_MISMATCH: 409,
  QUORUM_WINDOW_CLOSED: 409,
  QUORUM_APPROVAL_BEFORE_REQUEST: 409,
  QUORUM_DUPLICATE_PERSON: 409,
  COMPARATOR_BEFORE_QUORUM: 409,
  QUORUM_UNKNOWN_PERSON: 403,
};

/**
 * Approvals carry NumericDate seconds (as receipts do); the engine works in ms. Values of 10^11 and
 * above are taken as ms already. An offline verifier reading the log orders them the same way, so a
 * comparator approval in the same second as the approval that completed the quorum is not "after" it.
 */
function engineTime(a: Pick<Approval, 'at'>): number {
  return a.at < 1e11 ? a.at * 1000 : a.at;
}

/** The quorum window opens at the second the action was created (approval times have second resolution). */
function openedAt(a: ActionRecord): number {
  return Math.floor(a.createdAt / 1000) * 1000;
}

function toEngine(a: Approval, digest?: string): QuorumApproval {
  const out: QuorumApproval = { who: a.who, device: a.device, role: a.role, at: engineTime(a) };
  if (a.liveness !== undefined) out.liveness = a.liveness;
  if (a.group !== undefined) out.group = a.group;
  if (a.onBehalfOf !== undefined) out.onBehalfOf = a.onBehalfOf;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** The store's principals as a quorum directory (roles, organisation, devices when registered). */
export function storeDirectory(store: Pick<Store, 'principals'>): (ids: readonly string[]) => Promise<PrincipalDirectory> {
  return async (ids) => {
    const out: Record<string, PrincipalDirectory[string]> = {};
    for (const id of new Set(ids)) {
      const p = await store.principals.get(id);
      if (p === undefined) continue;
      const devices = (p as PrincipalRecord & { devices?: unknown }).devices;
      out[id] = {
        roles: p.roles,
        ...(p.organisation === undefined ? {} : { organisation: p.organisation }),
        ...(Array.isArray(devices) && devices.every((d) => typeof d === 'string') ? { devices: devices as string[] } : {}),
        ...(p.disabled ? { disabled: true } : {}),
      };
    }
    return out;
  };
}

/** Who owns or operates the requesting agent (PrincipalRecord.owner, and `operators` when registered). */
async function requesterOf(store: Pick<Store, 'principals'>, agent: string): Promise<{ agent: string; owner?: string; operators?: string[] }> {
  const p = await store.principals.get(agent);
  const operators = (p as (PrincipalRecord & { operators?: unknown }) | undefined)?.operators;
  return {
    agent,
    ...(p?.owner === undefined ? {} : { owner: p.owner }),
    ...(Array.isArray(operators) ? { operators: operators.filter((o): o is string => typeof o === 'string') } : {}),
  };
}

/** Evaluates the quorum of an action as it stands (for views and for the quorum test endpoints). */
export async function evaluateActionQuorum(ctx: Pick<ApprovalContext, 'store'>, a: ActionRecord, options: RecordApprovalOptions = {}): Promise<QuorumEvaluation | undefined> {
  const rule = a.classification.requirements['quorum'] as QuorumRequirement | undefined;
  if (rule === undefined) return undefined;
  const directory = await (options.directory ?? storeDirectory(ctx.store))(a.approvals.flatMap((x) => [x.who, ...(x.onBehalfOf === undefined ? [] : [x.onBehalfOf])]));
  return evaluateQuorum(rule, a.approvals.map((x) => toEngine(x)), { actionDigest: a.digest, openedAt: openedAt(a), requester: await requesterOf(ctx.store, a.agent), directory });
}

export async function recordApproval(ctx: ApprovalContext, actionId: string, input: ApprovalInput, options: RecordApprovalOptions = {}): Promise<ApprovalOutcome> {
  const before = await ctx.store.getAction(actionId);
  if (before === undefined) throw new FirewallError('ACTION_NOT_FOUND', `no action '${actionId}'`, { status: 404 });
  const lookup = options.directory ?? storeDirectory(ctx.store);
  const peopleOf = (list: readonly Pick<Approval, 'who' | 'onBehalfOf'>[]) => list.flatMap((x) => [x.who, ...(x.onBehalfOf === undefined ? [] : [x.onBehalfOf])]);
  let asked = new Set(peopleOf([...before.approvals, input]));
  let directory = await lookup([...asked]);
  const requester = await requesterOf(ctx.store, before.agent);

  // The directory is read outside the transaction (a transaction awaits only its own reads); if an
  // approval by someone not looked up landed in between, look them up and evaluate again.
  for (let attempt = 0; ; attempt++) {
    const out = await recordOnce(ctx, actionId, input, requester, directory, asked);
    if ('missing' in out) {
      if (attempt >= 3) throw new FirewallError('QUORUM_BUSY', 'approvals keep arriving while this one is evaluated; try again', { status: 503 });
      asked = new Set([...asked, ...out.missing]);
      directory = await lookup([...asked]);
      continue;
    }
    if ('refused' in out) {
      const r = out.refused;
      throw new FirewallError(r.code, r.message, { status: STATUS[r.code] ?? 403, detail: { logIndex: r.logIndex, shortfalls: r.evaluation?.shortfalls ?? [] } });
    }
    ctx.bus.changed(out.record);
    if (out.authorised) {
      if (isInternalActuator(out.record.descriptor.actuator)) return { ...out, record: await ctx.dispatcher.dispatch(out.record) };
      ctx.dispatcher.start(out.record);
    }
    return out;
  }
}

type Once =
  | { missing: string[] }
  | { refused: { code: QuorumRefusalCode; message: string; logIndex: number; evaluation?: QuorumEvaluation } }
  | ApprovalOutcome;

async function recordOnce(
  ctx: ApprovalContext,
  actionId: string,
  input: ApprovalInput,
  requester: { agent: string; owner?: string; operators?: string[] },
  directory: PrincipalDirectory,
  asked: ReadonlySet<string>,
): Promise<Once> {
  return ctx.store.tx(async (tx): Promise<Once> => {
    const a = await tx.getAction(actionId);
    if (a === undefined) throw new FirewallError('ACTION_NOT_FOUND', `no action '${actionId}'`, { status: 404 });
    if (a.status !== 'awaiting_quorum') {
      throw new FirewallError('ACTION_NOT_AWAITING_QUORUM', `action is '${a.status}'; approvals are counted only while it awaits its quorum`, { status: 409, detail: { status: a.status } });
    }
    const rule = a.classification.requirements['quorum'] as QuorumRequirement | undefined;
    if (rule === undefined) throw new FirewallError('QUORUM_MISSING', 'the action awaits a quorum but its classification names none', { status: 500 });
    const now = ctx.clock.now();
    const approval: Approval = { ...stripInput(input), at: input.at ?? Math.floor(now / 1000) };
    const list = [...a.approvals, approval];
    const missing = list.flatMap((x) => [x.who, ...(x.onBehalfOf === undefined ? [] : [x.onBehalfOf])]).filter((p) => !asked.has(p));
    if (missing.length > 0) return { missing };
    const described = {
      who: approval.who,
      device: approval.device,
      role: approval.role,
      at: approval.at,
      ...(approval.onBehalfOf === undefined ? {} : { onBehalfOf: approval.onBehalfOf }),
      ...(approval.group === undefined ? {} : { group: approval.group }),
      ...(approval.logIndex === undefined ? {} : { signatureLogIndex: approval.logIndex }),
    };
    if (a.dueAt !== null && now >= a.dueAt) {
      // The deadline passed; the scheduler is about to mark the action expired. Nothing counts now.
      const message = `approval by ${approval.who}: the quorum window closed at ${new Date(a.dueAt).toISOString()}`;
      const logIndex = await tx.audit([entry('action.approval_refused', now, a, { ...described, code: 'QUORUM_WINDOW_CLOSED', reason: message })]);
      return { refused: { code: 'QUORUM_WINDOW_CLOSED', message, logIndex } };
    }
    const evaluation = evaluateQuorum(
      rule,
      list.map((x, i) => toEngine(x, i === list.length - 1 ? input.digest : undefined)),
      { actionDigest: a.digest, openedAt: openedAt(a), requester, directory },
    );
    const own = evaluation.refused.find((r) => r.index === list.length - 1);
    const summary = { satisfied: evaluation.satisfied, quorumMet: evaluation.quorumMet, groups: evaluation.groups, comparators: evaluation.comparators };

    if (own !== undefined && !RECORDED_ANYWAY.has(own.code)) {
      const logIndex = await tx.audit([entry('action.approval_refused', now, a, { ...described, code: own.code, reason: own.message, quorum: summary })]);
      return { refused: { code: own.code, message: own.message, logIndex, evaluation } };
    }

    const logIndex = await tx.audit([
      entry('action.approval_recorded', now, a, { ...described, counted: own === undefined, ...(own === undefined ? {} : { code: own.code, reason: own.message }), quorum: summary }),
    ]);
    if (approval.logIndex === undefined) approval.logIndex = logIndex;

    if (!evaluation.satisfied) {
      const updated = await tx.updateAction(a.id, ['awaiting_quorum'], { approvals: list, updatedAt: now });
      if (updated === undefined) throw new FirewallError('ACTION_TRANSITION_RACED', 'the action changed while the approval was recorded', { status: 409 });
      return { record: updated, evaluation, authorised: false, logIndex };
    }

    // Quorum met: each counted approval carries the group it was counted in (receipts show it).
    const groupOf = new Map(evaluation.counted.map((c) => [c.index, c.group]));
    const approvals = list.map((x, i) => {
      const { group: _g, ...rest } = x;
      const g = groupOf.get(i);
      return g === undefined ? rest : { ...rest, group: g };
    });
    const status = nextStatus(nextStatus(a.status, 'quorum_met'), 'dispatch');
    const moved = await tx.updateAction(a.id, ['awaiting_quorum'], { status, approvals, dueAt: now + ctx.dispatchLeaseMs, updatedAt: now });
    if (moved === undefined) throw new FirewallError('ACTION_TRANSITION_RACED', 'the action changed while the approval was recorded', { status: 409 });
    const first = await tx.audit([
      entry('action.authorised', now, a, { event: 'quorum_met', tier: a.classification.tier, approvals, quorum: summary, policyHash: a.classification.policyHash }),
      entry('action.dispatched', now, a, { event: 'dispatch', attempt: 1 }),
    ]);
    const final = await tx.updateAction(a.id, ['executing'], { authorisationLogIndex: first }, moved);
    return { record: final ?? moved, evaluation, authorised: true, logIndex };
  });
}

function stripInput(input: ApprovalInput): Omit<Approval, 'at'> {
  const { digest: _d, at: _a, ...rest } = input;
  return rest;
}
