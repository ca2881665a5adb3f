import { createHash } from 'node:crypto';
import { outcomeOfAnswer, type AttemptOutcome } from '../core/action/outcome.ts';
import type { Clock } from '../core/clock.ts';
import { FirewallError } from '../core/errors.ts';
import type { Store } from './ports/store.ts';
import { upstreamTarget, type UpstreamTarget } from '../core/wire/upstream-target.ts';
import type { ActionRecord, UpstreamResult } from './action-record.ts';
import type { ActionEvents } from './ports/action-events.ts';
import type { ForwardRequest } from './ports/upstream.ts';
import type { PolicyPort } from './ports/policy.ts';
import type { ReceiptIssuer } from './ports/receipts.ts';
import { isInternalActuator, type InternalExecutor } from './internal-actuators.ts';
import { receiptQuorumOf } from './receipt-quorum-claim.ts';
import { callUpstreamTool } from './mcp/call-upstream-tool.ts';
import type { McpUpstream } from './mcp/upstream-port.ts';
import { settleAttempt, type Attempt } from './settle-attempt.ts';

export interface DispatcherDeps {
  store: Store;
  policy: () => PolicyPort;
  clock: Clock;
  issueReceipt: ReceiptIssuer;
  /** Sends the authorised request to the actuator (ports/upstream.ts). */
  forward: ForwardRequest;
  events: ActionEvents;
  upstreamTimeoutMs: number;
  dispatchLeaseMs: number;
  maxAttempts: number;
  maxUpstreamBodyBytes: number;
  log: { warn: (obj: object, msg: string) => void };
  /** Pseudo-actuators ('@…') the gateway executes itself (internal-actuators.ts); never forwarded. */
  internal?: ReadonlyMap<string, InternalExecutor>;
  /** Upstream MCP servers (policy `mcp_servers:`): their tools/calls are sent through this. */
  mcp?: McpUpstream;
}

/** Response headers worth keeping for the agent; hop-by-hop and cookie headers are dropped. */
const KEEP_HEADERS = new Set(['content-type', 'location', 'etag', 'retry-after', 'idempotency-key']);

/**
 * Forwards an action that is already durably in `executing` (or `outcome_unknown` with a resend
 * due) to its actuator, exactly as it was authorised, with a fresh receipt and the action id as
 * the upstream idempotency key (so a resend after a crash or an unknown outcome is recognised
 * upstream, not executed twice). Each action is in flight at most once per process; the lease in
 * `dueAt` lets the scheduler retry it after a crash. What each attempt proves is settled in
 * settle-attempt.ts.
 */
export class Dispatcher {
  readonly #deps: DispatcherDeps;
  readonly #inFlight = new Set<string>();
  /** Receipts signed ahead, while the action's acceptance was still being synced; taken by the dispatch. */
  readonly #presigned = new Map<string, { target: string; receipt: Promise<{ jws: string; jti: string }> }>();

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Dispatch without waiting for it (the scheduler, approvals, signatures): a failure to record the
   * outcome (the store closing or failing) is logged, never left as an unhandled rejection. The
   * action stays durably where it was, and the scheduler takes it up again under its lease.
   */
  start(record: ActionRecord): void {
    this.dispatch(record).catch((e: unknown) => {
      this.#deps.log.warn({ actionId: record.id, code: (e as { code?: string }).code ?? 'UNKNOWN' }, 'dispatch could not record its outcome; the scheduler will take the action up again');
    });
  }

  async dispatch(record: ActionRecord): Promise<ActionRecord> {
    if (record.status !== 'executing' && record.status !== 'outcome_unknown') return record;
    if (this.#inFlight.has(record.id)) return record;
    this.#inFlight.add(record.id);
    try {
      if (record.status === 'outcome_unknown') {
        // A resend only while one is scheduled: the copy in hand may predate giving up or a reconciliation.
        const fresh = await this.#deps.store.getAction(record.id);
        if (fresh === undefined || fresh.status !== 'outcome_unknown' || fresh.dueAt === null) return fresh ?? record;
        record = fresh;
      }
      return isInternalActuator(record.descriptor.actuator) ? await this.#internal(record) : await this.#forward(record);
    } finally {
      this.#inFlight.delete(record.id);
      this.#presigned.delete(record.id);
    }
  }

  /**
   * Start signing the receipt for a record that has committed as `executing` but may not be
   * durable yet. The receipt stays in this process until `dispatch`, which runs only after the
   * acceptance is durable; `discardPresigned` drops it if the acceptance fails. Returns whether
   * a receipt was started.
   */
  presign(record: ActionRecord): boolean {
    if (record.status !== 'executing' || isInternalActuator(record.descriptor.actuator) || this.#presigned.has(record.id)) return false;
    const upstream = this.#deps.policy().upstreamOf(record.descriptor.actuator);
    if (upstream === undefined) return false;
    const target = this.#targetOf(record, upstream).target;
    const receipt = this.#issue(record, Buffer.from(record.forward.bodyB64, 'base64'), target);
    receipt.catch(() => {}); // observed by the dispatch that takes it
    this.#presigned.set(record.id, { target, receipt });
    return true;
  }

  /**
   * Where the request goes and what its receipt binds. The prefix of an HTTP upstream's base URL is
   * part of what the actuator receives; an MCP tools/call binds `/tools/<tool>` (docs/mcp.md), whatever the server's URL.
   */
  #targetOf(record: ActionRecord, upstream: string): UpstreamTarget {
    if (this.#deps.policy().mcpServerOf(record.descriptor.actuator) !== undefined) return { url: new URL(upstream), target: record.forward.path };
    return upstreamTarget(upstream, record.forward.path);
  }

  discardPresigned(actionId: string): void {
    this.#presigned.delete(actionId);
  }

  /**
   * The receipt for an authorised action, bound to `path` as the actuator receives it (with the
   * upstream's prefix); it states the quorum in its own shape so the actuator can re-check the approvals.
   */
  #issue(record: ActionRecord, body: Buffer, path: string): Promise<{ jws: string; jti: string }> {
    const quorum = receiptQuorumOf(record.classification.requirements['quorum']);
    return this.#deps.issueReceipt({
      actionId: record.id,
      actuator: record.descriptor.actuator,
      digest: record.digest,
      method: record.forward.method,
      path,
      bodySha256: createHash('sha256').update(body).digest('hex'),
      tier: record.classification.tier,
      approvals: record.approvals,
      ...(quorum === undefined ? {} : { quorum }),
      policyHash: record.classification.policyHash,
      logIndex: record.authorisationLogIndex ?? -1,
    });
  }

  /** A pseudo-actuator's action runs in the gateway, with a receipt like any execution; no request ever leaves for it. */
  async #internal(record: ActionRecord): Promise<ActionRecord> {
    const execute = this.#deps.internal?.get(record.descriptor.actuator);
    let final: ActionRecord;
    try {
      if (execute === undefined) {
        throw new FirewallError('INTERNAL_ACTUATOR_UNAVAILABLE', `no executor for '${record.descriptor.actuator}' in this gateway; it is never forwarded`, { status: 503 });
      }
      const receipt = await this.#issue(record, Buffer.from(record.forward.bodyB64, 'base64'), record.forward.path);
      final = await execute(record, receipt);
    } catch (cause) {
      // The executor runs inside the gateway's own transaction: a throw means nothing was applied.
      return this.#settle(record, { outcome: 'not_processed', code: cause instanceof FirewallError ? cause.code : 'INTERNAL_ACTUATOR_FAILED' });
    }
    this.#deps.events.changed(final);
    return final;
  }

  async #forward(record: ActionRecord): Promise<ActionRecord> {
    const d = this.#deps;
    const upstream = d.policy().upstreamOf(record.descriptor.actuator);
    const body = Buffer.from(record.forward.bodyB64, 'base64');
    let result: UpstreamResult;
    let receipt: { jws: string; jti: string } | undefined;
    let sending = false;
    try {
      if (upstream === undefined) {
        throw new FirewallError('ACTUATOR_UNKNOWN', `actuator '${record.descriptor.actuator}' has no upstream in the active policy`, { status: 502 });
      }
      const to = this.#targetOf(record, upstream);
      const early = this.#presigned.get(record.id);
      this.#presigned.delete(record.id);
      // A receipt signed ahead for another target (the policy changed the upstream meanwhile) is not used.
      // Every delivery carries a fresh receipt (its own one-use jti) for the same action: the
      // actuator's replay cache refuses a replayed receipt, its Idempotency-Key a repeated action.
      receipt = await (early !== undefined && early.target === to.target ? early.receipt : this.#issue(record, body, to.target));
      const mcp = d.policy().mcpServerOf(record.descriptor.actuator);
      sending = true;
      if (mcp !== undefined) {
        result = await callUpstreamTool(d.mcp, mcp, record, body, receipt.jws, d.upstreamTimeoutMs);
      } else {
        result = await this.#send(record, to.url, body, receipt.jws);
      }
    } catch (cause) {
      // Only a failure that provably sent nothing is "not processed"; anything else may have run.
      const sent = !sending ? false : cause instanceof FirewallError ? cause.detail?.['requestSent'] !== false : true;
      const code = cause instanceof FirewallError ? cause.code : 'UPSTREAM_UNREACHABLE';
      return this.#settle(record, { outcome: sent ? 'unknown' : 'not_processed', code, ...(receipt === undefined ? {} : { receipt }) });
    }
    const outcome = outcomeOfAnswer(result.status);
    return this.#settle(record, { outcome, result, receipt, ...(outcome === 'executed' ? {} : { code: ANSWER_CODES[outcome] }) });
  }

  async #send(record: ActionRecord, url: URL, body: Buffer, receiptJws: string): Promise<UpstreamResult> {
    const d = this.#deps;
    const headers: Record<string, string> = {
      'analog-firewall-receipt': receiptJws,
      'idempotency-key': record.id,
    };
    if (record.forward.contentType !== null) headers['content-type'] = record.forward.contentType;
    const res = await d.forward(url, {
      method: record.forward.method,
      headers,
      // Exactly the bytes the receipt binds; the entrances refuse a body on GET, HEAD and DELETE.
      body,
      timeoutMs: d.upstreamTimeoutMs,
      maxBodyBytes: d.maxUpstreamBodyBytes,
    });
    const kept: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (KEEP_HEADERS.has(k) && typeof v === 'string') kept[k] = v;
    }
    return { status: res.status, headers: kept, bodyB64: res.body.toString('base64') };
  }

  async #settle(record: ActionRecord, attempt: Attempt): Promise<ActionRecord> {
    const d = this.#deps;
    const next = await settleAttempt(d, record, attempt);
    const final = next ?? (await d.store.getAction(record.id)) ?? record;
    d.events.changed(final);
    return final;
  }
}

/** The error code an action records for an answer that did not execute it (docs/api.md §Outcomes). */
const ANSWER_CODES: Record<Exclude<AttemptOutcome, 'executed'>, string> = {
  refused: 'UPSTREAM_REFUSED',
  not_processed: 'UPSTREAM_NOT_PROCESSED',
  unknown: 'UPSTREAM_ANSWER_INDEFINITE',
};
