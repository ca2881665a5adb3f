export { WebhookSender, parseRetryAfter, type WebhookSenderOptions, type DeliveryOutcome, type DeliveryFailure, type DeliveryHandle } from './webhook-sender.ts';
export {
  webhookSignedContent,
  webhookSecretKey,
  generateWebhookSecret,
  symmetricWebhookSignature,
  asymmetricWebhookSignature,
  webhookPublicKey,
} from './webhook-signature.ts';
export { EventHub, type EventHubOptions } from './event-hub.ts';
export { sseFrame, SSE_HEARTBEAT } from './sse-frame.ts';
