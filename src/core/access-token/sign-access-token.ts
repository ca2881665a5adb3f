import { FirewallError } from '../errors.ts';
import { signCompactJws } from '../jws/sign-compact-jws.ts';
import type { PublicKeyInfo, Signer } from '../signer.ts';
import { ACCESS_TOKEN_TYP, MAX_ACCESS_TOKEN_TTL_SEC, parseScopeClaim, type AccessTokenClaims } from './access-token.ts';

function refuse(message: string): never {
  throw new FirewallError('TOKEN_SIGNING_FAILED', message, { status: 500 });
}

/**
 * Sign an access token as a compact JWS (RFC 7515 §7.1) through the Signer, which holds the key in
 * the HSM (purpose 'token', ES256 on hsm-sim). The JOSE encoding is done here by hand, like
 * sign-receipt.ts (signCompactJws), because jose's signers want a key object.
 *
 * @param key the Signer's token key (`signer.publicKey('token')`), to skip that round trip.
 */
export async function signAccessToken(signer: Signer, claims: AccessTokenClaims, options: { key?: PublicKeyInfo } = {}): Promise<string> {
  if (claims.exp <= claims.iat || claims.exp - claims.iat > MAX_ACCESS_TOKEN_TTL_SEC) refuse(`token lifetime must be 1..${MAX_ACCESS_TOKEN_TTL_SEC} s`);
  if (parseScopeClaim(claims.scope) === null) refuse(`token scope ${JSON.stringify(claims.scope)} is malformed`);
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
  return signCompactJws(signer, 'token', ACCESS_TOKEN_TYP, { ...body }, { ...(options.key === undefined ? {} : { key: options.key }), code: 'TOKEN_SIGNING_FAILED' });
}
