import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * RFC 9421 request signing with a gateway session key (docs/api.md §Session-signed requests).
 * Exactly the form the gateway accepts: one signature labelled `sig1`, hmac-sha256, covering
 * "@method" "@target-uri" "content-digest" "idempotency-key", with created, keyid, nonce and alg.
 */
export const SESSION_COMPONENTS = ['@method', '@target-uri', 'content-digest', 'idempotency-key'] as const;

export interface SessionSignatureParams {
  method: string;
  /** The full URL the request is sent to (scheme, host, port, path, query). */
  url: string;
  body: string | Uint8Array | undefined;
  idempotencyKey: string;
  sessionId: string;
  /** The session key, 32 bytes. */
  key: Uint8Array;
  /** Seconds since the epoch. */
  created: number;
  /** Default: 16 random bytes, base64url. */
  nonce?: string;
}

export interface SessionSignature {
  headers: { 'content-digest': string; 'signature-input': string; signature: string };
  /** The RFC 9421 signature base the HMAC covers (for tests and other implementations). */
  base: string;
}

export function signWithSession(p: SessionSignatureParams): SessionSignature {
  const body = p.body === undefined ? new Uint8Array(0) : typeof p.body === 'string' ? Buffer.from(p.body, 'utf8') : p.body;
  const contentDigest = `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
  const nonce = p.nonce ?? randomBytes(16).toString('base64url');
  const params = `(${SESSION_COMPONENTS.map((c) => `"${c}"`).join(' ')});created=${p.created};keyid="${p.sessionId}";nonce="${nonce}";alg="hmac-sha256"`;
  const base = [
    `"@method": ${p.method.toUpperCase()}`,
    `"@target-uri": ${p.url}`,
    `"content-digest": ${contentDigest}`,
    `"idempotency-key": ${p.idempotencyKey}`,
    `"@signature-params": ${params}`,
  ].join('\n');
  const mac = createHmac('sha256', p.key).update(base).digest('base64');
  return { headers: { 'content-digest': contentDigest, 'signature-input': `sig1=${params}`, signature: `sig1=:${mac}:` }, base };
}
