import type { ActionDescriptor } from '../core/action/descriptor.ts';
import { canonicalDigest } from '../core/canonical.ts';
import { FirewallError } from '../core/errors.ts';
import { velocityPrincipalOf } from '../core/policy/types.ts';
import { MCP_REQUEST_METHOD } from '../core/mcp/tool-call-request.ts';
import type { PrincipalRecord } from './ports/principals.ts';
import type { ActionRecord, ForwardRequest } from './action-record.ts';
import { acceptAction } from './accept-action.ts';
import type { GatewayContext } from './context.ts';

export interface SubmitInput {
  agent: PrincipalRecord;
  idempotencyKey: string;
  fields: Omit<ActionDescriptor, 'agent' | 'request' | 'branchCardSha256'>;
  forward: ForwardRequest;
  bodySha256: string;
  branchCard?: unknown;
}

/**
 * The one pipeline both entrances share: authorisation of the caller's role, limits, durable
 * acceptance with classification, then (LOW only) immediate dispatch. Nothing is forwarded unless
 * the store, the signer and the policy are ready.
 */
export async function submitAction(ctx: GatewayContext, input: SubmitInput): Promise<{ record: ActionRecord; created: boolean }> {
  const started = process.hrtime.bigint();
  if (!input.agent.roles.includes('agent')) {
    throw new FirewallError('ROLE_FORBIDDEN', 'only agent credentials may submit actions', { status: 403 });
  }
  if (!ctx.isReady()) {
    throw new FirewallError('GATEWAY_NOT_READY', 'the gateway is not ready (store, signer, policy or shared state unavailable); nothing was accepted', { status: 503 });
  }
  const policy = ctx.policy();
  if (policy.upstreamOf(input.fields.actuator) === undefined) {
    throw new FirewallError('ACTUATOR_UNKNOWN', `actuator '${input.fields.actuator}' is not in the active policy`, { status: 422 });
  }
  // An MCP server's tools are reached only through /mcp, and /mcp reaches only MCP servers: an
  // HTTP request to an MCP server (or the reverse) would carry a receipt the actuator cannot check.
  if ((policy.mcpServerOf(input.fields.actuator) !== undefined) !== (input.forward.method === MCP_REQUEST_METHOD)) {
    throw new FirewallError('ACTUATOR_ENTRANCE_MISMATCH', `actuator '${input.fields.actuator}' is ${input.forward.method === MCP_REQUEST_METHOD ? 'not an MCP server' : 'an MCP server: call its tools through /mcp'}`, { status: 422 });
  }
  const card = input.branchCard === undefined ? undefined : ctx.parseBranchCard(input.branchCard);
  const descriptor: ActionDescriptor = {
    agent: input.agent.id,
    ...input.fields,
    request: { method: input.forward.method, path: input.forward.path, bodySha256: input.bodySha256 },
    ...(card === undefined ? {} : { branchCardSha256: canonicalDigest(card) }),
  };
  // Limits need the tier; this provisional classification counts no history (velocity only raises it).
  const principal = velocityPrincipalOf(input.agent);
  const noHistory = policy.velocityQueries(descriptor, ctx.clock.now(), principal).map((q) => ({ ruleId: q.ruleId, count: 0, amount: 0 }));
  const provisional = policy.classify(descriptor, { ...(card === undefined ? {} : { branchCard: card }), velocity: noHistory });
  await ctx.limits.action(input.agent.id, descriptor.actuator, provisional.tier);

  // A LOW action's receipt is signed while its acceptance is being synced to disk (it leaves the
  // process only after), so the HSM round trip and the fsync overlap instead of adding up.
  let presigned: string | undefined;
  let out: Awaited<ReturnType<typeof acceptAction>>;
  try {
    out = await acceptAction(
      { store: ctx.store, policy: ctx.policy, clock: ctx.clock, dispatchLeaseMs: ctx.dispatchLeaseMs },
      {
        descriptor,
        idempotencyKey: input.idempotencyKey,
        principal,
        provisional: { policyHash: policy.hash, classification: provisional },
        forward: input.forward,
        ...(card === undefined ? {} : { branchCard: card }),
        onCommitted: (r) => {
          if (ctx.dispatcher.presign(r)) presigned = r.id;
        },
      },
    );
  } catch (e) {
    if (presigned !== undefined) ctx.dispatcher.discardPresigned(presigned);
    throw e;
  }
  let record = out.record;
  if (out.created) {
    ctx.metrics.decisions.inc({ tier: record.classification.tier, decision: record.classification.decision });
    ctx.bus.changed(record);
    if (record.status === 'executing') record = await ctx.dispatcher.dispatch(record);
  } else if (record.status === 'executing' && record.classification.tier === 'LOW') {
    // A retry of a LOW action that is still in flight waits for its outcome rather than sending again.
    record = await ctx.dispatcher.dispatch(record);
  }
  ctx.metrics.acceptLatency.observe({ tier: record.classification.tier }, Number(process.hrtime.bigint() - started) / 1e9);
  return { record, created: out.created };
}
