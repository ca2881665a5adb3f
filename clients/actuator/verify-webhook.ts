import { createHmac, createPublicKey, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
import { constantTimeEqual } from '../../src/core/constant-time.ts';
import { FirewallError } from '../../src/core/errors.ts';

/**
 * Verify a Standard Webhooks delivery (https://www.standardwebhooks.com) from the gateway:
 *   webhook-id, webhook-timestamp (Unix seconds), webhook-signature (space-separated
 *   `v1,<base64 HMAC-SHA256>` and/or `v1a,<base64 Ed25519>` entries),
 * signed content `${webhook-id}.${webhook-timestamp}.${raw body}`. Give exactly one of
 * `publicKey` (checks v1a entries) or `secret` (checks v1 entries). Pass the raw body bytes, not a
 * re-serialised JSON object. Throws FirewallError (WEBHOOK_*, status 400/401) on any failure.
 */

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** Gateway webhook key: `whpk_<base64 raw Ed25519 key>`, an Ed25519 public JWK, or a KeyObject. */
  publicKey?: string | JsonWebKey | KeyObject;
  /** Per-endpoint symmetric secret: `whsec_<base64 key>`. */
  secret?: string;
  /** Accepted distance between webhook-timestamp and now, seconds. Default 300. */
  toleranceSec?: number;
  /** Milliseconds since the epoch. Default Date.now(). */
  now?: number;
}

export interface VerifiedWebhook {
  id: string;
  /** webhook-timestamp, Unix seconds. */
  timestamp: number;
  /** The scheme of the signature that verified. */
  scheme: 'v1' | 'v1a';
}

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MESSAGE_ID = /^[\x21-\x2d\x2f-\x7e]{1,256}$/; // visible ASCII, no '.'

function fail(code: string, message: string, status = 401): never {
  throw new FirewallError(code, message, { status });
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const rec = headers as Record<string, string | string[] | undefined>;
  const v = rec[name] ?? Object.entries(rec).find(([k]) => k.toLowerCase() === name)?.[1];
  if (Array.isArray(v)) fail('WEBHOOK_HEADERS_INVALID', `${name} header appears more than once`, 400);
  return v;
}

/** `whsec_<base64>` (the prefix is optional) to key bytes. */
export function decodeWebhookSecret(secret: string): Buffer {
  const b64 = secret.startsWith('whsec_') ? secret.slice(6) : secret;
  if (!BASE64.test(b64)) fail('WEBHOOK_SECRET_INVALID', "webhook secret must be 'whsec_' followed by base64", 500);
  const key = Buffer.from(b64, 'base64');
  if (key.length < 24 || key.length > 64) fail('WEBHOOK_SECRET_INVALID', `webhook secret must be 24 to 64 bytes, got ${key.length}`, 500);
  return key;
}

function publicKeyObject(k: string | JsonWebKey | KeyObject): KeyObject {
  try {
    if (typeof k === 'string') {
      const b64 = k.startsWith('whpk_') ? k.slice(5) : k;
      if (!BASE64.test(b64)) throw new Error('not base64');
      const raw = Buffer.from(b64, 'base64');
      if (raw.length !== 32) throw new Error('not 32 bytes');
      return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    }
    const key = 'asymmetricKeyType' in k ? (k as KeyObject) : createPublicKey({ key: k as JsonWebKey, format: 'jwk' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not Ed25519');
    return key;
  } catch (e) {
    throw new FirewallError('WEBHOOK_KEY_INVALID', "webhook public key must be 'whpk_<base64 32-byte Ed25519 key>', an Ed25519 JWK or KeyObject", { status: 500, cause: e });
  }
}

export function verifyWebhook(headers: WebhookHeaders, body: string | Uint8Array, options: VerifyWebhookOptions): VerifiedWebhook {
  if ((options.publicKey === undefined) === (options.secret === undefined)) {
    fail('WEBHOOK_KEY_INVALID', 'verifyWebhook() needs exactly one of publicKey or secret', 500);
  }
  const id = header(headers, WEBHOOK_ID_HEADER);
  const ts = header(headers, WEBHOOK_TIMESTAMP_HEADER);
  const sigs = header(headers, WEBHOOK_SIGNATURE_HEADER);
  if (id === undefined || ts === undefined || sigs === undefined) {
    fail('WEBHOOK_HEADERS_MISSING', `delivery must carry ${WEBHOOK_ID_HEADER}, ${WEBHOOK_TIMESTAMP_HEADER} and ${WEBHOOK_SIGNATURE_HEADER}`, 400);
  }
  if (!MESSAGE_ID.test(id)) fail('WEBHOOK_HEADERS_INVALID', `${WEBHOOK_ID_HEADER} must be 1-256 visible ASCII characters without '.'`, 400);
  if (!/^[0-9]{1,12}$/.test(ts)) fail('WEBHOOK_HEADERS_INVALID', `${WEBHOOK_TIMESTAMP_HEADER} must be Unix seconds`, 400);
  const timestamp = Number(ts);
  const nowSec = Math.floor((options.now ?? Date.now()) / 1000);
  const tolerance = options.toleranceSec ?? 300;
  if (timestamp < nowSec - tolerance) fail('WEBHOOK_TIMESTAMP_STALE', `${WEBHOOK_TIMESTAMP_HEADER} ${timestamp} is more than ${tolerance} s old`);
  if (timestamp > nowSec + tolerance) fail('WEBHOOK_TIMESTAMP_FUTURE', `${WEBHOOK_TIMESTAMP_HEADER} ${timestamp} is more than ${tolerance} s ahead`);

  const content = Buffer.concat([Buffer.from(`${id}.${ts}.`), typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)]);
  const scheme = options.secret !== undefined ? 'v1' : 'v1a';
  const candidates = sigs
    .split(' ')
    .filter((s) => s.length > 0)
    .slice(0, 16)
    .map((s) => s.split(','))
    .filter((parts): parts is [string, string] => parts.length === 2 && parts[0] === scheme && BASE64.test(parts[1]!))
    .map(([, b64]) => Buffer.from(b64, 'base64'));
  if (candidates.length === 0) fail('WEBHOOK_SIGNATURE_INVALID', `${WEBHOOK_SIGNATURE_HEADER} has no ${scheme} signature`);

  if (scheme === 'v1') {
    const expected = createHmac('sha256', decodeWebhookSecret(options.secret!)).update(content).digest();
    if (candidates.some((c) => constantTimeEqual(c, expected))) return { id, timestamp, scheme };
  } else {
    const key = publicKeyObject(options.publicKey!);
    if (candidates.some((c) => c.length === 64 && verifySignature(null, content, key, c))) return { id, timestamp, scheme };
  }
  fail('WEBHOOK_SIGNATURE_INVALID', `no ${scheme} signature in ${WEBHOOK_SIGNATURE_HEADER} matches this delivery`);
}
