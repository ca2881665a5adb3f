import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import type { Clock } from '../../core/clock.ts';
import type { ReplayCache } from '../ports/replay-cache.ts';
import { useOnce } from '../single-use.ts';
import { oauthError, type OAuthErrorCode } from './agent-tokens.ts';

/** How far a proof's `iat` may be from the gateway's clock (RFC 9449 §11.1 leaves it to the server). */
const PROOF_WINDOW_SEC = 60;

/**
 * DPoP proofs (RFC 9449): a client that sends one with its token request gets a token bound to
 * its key (`cnf.jkt`), and must then prove possession of that key on every /mcp request. Proofs
 * are single use (jti), fresh (iat), bound to the method and URL, and at /mcp to the token (ath).
 */
export class DpopVerifier {
  readonly #clock: Clock;
  readonly #replay: ReplayCache;

  /** `replay`: the replay cache the replicas share, so a proof used on one is refused on every other. */
  constructor(o: { clock: Clock; replay: ReplayCache }) {
    this.#clock = o.clock;
    this.#replay = o.replay;
  }

  /** Verifies a proof; returns the RFC 7638 thumbprint of its key. */
  async verify(proof: string, o: { method: string; url: string; accessToken?: string; error: OAuthErrorCode }): Promise<string> {
    const fail = (why: string, cause?: unknown) => oauthError(o.error, `DPoP proof refused: ${why}`, cause);
    if (proof.length > 4096) throw fail('too long');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch (cause) {
      throw fail('not a JWS', cause);
    }
    if (header.typ !== 'dpop+jwt') throw fail("typ must be 'dpop+jwt'");
    const jwk = header.jwk as JWK | undefined;
    if (jwk === undefined || 'd' in jwk) throw fail('the header must carry the public key (jwk) and no private part');
    const now = this.#clock.now();
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['EdDSA', 'ES256'], currentDate: new Date(now), requiredClaims: ['iat', 'jti'] }));
    } catch (cause) {
      throw fail('the signature does not verify', cause);
    }
    if (payload['htm'] !== o.method) throw fail('htm is another method');
    if (typeof payload['htu'] !== 'string' || stripQuery(payload['htu']) !== o.url) throw fail('htu is another URL');
    const iat = payload['iat'] as number;
    if (Math.abs(iat * 1000 - now) > PROOF_WINDOW_SEC * 1000) throw fail('iat is not fresh');
    if (o.accessToken !== undefined && payload['ath'] !== createHash('sha256').update(o.accessToken).digest('base64url')) throw fail('ath does not match the access token');
    const jti = payload['jti'];
    if (typeof jti !== 'string' || jti.length < 8 || jti.length > 200) throw fail('jti is malformed');
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    const times = { issuedAt: iat * 1000, expiresAt: now + 2 * PROOF_WINDOW_SEC * 1000 };
    if (!(await useOnce(this.#replay, `dpop\n${jkt}\n${jti}`, times, now, 'DPoP proof'))) throw fail('the proof was already used');
    return jkt;
  }
}

/** RFC 9449 §4.3: htu is compared without query and fragment. */
function stripQuery(u: string): string {
  try {
    const url = new URL(u);
    return `${url.origin}${url.pathname}`;
  } catch {
    return u;
  }
}
