/** Standard Webhooks to the policy's endpoints (adapters/notify/webhook-sender.ts), signed through the HSM. */

export interface WebhookEndpoint {
  url: string;
  /** Per-endpoint `whsec_` secret: adds a `v1` (HMAC) signature. */
  secret?: string;
  /** Add a `v1a` (Ed25519, Signer purpose 'webhook') signature. Default: true when no secret is given. */
  asymmetric?: boolean;
}

export interface WebhookMessage {
  /** Stable message id (`webhook-id`); default `msg_<uuid>`. Must not contain '.'. */
  id?: string;
  /** Event type, e.g. 'action.status'. */
  type: string;
  data: unknown;
}

export interface Webhooks {
  /** Queues a delivery; returns at once and never throws (retries run in the background). */
  send(endpoint: WebhookEndpoint, message: WebhookMessage): unknown;
  /** Stops retrying and waits for deliveries in flight. */
  close(): Promise<void>;
}
