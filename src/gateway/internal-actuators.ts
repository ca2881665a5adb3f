import type { ActionRecord } from './action-record.ts';

/**
 * Pseudo-actuators: actions the gateway executes itself instead of forwarding anywhere. Their names
 * start with '@', which no policy can use for an actuator (policy ids start with a letter or digit),
 * so an agent can never submit to one (ACTUATOR_UNKNOWN) and a policy can never route one upstream.
 * The dispatcher hands an executing action on such an actuator to its executor and never opens a
 * connection for it; without an executor the action fails, it is never forwarded.
 */

/**
 * Executes an action that is durably `executing` and returns its final record (executed or failed).
 * `receipt` is the receipt the dispatcher issued for it, to record in action.executed as for any
 * execution. A thrown error is a failed attempt (retried, then the action fails).
 */
export type InternalExecutor = (record: ActionRecord, receipt: { jws: string; jti: string }) => Promise<ActionRecord>;

/** A policy change that needed a quorum (gateway/policy-governance.ts): executing it applies the policy. */
export const POLICY_ACTUATOR = '@policy';

export function isInternalActuator(actuator: string): boolean {
  return actuator.startsWith('@');
}
