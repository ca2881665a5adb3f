import type { QuorumRequirement } from '../../core/policy/types.ts';
import type { InboxItem, InboxKind } from './inbox-item.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { ActionRecord } from '../action-record.ts';
import type { GatewayContext } from '../context.ts';
import type { SignatureService } from '../signatures/service.ts';
import type { ChallengeRow } from '../ports/signatures.ts';

export type { InboxItem, InboxKind } from './inbox-item.ts';

function item(kind: InboxKind, a: ActionRecord, extra: Partial<InboxItem> = {}): InboxItem {
  const d = a.descriptor;
  return {
    kind,
    actionId: a.id,
    tier: a.classification.tier,
    status: a.status,
    operation: d.operation,
    actuator: d.actuator,
    target: d.target,
    ...(d.amount === undefined ? {} : { amount: d.amount, currency: d.currency! }),
    agent: d.agent,
    ...(a.dueAt === null ? {} : { deadline: new Date(a.dueAt).toISOString() }),
    ...extra,
  };
}

/** The person's inbox, most urgent first (earliest deadline). Reads committed state only. */
export async function inboxOf(ctx: GatewayContext, signatures: SignatureService, p: PrincipalRecord): Promise<InboxItem[]> {
  const out: InboxItem[] = [];
  const actions = new Map<string, ActionRecord>();
  for (const a of await ctx.store.actionsInStatus(['cooling', 'awaiting_signature', 'awaiting_quorum'])) actions.set(a.id, a);
  const challengeItem = (c: ChallengeRow, kind: InboxKind, extra: Partial<InboxItem> = {}) => {
    const a = c.actionId === null ? undefined : actions.get(c.actionId);
    if (a !== undefined) out.push(item(kind, a, { challengeId: c.id, deadline: new Date(Math.min(c.expiresAt, a.dueAt ?? c.expiresAt)).toISOString(), ...extra }));
  };
  for (const c of await ctx.store.signatures.openChallengesOf(p.id)) {
    if (c.purpose !== 'action') continue;
    const a = c.actionId === null ? undefined : actions.get(c.actionId);
    // My own witness-mode challenge: nothing to sign here, but the person sees that it waits on them.
    challengeItem(c, c.mode === 'witness' ? 'witnessed' : a?.classification.tier === 'CRITICAL' ? 'share' : 'signature');
  }
  if (p.roles.includes('authorizer') && ctx.policy().vetoers().includes(p.id)) {
    for (const a of actions.values()) if (a.status === 'cooling' && a.agent !== p.id) out.push(item('veto', a));
  }
  if (p.roles.includes('comparator')) {
    for (const a of actions.values()) {
      if (a.status !== 'awaiting_quorum') continue;
      const q = a.classification.requirements['quorum'] as QuorumRequirement | undefined;
      if (q?.comparators.some((c) => !c.biological && c.members.includes(p.id))) out.push(item('comparator', a));
    }
    for (const c of await ctx.store.signatures.allOpenChallenges()) {
      if (c.mode === 'witness' && c.person !== p.id && c.state === 'issued') challengeItem(c, 'witness', { person: c.person });
    }
  }
  out.sort((x, y) => (x.deadline ?? '9').localeCompare(y.deadline ?? '9'));
  return out;
}
