import type { Clock } from '../core/clock.ts';
import { FirewallError } from '../core/errors.ts';
import type { Store } from '../adapters/store/store.ts';
import type { ActionRecord } from './action-record.ts';
import { entry } from './audit-entries.ts';
import { sourcesOf } from '../core/action/state-machine.ts';

/** A designated human stops an action that has not left yet. Terminal: a vetoed action never runs. */
export async function vetoAction(
  deps: { store: Store; clock: Clock },
  input: { actionId: string; by: string; reason: string },
): Promise<ActionRecord> {
  const now = deps.clock.now();
  const res = await deps.store.tx(async (tx) => {
    const current = await tx.getAction(input.actionId);
    if (current === undefined) throw new FirewallError('ACTION_NOT_FOUND', `no action '${input.actionId}'`, { status: 404 });
    const updated = await tx.updateAction(input.actionId, sourcesOf('veto'), { status: 'vetoed', dueAt: null, updatedAt: now, vetoedBy: input.by });
    if (updated === undefined) {
      throw new FirewallError('ACTION_NOT_VETOABLE', `action is '${current.status}' and can no longer be vetoed`, { status: 409, detail: { status: current.status } });
    }
    await tx.audit([entry('action.vetoed', now, current, { event: 'veto', by: input.by, reason: input.reason, from: current.status })]);
    return updated;
  });
  return res;
}
