export { WebhookSender, parseRetryAfter, type WebhookEndpoint, type WebhookMessage, type WebhookSenderOptions, type DeliveryOutcome, type DeliveryFailure, type DeliveryHandle } from './webhook-sender.ts';
export {
  webhookSignedContent,
  webhookSecretKey,
  generateWebhookSecret,
  symmetricWebhookSignature,
  asymmetricWebhookSignature,
  webhookPublicKey,
} from './webhook-signature.ts';
export { EventHub, ACTIONS_TOPIC, actionTopic, type HubMessage, type EventHubOptions, type SubscribeOptions, type HubSubscription } from './event-hub.ts';
export { sseFrame, SSE_HEARTBEAT } from './sse-frame.ts';
