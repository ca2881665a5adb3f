import type { ActionDescriptor } from '../core/action/descriptor.ts';
import { classify, mapProxyRequest, velocityQueries, type Policy } from '../core/policy/index.ts';
import type { VelocityPrincipal } from '../core/policy/types.ts';
import type { ClassificationSummary } from './action-record.ts';
import type { PolicyPort } from './ports/policy.ts';

/** Adapts the pure policy engine to what the gateway asks of a policy. */
export function policyPort(policy: Policy): PolicyPort {
  const actuators = Object.keys(policy.actuators);
  const mcpServers = actuators.filter((a) => policy.actuators[a]!.mcp !== undefined);
  return {
    hash: policy.hash,
    name: policy.name,
    actuators: () => actuators,
    upstreamOf: (a) => (Object.hasOwn(policy.actuators, a) ? policy.actuators[a]!.upstream : undefined),
    mcpServerOf: (a) => {
      const m = Object.hasOwn(policy.actuators, a) ? policy.actuators[a]!.mcp : undefined;
      return m === undefined ? undefined : { name: a, ...m };
    },
    mcpServers: () => mcpServers,
    velocityQueries: (d: ActionDescriptor, now: number, who: VelocityPrincipal) => velocityQueries(policy, d, now, who),
    classify: (d, ctx): ClassificationSummary => {
      const c = classify(policy, d, { velocity: ctx.velocity, ...(ctx.branchCard === undefined ? {} : { branchCard: ctx.branchCard }) });
      return {
        tier: c.tier,
        decision: c.decision,
        rule: c.decidingRule,
        reasons: c.reasons,
        matchedRules: c.matchedRules,
        policyHash: c.policyHash,
        requirements: c.requirements as Record<string, unknown>,
      };
    },
    mapProxy: (actuator, req) => {
      const { route: _route, ...mapped } = mapProxyRequest(policy, actuator, req);
      return mapped;
    },
    vetoers: () => policy.notify.vetoers,
    webhooks: () => policy.notify.webhooks,
  };
}
