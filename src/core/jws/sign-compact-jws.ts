import { canonicalJson } from '../canonical.ts';
import { FirewallError } from '../errors.ts';
import type { KeyPurpose, PublicKeyInfo, Signer } from '../signer.ts';

/**
 * A compact JWS (RFC 7515 §7.1) signed through the Signer, whose key never leaves the HSM. The
 * JOSE encoding is done here because jose's signers want a key object. Header and claims are
 * RFC 8785 canonical JSON. Fails with `code` when the signer answers with another key or a
 * signature of the wrong size.
 */
export async function signCompactJws(
  signer: Signer,
  purpose: KeyPurpose,
  typ: string,
  claims: Record<string, unknown>,
  o: { key?: PublicKeyInfo; code: string },
): Promise<string> {
  const refuse = (message: string): never => {
    throw new FirewallError(o.code, message, { status: 500 });
  };
  const key = o.key ?? (await signer.publicKey(purpose));
  if (key.purpose !== purpose) refuse(`key '${key.kid}' is for purpose '${key.purpose}', not '${purpose}'`);
  const header = { alg: key.alg, kid: key.kid, typ };
  const signingInput = `${Buffer.from(canonicalJson(header)).toString('base64url')}.${Buffer.from(canonicalJson(claims)).toString('base64url')}`;
  const sig = await signer.sign(purpose, Buffer.from(signingInput, 'ascii'));
  if (sig.kid !== key.kid || sig.alg !== key.alg) refuse(`signer used key '${sig.kid}' (${sig.alg}) but the header names '${key.kid}' (${key.alg})`);
  if (sig.signature.length !== 64) refuse(`${sig.alg} signature must be 64 bytes, signer returned ${sig.signature.length}`);
  return `${signingInput}.${Buffer.from(sig.signature).toString('base64url')}`;
}
