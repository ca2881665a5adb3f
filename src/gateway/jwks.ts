import type { KeyPurpose, Signer } from '../core/signer.ts';

/** Keys a relying party may need: receipts (actuators), checkpoints (regulators), tokens, webhooks. */
export const PUBLISHED_KEY_PURPOSES: readonly KeyPurpose[] = ['receipt', 'checkpoint', 'token', 'webhook'];

/**
 * The gateway's JWK Set as served at /.well-known/jwks.json: public keys only, each with its
 * purpose (`af:purpose`) and, when the HSM attests it, its certificate chain (`x5c`).
 */
export async function publishedJwks(signer: Signer): Promise<{ keys: JsonWebKey[] }> {
  const keys: JsonWebKey[] = [];
  for (const purpose of PUBLISHED_KEY_PURPOSES) {
    const k = await signer.publicKey(purpose);
    keys.push({ ...k.jwk, kid: k.kid, alg: k.alg, use: 'sig', key_ops: ['verify'], 'af:purpose': purpose, ...(k.x5c.length > 0 ? { x5c: k.x5c } : {}) } as JsonWebKey);
  }
  return { keys };
}
