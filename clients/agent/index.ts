/**
 * @analog-firewall/agent: the SDK an AI agent uses to ask the gateway to act.
 */
export { AgentClient } from './agent-client.ts';
export type { AgentClientOptions, RequestOptions, SubmitOptions, SubmitResult, ProxyOptions, ProxyResult, WaitOptions } from './agent-client-options.ts';
export { AgentClientError, type Problem } from './agent-client-error.ts';
export {
  ACTION_STATUSES,
  TERMINAL_STATUSES,
  isTerminal,
  isSettled,
  parseAction,
  type Action,
  type ActionRequest,
  type ActionStatus,
  type ActionTier,
  type UpstreamResponse,
} from './action.ts';
export { generateAgentKeyPair, loadAgentSigningKey, type AgentKeyPair, type AgentKeyAlgorithm, type AgentSigningKey } from './keys.ts';
export { mintClientAssertion, htuOf, MAX_ASSERTION_LIFETIME_SEC, type AssertionParams } from './client-assertion.ts';
export { signWithSession, SESSION_COMPONENTS, type SessionSignatureParams, type SessionSignature } from './session-signature.ts';
