import { hkdfSync } from 'node:crypto';
import { FirewallError } from '../../core/errors.ts';
import type { Signer } from '../../core/signer.ts';

/**
 * Per-session request-signing keys, derived through the HSM so the gateway holds no long-term
 * secret. The session id carries 192 random bits; the HSM's `session` key (Ed25519, never
 * published) signs a label, the agent and that id, and the key is HKDF of the signature:
 *
 *   sig = Ed25519-Sign(session key, "analog-firewall/session-key/v1\n" || agent || "\n" || id)
 *   key = HKDF-SHA-256(ikm = sig, salt = "analog-firewall/session-key/v1", info = id, L = 32)
 *
 * Ed25519 signatures are deterministic (RFC 8032), so every replica and every restart derives the
 * same key from the id, and nobody without the device key can (r and S depend on the secret
 * scalar and prefix). Both hsm-sim and PKCS#11 (CKM_EDDSA) do this; neither needs a secret-key
 * object. `checkDeterministic` refuses a backend whose signatures are randomised.
 */
export const SESSION_KEY_LABEL = 'analog-firewall/session-key/v1';

export async function deriveSessionKey(signer: Signer, agent: string, sessionId: string): Promise<Buffer> {
  const sig = await signer.sign('session', Buffer.from(`${SESSION_KEY_LABEL}\n${agent}\n${sessionId}`, 'utf8'));
  if (sig.alg !== 'EdDSA') throw new FirewallError('SESSIONS_UNAVAILABLE', 'the HSM session key must be Ed25519 (deterministic signatures)', { status: 503 });
  return Buffer.from(hkdfSync('sha256', sig.signature, SESSION_KEY_LABEL, sessionId, 32));
}

/** Signs the same probe twice: a randomised backend would give every replica a different key. */
export async function checkDeterministic(signer: Signer): Promise<void> {
  const [a, b] = await Promise.all([deriveSessionKey(signer, 'probe', 'determinism-probe'), deriveSessionKey(signer, 'probe', 'determinism-probe')]);
  if (!a.equals(b)) throw new FirewallError('SESSIONS_UNAVAILABLE', "the HSM's session signatures are not deterministic; sessions cannot be derived", { status: 503 });
}
