import type { Policy } from '../core/policy/types.ts';
import { policyPort } from './policy-port.ts';
import type { PolicyPort } from './ports/policy.ts';

/**
 * The active policy, swappable at run time. The gateway reads it through `port` (GatewayParts.policy),
 * once per decision, so each classification sees one whole policy: the swap replaces one reference,
 * which in a single-threaded process is atomic. Swaps happen only after the activation is committed
 * (gateway/policy-governance.ts), and carry the activation's sequence number so that two commits
 * resolving out of order can never leave the older policy in place.
 */
export class PolicyHolder {
  #policy: Policy;
  #port: PolicyPort;
  #seq: number;

  constructor(initial: Policy, seq = 0) {
    this.#policy = initial;
    this.#port = policyPort(initial);
    this.#seq = seq;
  }

  /** For GatewayParts.policy: the current policy's port. */
  readonly port = (): PolicyPort => this.#port;

  policy(): Policy {
    return this.#policy;
  }

  get seq(): number {
    return this.#seq;
  }

  /** Installs `next` when its activation is newer than the current one; returns whether it did. */
  install(next: Policy, seq: number): boolean {
    if (seq <= this.#seq) return false;
    this.#policy = next;
    this.#port = policyPort(next);
    this.#seq = seq;
    return true;
  }
}
