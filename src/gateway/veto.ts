import type { Clock } from '../core/clock.ts';
import { FirewallError } from '../core/errors.ts';
import type { PrincipalRecord } from './ports/principals.ts';
import type { Store } from './ports/store.ts';
import type { QuorumRequirement } from '../core/policy/types.ts';
import type { ActionRecord } from './action-record.ts';
import { entry } from './audit-entries.ts';
import { sourcesOf } from '../core/action/state-machine.ts';
import type { GatewayContext } from './context.ts';

/** Why the vetoer may veto: a policy vetoer (notify.vetoers), or a member of the action's quorum. */
export type VetoBasis = 'vetoer' | 'approver' | 'comparator';

/**
 * A CRITICAL action's approvers (members of its all_of groups holding the role authorizer) and
 * comparators (members of its comparator groups holding the role comparator) may each stop it
 * while it awaits its quorum. Undefined when `p` is neither.
 */
export function quorumVetoBasis(p: Pick<PrincipalRecord, 'id' | 'roles' | 'disabled'>, a: ActionRecord): VetoBasis | undefined {
  if (p.disabled || p.roles.includes('agent')) return undefined;
  const q = a.classification.requirements['quorum'] as QuorumRequirement | undefined;
  if (q === undefined) return undefined;
  if (p.roles.includes('authorizer') && q.allOf.some((c) => c.members.includes(p.id))) return 'approver';
  if (p.roles.includes('comparator') && q.comparators.some((c) => c.members.includes(p.id))) return 'comparator';
  return undefined;
}

/** A designated human stops an action that has not left yet. Terminal: a vetoed action never runs. */
export async function vetoAction(
  deps: { store: Store; clock: Clock },
  input: { actionId: string; by: string; reason: string; as?: VetoBasis },
): Promise<ActionRecord> {
  const now = deps.clock.now();
  const res = await deps.store.tx(async (tx) => {
    const current = await tx.getAction(input.actionId);
    if (current === undefined) throw new FirewallError('ACTION_NOT_FOUND', `no action '${input.actionId}'`, { status: 404 });
    const updated = await tx.updateAction(input.actionId, sourcesOf('veto'), { status: 'vetoed', dueAt: null, updatedAt: now, vetoedBy: input.by });
    if (updated === undefined) {
      throw new FirewallError('ACTION_NOT_VETOABLE', `action is '${current.status}' and can no longer be vetoed`, { status: 409, detail: { status: current.status } });
    }
    await tx.audit([entry('action.vetoed', now, current, { event: 'veto', by: input.by, ...(input.as === undefined ? {} : { as: input.as }), reason: input.reason, from: current.status })]);
    return updated;
  });
  return res;
}

/**
 * A person's veto, from the API or the approver app: allowed to a designated vetoer (role
 * authorizer, named in the policy's notify.vetoers), or to a member of an awaiting CRITICAL action's
 * quorum or comparator groups. Announces the change on the status bus.
 */
export async function vetoByPerson(ctx: GatewayContext, p: PrincipalRecord, id: string, reason: string): Promise<ActionRecord> {
  let as: VetoBasis | undefined = p.roles.includes('authorizer') && ctx.policy().vetoers().includes(p.id) ? 'vetoer' : undefined;
  if (as === undefined) {
    // A CRITICAL action awaiting its quorum may also be stopped by anyone it asks to approve or verify.
    const current = id.length <= 100 ? await ctx.store.getAction(id) : undefined;
    if (current !== undefined && current.status === 'awaiting_quorum') as = quorumVetoBasis(p, current);
  }
  if (as === undefined) {
    throw new FirewallError('ROLE_FORBIDDEN', "only a designated human vetoer, or a member of an awaiting action's quorum or comparator group, may veto actions", { status: 403 });
  }
  const a = await vetoAction({ store: ctx.store, clock: ctx.clock }, { actionId: id, by: p.id, reason: reason.slice(0, 500), as });
  ctx.bus.changed(a);
  return a;
}
