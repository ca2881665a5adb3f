import type { PrincipalRecord } from '../ports/principals.ts';
import { FirewallError } from '../../core/errors.ts';
import { summariseAction } from '../../core/signature/summary.ts';
import type { ActionRecord } from '../action-record.ts';
import { actionView } from '../action-view.ts';
import { velocityPrincipalOf } from '../../core/policy/types.ts';
import type { GatewayContext } from '../context.ts';
import type { SignatureService } from '../signatures/service.ts';
import { quorumVetoBasis } from '../veto.ts';
import { inboxOf } from './inbox.ts';

const READ_ROLES = new Set(['admin', 'authorizer', 'comparator', 'regulator']);

/**
 * An action as the approver app shows it (what you see is what you sign): the API's action view,
 * the plain-language summary the signature binds, who the agent is and who owns it, the velocity
 * context at the time it was received, the Branch Card's part in the decision, and what this person
 * may do about it. Agent-supplied fields are returned as they are: the page shows them as text.
 */
export async function actionDetail(ctx: GatewayContext, signatures: SignatureService, p: PrincipalRecord, id: string): Promise<Record<string, unknown>> {
  const a = id.length <= 100 ? await ctx.store.getAction(id) : undefined;
  if (a === undefined || !p.roles.some((r) => READ_ROLES.has(r))) throw new FirewallError('ACTION_NOT_FOUND', `no action '${id.slice(0, 100)}'`, { status: 404 });
  const agent = await ctx.store.principals.get(a.agent);
  const mine = (await inboxOf(ctx, signatures, p)).filter((i) => i.actionId === a.id);
  const c = a.classification;
  return {
    action: actionView(a),
    summary: summariseAction(a.descriptor, c.tier),
    agent: { id: a.agent, ...(agent?.owner === undefined ? {} : { owner: agent.owner }), ...(agent?.organisation === undefined ? {} : { organisation: agent.organisation }) },
    velocity: await velocityContext(ctx, a),
    branchCard: {
      supplied: a.descriptor.branchCardSha256 !== undefined,
      ...(a.descriptor.branchCardSha256 === undefined ? {} : { sha256: a.descriptor.branchCardSha256 }),
      gates: c.reasons.filter((r) => r.includes('branch-card:') || r.toLowerCase().includes('branch card')),
    },
    fingerprint: fingerprint(a.digest),
    can: {
      sign: mine.find((i) => i.kind === 'signature' || i.kind === 'share')?.challengeId ?? null,
      veto: mine.some((i) => i.kind === 'veto') || (a.status === 'awaiting_quorum' && quorumVetoBasis(p, a) !== undefined),
      report: true,
    },
  };
}

/** The digest as people compare it: its first 16 hex digits in groups of four. */
export function fingerprint(digest: string): string {
  return (digest.slice(0, 16).match(/.{4}/g) ?? []).join(' ');
}

async function velocityContext(ctx: GatewayContext, a: ActionRecord): Promise<{ rule: string; count: number; amount: number }[]> {
  const queries = ctx.policy().velocityQueries(a.descriptor, a.createdAt, a.principal ?? velocityPrincipalOf({ id: a.agent }));
  if (queries.length === 0) return [];
  // The store answers velocity inside a transaction (the same read the classification made); it writes nothing.
  const totals = await ctx.store.tx(async (tx) => tx.velocityTotals(queries), { durable: false });
  return totals.map((t) => ({ rule: t.ruleId, count: t.count, amount: t.amount }));
}
