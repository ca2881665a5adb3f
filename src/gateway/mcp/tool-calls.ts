import { createHash } from 'node:crypto';
import type { ActionDescriptor, Reversibility } from '../../core/action/descriptor.ts';
import { isTerminal, type ActionStatus } from '../../core/action/status.ts';
import { canonicalJson } from '../../core/canonical.ts';
import { FirewallError, isFirewallError } from '../../core/errors.ts';
import { MCP_REQUEST_METHOD, toolArgumentsBytes, toolCallPath } from '../../core/mcp/tool-call-request.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { ActionRecord } from '../action-record.ts';
import type { GatewayContext } from '../context.ts';
import { submitAction } from '../submit.ts';
import type { ToolCatalog } from './tool-catalog.ts';
import { toolResultOf, type ToolResult } from './tool-result.ts';
import type { UpstreamTool } from './upstream-port.ts';

export interface ToolCallInput {
  agent: PrincipalRecord;
  /** Namespaced name, `<server>__<tool>`. */
  name: string;
  arguments: unknown;
  /** From `_meta['io.analog-firewall/idempotency-key']`, already validated; else derived from the request id and arguments. */
  idempotencyKey?: string;
  requestId: string | number;
  branchCard?: unknown;
  /** Called every progressEveryMs while the call is held (MCP progress notifications). */
  progress?: (record: ActionRecord, elapsedMs: number) => Promise<void>;
  /**
   * Told once when the call waits for people (e.g. to point them at the approver app), and once
   * when that action has ended within the wait.
   */
  people?: { held: (record: ActionRecord) => void; ended: (record: ActionRecord) => Promise<void> };
  signal?: AbortSignal;
}

/** Statuses in which a person can act on the call (veto a cooling one, sign, add a share of the quorum). */
const WAITING_FOR_PEOPLE: ReadonlySet<ActionStatus> = new Set(['cooling', 'awaiting_signature', 'awaiting_quorum']);

/** Progress while a call is held: often enough that clients which reset their timeout on progress keep waiting. */
const PROGRESS_EVERY_MS = 2_000;

const RANK: Record<Reversibility, number> = { fully_reversible: 0, partially_reversible: 1, irreversible: 2 };

/**
 * Annotations are the upstream's untrusted hints: they may raise the stakes, never lower them. An
 * explicit destructiveHint (on a tool not marked read-only) makes the call irreversible, which the
 * policy never lets below HIGH.
 */
export function reversibilityWithHints(mapped: Reversibility, tool: UpstreamTool): Reversibility {
  const a = tool.annotations ?? {};
  const hinted: Reversibility = a['destructiveHint'] === true && a['readOnlyHint'] !== true ? 'irreversible' : mapped;
  return RANK[hinted] > RANK[mapped] ? hinted : mapped;
}

/**
 * The MCP entrance's tools/call: the same pipeline as /proxy and /v1/actions (classification,
 * velocity, Branch Card gates, log, receipt, idempotency), then a bounded wait at human tempo.
 */
export class ToolCalls {
  readonly #ctx: GatewayContext;
  readonly #catalog: ToolCatalog;
  readonly #holdMs: number;
  readonly #progressEveryMs: number;

  constructor(o: { ctx: GatewayContext; catalog: ToolCatalog; holdMs: number; progressEveryMs?: number }) {
    this.#ctx = o.ctx;
    this.#catalog = o.catalog;
    this.#holdMs = o.holdMs;
    this.#progressEveryMs = o.progressEveryMs ?? PROGRESS_EVERY_MS;
  }

  async call(input: ToolCallInput): Promise<ToolResult> {
    const submitted = await this.submit(input);
    const waits = WAITING_FOR_PEOPLE.has(submitted.status);
    if (waits) input.people?.held(submitted);
    const record = await this.#hold(submitted, input);
    if (waits && isTerminal(record.status)) await input.people?.ended(record).catch(() => {});
    return toolResultOf(record, { origin: this.#ctx.publicUrl, now: this.#ctx.clock.now() });
  }

  /** Records the call as an action (and forwards it at once when LOW); no waiting. */
  async submit(input: ToolCallInput): Promise<ActionRecord> {
    const entry = await this.#catalog.find(input.name);
    const args = input.arguments ?? {};
    const bytes = toolArgumentsBytes(args); // refuses non-objects
    this.#catalog.validate(entry, args as Record<string, unknown>);
    const server = entry.server.name;
    const tool = entry.tool.name;
    const path = toolCallPath(tool);
    const policy = this.#ctx.policy();
    let fields: Pick<ActionDescriptor, 'operation' | 'target' | 'parameters' | 'amount' | 'currency' | 'reversibility'>;
    try {
      fields = policy.mapProxy(server, { method: MCP_REQUEST_METHOD, path, query: {}, body: args });
    } catch (e) {
      if (!isFirewallError(e, 'PROXY_ROUTE_UNKNOWN')) throw e;
      // A tool the policy does not map: the gateway cannot know what it does, so it is treated as irreversible (never below HIGH).
      fields = { operation: tool, target: server, parameters: { arguments: args }, reversibility: 'irreversible' };
    }
    fields = { ...fields, reversibility: reversibilityWithHints(fields.reversibility, entry.tool) };
    const idempotencyKey = input.idempotencyKey ?? `mcp-${createHash('sha256').update(canonicalJson({ id: input.requestId, tool: input.name, arguments: args })).digest('hex').slice(0, 48)}`;
    const out = await submitAction(this.#ctx, {
      agent: input.agent,
      idempotencyKey,
      fields: { actuator: server, ...fields },
      forward: { method: MCP_REQUEST_METHOD, path, contentType: 'application/json', bodyB64: bytes.toString('base64') },
      bodySha256: createHash('sha256').update(bytes).digest('hex'),
      ...(input.branchCard === undefined ? {} : { branchCard: input.branchCard }),
    });
    return out.record;
  }

  /** One of the agent's own actions, waiting up to `ms` for it to end; another agent's is reported as missing. */
  async own(agent: PrincipalRecord, actionId: string, ms: number, signal?: AbortSignal): Promise<ActionRecord> {
    const a = actionId.length > 200 ? undefined : await this.#ctx.store.getAction(actionId);
    if (a === undefined || a.agent !== agent.id) throw new FirewallError('ACTION_NOT_FOUND', `no action ${actionId.slice(0, 200)} of this agent`, { status: 404 });
    return this.#waitTerminal(a, ms, undefined, signal);
  }

  /** analog_firewall_status: the outcome of one of the agent's own held calls, waiting up to `waitSec`. */
  async status(agent: PrincipalRecord, actionId: unknown, waitSec: unknown, signal?: AbortSignal): Promise<ToolResult> {
    if (typeof actionId !== 'string' || actionId.length === 0 || actionId.length > 200) {
      throw new FirewallError('MCP_ARGUMENTS_INVALID', "'actionId' must be the action id a held call returned", { status: 400 });
    }
    const wait = waitSec === undefined ? 0 : Number(waitSec);
    if (!Number.isFinite(wait) || wait < 0 || wait > 30) throw new FirewallError('MCP_ARGUMENTS_INVALID', "'waitSeconds' must be 0 to 30", { status: 400 });
    const record = await this.own(agent, actionId, wait * 1000, signal);
    return toolResultOf(record, { origin: this.#ctx.publicUrl, now: this.#ctx.clock.now() });
  }

  #hold(record: ActionRecord, input: ToolCallInput): Promise<ActionRecord> {
    return this.#waitTerminal(record, this.#holdMs, input.progress, input.signal);
  }

  /** Waits for a terminal status, at most `ms`, reporting progress; a closed connection ends the wait, never the action. */
  #waitTerminal(record: ActionRecord, ms: number, progress: ToolCallInput['progress'], signal: AbortSignal | undefined): Promise<ActionRecord> {
    if (isTerminal(record.status) || ms <= 0) return Promise.resolve(record);
    const started = Date.now();
    return new Promise<ActionRecord>((resolve) => {
      let latest = record;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        unsubscribe();
        clearTimeout(deadline);
        clearInterval(ticker);
        signal?.removeEventListener('abort', finish);
        // The bus may have been ahead of this subscription: read the stored state once more.
        void this.#ctx.store.getAction(record.id).then(
          (a) => resolve(a ?? latest),
          () => resolve(latest),
        );
      };
      const unsubscribe = this.#ctx.bus.subscribe(record.id, (a) => {
        latest = a;
        if (isTerminal(a.status)) finish();
      });
      const deadline = setTimeout(finish, ms);
      const ticker = setInterval(() => {
        if (progress !== undefined) progress(latest, Date.now() - started).catch(() => {});
      }, this.#progressEveryMs);
      signal?.addEventListener('abort', finish);
      // A change between the submit and the subscription above.
      void this.#ctx.store.getAction(record.id).then((a) => {
        if (a !== undefined && isTerminal(a.status)) {
          latest = a;
          finish();
        }
      });
    });
  }
}
