/**
 * @analog-firewall/actuator: what an actuator needs to trust the gateway, and nothing else.
 *  - analogFirewall(): express middleware that admits only requests with a receipt bound to them;
 *  - verifyWebhook(): Standard Webhooks verification of the gateway's notifications.
 */
export { analogFirewall, type AnalogFirewallOptions } from './middleware.ts';
export { captureRawBody, rawBodyOf, readRawBody, isJsonContentType, DEFAULT_BODY_LIMIT_BYTES } from './raw-body.ts';
export { MemoryReplayCache, type MemoryReplayCacheOptions, type ReplayCache } from './replay-cache.ts';
export { RedisReplayCache } from './redis-replay-cache.ts';
export { receiptKeySet, verifyReceipt, type VerifyReceiptOptions } from './verify-receipt.ts';
export { mcpReceiptGuard, MCP_RECEIPT_META_KEY, type McpReceiptGuardOptions } from './mcp-receipt-guard.ts';
export { problemFor, sendProblem, PROBLEM_TYPE_BASE, type ProblemDetails } from './problem.ts';
export {
  verifyWebhook,
  decodeWebhookSecret,
  WEBHOOK_ID_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  type VerifyWebhookOptions,
  type VerifiedWebhook,
  type WebhookHeaders,
} from './verify-webhook.ts';
export { verifyReceiptClaims, type VerifyReceiptClaimsOptions } from '../../src/core/receipt/verify-receipt-claims.ts';
export { evaluateReceiptQuorum, verifyReceiptQuorum, type ReceiptQuorumEvaluation, type QuorumShortfall } from '../../src/core/receipt/receipt-quorum.ts';
export { parseReceiptClaims, parseReceiptQuorum } from '../../src/core/receipt/parse-receipt-claims.ts';
export {
  RECEIPT_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  RECEIPT_TYP,
  type ReceiptClaims,
  type ReceiptApproval,
  type ReceiptQuorum,
  type ReceiptRequestBinding,
  type VerifiedReceipt,
} from '../../src/core/receipt/receipt.ts';
