import { createHmac } from 'node:crypto';
import { FirewallError } from '../../core/errors.ts';
import type { PublicKeyInfo, Signer } from '../../core/signer.ts';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com), the producer side.
 * Signed content: `${msgId}.${timestamp}.${body}`. Symmetric `v1,<base64 HMAC-SHA256>` with a
 * per-endpoint `whsec_` secret; asymmetric `v1a,<base64 Ed25519>` through the Signer (purpose
 * 'webhook'), so the gateway never holds the private key. Receivers verify with
 * clients/actuator/verify-webhook.ts.
 */

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MESSAGE_ID = /^[\x21-\x2d\x2f-\x7e]{1,256}$/;

export function webhookSignedContent(msgId: string, timestamp: number, body: string | Uint8Array): Buffer {
  if (!MESSAGE_ID.test(msgId)) {
    throw new FirewallError('WEBHOOK_ID_INVALID', "webhook id must be 1-256 visible ASCII characters without '.'", { status: 500 });
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new FirewallError('WEBHOOK_TIMESTAMP_INVALID', 'webhook timestamp must be non-negative integer seconds', { status: 500 });
  }
  return Buffer.concat([Buffer.from(`${msgId}.${timestamp}.`), typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)]);
}

/** Key bytes of a `whsec_<base64>` secret (24-64 bytes, as the spec asks). */
export function webhookSecretKey(secret: string): Buffer {
  const b64 = secret.startsWith('whsec_') ? secret.slice(6) : secret;
  const key = BASE64.test(b64) ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
  if (key.length < 24 || key.length > 64) {
    throw new FirewallError('WEBHOOK_SECRET_INVALID', "webhook secret must be 'whsec_' followed by base64 of 24 to 64 bytes", { status: 500 });
  }
  return key;
}

/** A new endpoint secret from injected randomness, e.g. `generateWebhookSecret(await signer.random(32))`. */
export function generateWebhookSecret(random: Uint8Array): string {
  if (random.length < 24 || random.length > 64) {
    throw new FirewallError('WEBHOOK_SECRET_INVALID', 'webhook secret needs 24 to 64 random bytes', { status: 500 });
  }
  return `whsec_${Buffer.from(random).toString('base64')}`;
}

/** `v1,<base64 HMAC-SHA256>` */
export function symmetricWebhookSignature(secret: string, msgId: string, timestamp: number, body: string | Uint8Array): string {
  const mac = createHmac('sha256', webhookSecretKey(secret)).update(webhookSignedContent(msgId, timestamp, body)).digest('base64');
  return `v1,${mac}`;
}

/** `v1a,<base64 Ed25519>`, signed by the Signer's 'webhook' key, which must be Ed25519. */
export async function asymmetricWebhookSignature(signer: Signer, msgId: string, timestamp: number, body: string | Uint8Array): Promise<string> {
  const sig = await signer.sign('webhook', webhookSignedContent(msgId, timestamp, body));
  if (sig.alg !== 'EdDSA' || sig.signature.length !== 64) {
    throw new FirewallError('WEBHOOK_SIGNING_FAILED', `v1a signatures are Ed25519; the webhook key '${sig.kid}' is ${sig.alg}`, { status: 500 });
  }
  return `v1a,${Buffer.from(sig.signature).toString('base64')}`;
}

/** The `whpk_<base64 raw key>` form receivers configure, from the Signer's webhook key. */
export function webhookPublicKey(info: PublicKeyInfo): string {
  const jwk = info.jwk as { kty?: unknown; crv?: unknown; x?: unknown };
  if (info.alg !== 'EdDSA' || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new FirewallError('WEBHOOK_KEY_INVALID', `webhook key '${info.kid}' is not an Ed25519 key`, { status: 500 });
  }
  return `whpk_${Buffer.from(jwk.x, 'base64url').toString('base64')}`;
}
