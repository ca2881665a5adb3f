import type { QuorumContext } from './types.ts';

/**
 * Separation of duties (seed §VI.3: "multiple independent human authorisers"): the people on the
 * requesting side of an action never count towards its quorum, whatever roles they hold.
 *
 *  - the requesting agent itself (an agent credential never holds another role anyway);
 *  - the person who owns the agent;
 *  - every person who operates it.
 *
 * Two further rules live in the evaluation, because they concern approvals rather than people:
 *  - one person counts once: in one all_of group only, even if a member of several;
 *  - whoever approved as an authorizer cannot also be the comparator (the comparator verifies the
 *    authorizers, so it must be someone else).
 */
export function requestingParties(ctx: QuorumContext): Map<string, string> {
  const out = new Map<string, string>();
  const { agent, owner, operators } = ctx.requester;
  out.set(agent, `'${agent}' is the requesting agent`);
  if (owner !== undefined) out.set(owner, `${owner} owns the requesting agent '${agent}'`);
  for (const op of operators ?? []) if (!out.has(op)) out.set(op, `${op} operates the requesting agent '${agent}'`);
  return out;
}
