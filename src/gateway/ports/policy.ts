import type { ActionDescriptor } from '../../core/action/descriptor.ts';
import type { BranchCard } from '../../core/branch-card/branch-card.ts';
import type { VelocityPrincipal, VelocityQuery, VelocityTotal } from '../../core/policy/types.ts';
import type { ClassificationSummary } from '../action-record.ts';

/** The gateway's view of the active policy: what it asks, not how the engine answers. */
export interface PolicyPort {
  readonly hash: string;
  readonly name: string;
  actuators(): string[];
  upstreamOf(actuator: string): string | undefined;
  /** The MCP server an actuator is (policy `mcp_servers:`), or undefined for an HTTP actuator. */
  mcpServerOf(actuator: string): { name: string; url: string; bearerEnv?: string; tools: string[] } | undefined;
  /** Names of the MCP servers in the policy. */
  mcpServers(): string[];
  /** `who`: the requesting agent's owner and organisation (velocityPrincipalOf), for the wider scopes. */
  velocityQueries(descriptor: ActionDescriptor, now: number, who: VelocityPrincipal): VelocityQuery[];
  classify(descriptor: ActionDescriptor, ctx: { branchCard?: BranchCard; velocity: VelocityTotal[] }): ClassificationSummary;
  /** Maps a reverse-proxy request to descriptor fields (operation, target, amount, …). */
  mapProxy(
    actuator: string,
    req: { method: string; path: string; query: Record<string, string>; body: unknown },
  ): Pick<ActionDescriptor, 'operation' | 'target' | 'parameters' | 'amount' | 'currency' | 'reversibility'>;
  /** People allowed to veto a cooling action. */
  vetoers(): string[];
  /** Webhook endpoints to notify of actions waiting for humans. */
  webhooks(): { url: string }[];
}
