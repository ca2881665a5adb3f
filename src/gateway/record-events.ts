import type { Clock } from '../core/clock.ts';
import type { Store } from './ports/store.ts';

/**
 * Gateway-level log entries that belong to no action: the policy that became active (with its
 * full normalised document, so an offline verifier knows what each tier required) and the HSM's
 * own audit-log head, copied in periodically so the two logs vouch for each other.
 */
export async function recordPolicyActivated(store: Store, clock: Clock, policy: { hash: string; name: string; document: unknown }): Promise<number> {
  return store.tx(async (tx) => tx.audit([{ v: 1, type: 'policy.activated', ts: clock.now(), policyHash: policy.hash, name: policy.name, policy: policy.document }]));
}

export function copyHsmAuditHead(o: {
  store: Store;
  clock: Clock;
  auditHead: () => Promise<unknown>;
  everyMs: number;
  log: { warn: (obj: object, msg: string) => void };
}): { stop(): void; copyNow(): Promise<void> } {
  let last = '';
  const copyNow = async () => {
    try {
      const head = await o.auditHead();
      const key = JSON.stringify(head);
      if (key === last) return; // nothing happened in the HSM since the last copy
      last = key;
      await o.store.tx(async (tx) => tx.audit([{ v: 1, type: 'hsm.audit_head', ts: o.clock.now(), head }]));
    } catch (e) {
      o.log.warn({ err: (e as Error).message }, 'could not copy the HSM audit head');
    }
  };
  const timer = setInterval(() => void copyNow(), o.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), copyNow };
}
