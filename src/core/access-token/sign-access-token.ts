import { canonicalJson } from '../canonical.ts';
import { FirewallError } from '../errors.ts';
import type { PublicKeyInfo, Signer } from '../signer.ts';
import { ACCESS_TOKEN_TYP, MAX_ACCESS_TOKEN_TTL_SEC, parseScopeClaim, type AccessTokenClaims, type AccessTokenHeader } from './access-token.ts';

function refuse(message: string): never {
  throw new FirewallError('TOKEN_SIGNING_FAILED', message, { status: 500 });
}

/**
 * Sign an access token as a compact JWS (RFC 7515 §7.1) through the Signer, which holds the key in
 * the HSM (purpose 'token', ES256 on hsm-sim). The JOSE encoding is done here by hand, like
 * sign-receipt.ts, because jose's signers want a key object. Header and claims are RFC 8785
 * canonical JSON.
 *
 * @param key the Signer's token key (`signer.publicKey('token')`), to skip that round trip.
 */
export async function signAccessToken(signer: Signer, claims: AccessTokenClaims, options: { key?: PublicKeyInfo } = {}): Promise<string> {
  if (claims.exp <= claims.iat || claims.exp - claims.iat > MAX_ACCESS_TOKEN_TTL_SEC) refuse(`token lifetime must be 1..${MAX_ACCESS_TOKEN_TTL_SEC} s`);
  if (parseScopeClaim(claims.scope) === null) refuse(`token scope ${JSON.stringify(claims.scope)} is malformed`);
  const key = options.key ?? (await signer.publicKey('token'));
  if (key.purpose !== 'token') refuse(`key '${key.kid}' is for purpose '${key.purpose}', not 'token'`);
  const header: AccessTokenHeader = { alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYP };
  const body: AccessTokenClaims = {
    iss: claims.iss,
    aud: claims.aud,
    sub: claims.sub,
    iat: claims.iat,
    exp: claims.exp,
    jti: claims.jti,
    scope: claims.scope,
    role: claims.role,
  };
  const signingInput = `${Buffer.from(canonicalJson(header)).toString('base64url')}.${Buffer.from(canonicalJson(body)).toString('base64url')}`;
  const sig = await signer.sign('token', Buffer.from(signingInput, 'ascii'));
  if (sig.kid !== key.kid || sig.alg !== key.alg) refuse(`signer used key '${sig.kid}' (${sig.alg}) but the token header names '${key.kid}' (${key.alg})`);
  if (sig.signature.length !== 64) refuse(`${sig.alg} signature must be 64 bytes, signer returned ${sig.signature.length}`);
  return `${signingInput}.${Buffer.from(sig.signature).toString('base64url')}`;
}
