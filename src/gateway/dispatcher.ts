import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { FirewallError } from '../core/errors.ts';
import type { Store } from '../adapters/store/store.ts';
import { forwardRequest } from '../adapters/upstream/forward-request.ts';
import { upstreamTarget, type UpstreamTarget } from '../core/wire/upstream-target.ts';
import type { ActionRecord, UpstreamResult } from './action-record.ts';
import { entry } from './audit-entries.ts';
import type { ActionEvents, PolicyPort, ReceiptIssuer } from './ports.ts';
import { isInternalActuator, type InternalExecutor } from './internal-actuators.ts';
import { receiptQuorumOf } from './receipt-quorum-claim.ts';
import { callUpstreamTool } from './mcp/call-upstream-tool.ts';
import type { McpUpstream } from './mcp/upstream-port.ts';

export interface DispatcherDeps {
  store: Store;
  policy: () => PolicyPort;
  clock: Clock;
  issueReceipt: ReceiptIssuer;
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
 * Forwards an action that is already durably in `executing` to its actuator, exactly as it was
 * authorised, with a fresh receipt and the action id as the upstream idempotency key (so a resend
 * after a crash is recognised upstream, not executed twice). Each action is in flight at most once
 * per process; the lease in `dueAt` lets the scheduler retry it after a crash.
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

  async dispatch(record: ActionRecord): Promise<ActionRecord> {
    if (record.status !== 'executing') return record;
    if (this.#inFlight.has(record.id)) return record;
    this.#inFlight.add(record.id);
    try {
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
      return this.#failedAttempt(record, cause);
    }
    this.#deps.events.changed(final);
    return final;
  }

  async #forward(record: ActionRecord): Promise<ActionRecord> {
    const d = this.#deps;
    const upstream = d.policy().upstreamOf(record.descriptor.actuator);
    const body = Buffer.from(record.forward.bodyB64, 'base64');
    let result: UpstreamResult;
    let receipt: { jws: string; jti: string };
    try {
      if (upstream === undefined) {
        throw new FirewallError('ACTUATOR_UNKNOWN', `actuator '${record.descriptor.actuator}' has no upstream in the active policy`, { status: 502 });
      }
      const to = this.#targetOf(record, upstream);
      const early = this.#presigned.get(record.id);
      this.#presigned.delete(record.id);
      // A receipt signed ahead for another target (the policy changed the upstream meanwhile) is not used.
      receipt = await (early !== undefined && early.target === to.target ? early.receipt : this.#issue(record, body, to.target));
      const mcp = d.policy().mcpServerOf(record.descriptor.actuator);
      if (mcp !== undefined) {
        result = await callUpstreamTool(d.mcp, mcp, record, body, receipt.jws, d.upstreamTimeoutMs);
      } else {
        result = await this.#send(record, to.url, body, receipt.jws);
      }
    } catch (cause) {
      return this.#failedAttempt(record, cause);
    }
    return this.#executed(record, result, receipt);
  }

  async #send(record: ActionRecord, url: URL, body: Buffer, receiptJws: string): Promise<UpstreamResult> {
    const d = this.#deps;
    const headers: Record<string, string> = {
      'analog-firewall-receipt': receiptJws,
      'idempotency-key': record.id,
    };
    if (record.forward.contentType !== null) headers['content-type'] = record.forward.contentType;
    const res = await forwardRequest(url, {
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

  /** Records the actuator's answer; an answer, whatever it says, means the request was carried. */
  async #executed(record: ActionRecord, result: UpstreamResult, receipt: { jws: string; jti: string }): Promise<ActionRecord> {
    const d = this.#deps;
    const now = d.clock.now();
    const done = await d.store.tx(async (tx) => {
      const next = await tx.updateAction(record.id, ['executing'], { status: 'executed', result, dueAt: null, updatedAt: now });
      if (next !== undefined) {
        await tx.audit([
          entry('action.executed', now, record, {
            event: 'upstream_answered',
            upstreamStatus: result.status,
            responseSha256: createHash('sha256').update(Buffer.from(result.bodyB64, 'base64')).digest('hex'),
            // The receipt itself (a signature, no secret) lets a regulator check what the actuator was shown.
            receiptJti: receipt.jti,
            receipt: receipt.jws,
          }),
        ]);
      }
      return next;
    }, { durable: false });
    const final = done ?? (await d.store.getAction(record.id)) ?? record;
    d.events.changed(final);
    return final;
  }

  /** A failed attempt never lets the action through: it is retried later, then marked failed. */
  async #failedAttempt(record: ActionRecord, cause: unknown): Promise<ActionRecord> {
    const d = this.#deps;
    const now = d.clock.now();
    const code = cause instanceof FirewallError ? cause.code : 'UPSTREAM_UNREACHABLE';
    // The signer being down is the gateway's own outage, not the actuator's answer: wait for it
    // without using up the action's attempts, so the action runs once the HSM is back.
    const ownOutage = code.startsWith('SIGNER_');
    const attempts = record.dispatchAttempts + (ownOutage ? 0 : 1);
    d.log.warn({ actionId: record.id, attempt: attempts, code }, 'dispatch attempt failed');
    const giveUp = !ownOutage && attempts >= d.maxAttempts;
    const next = await d.store.tx(async (tx) => {
      const patch = giveUp
        ? { status: 'failed' as const, dueAt: null, updatedAt: now, error: code, dispatchAttempts: attempts }
        : { dueAt: now + Math.min(d.dispatchLeaseMs, 250 * 2 ** Math.max(attempts, 1)), updatedAt: now, dispatchAttempts: attempts };
      const updated = await tx.updateAction(record.id, ['executing'], patch);
      if (updated !== undefined) {
        await tx.audit([entry(giveUp ? 'action.failed' : 'action.dispatch_failed', now, record, { event: giveUp ? 'upstream_failed' : 'retry', attempt: attempts, code })]);
      }
      return updated;
    });
    const final = next ?? record;
    d.events.changed(final);
    return final;
  }
}
