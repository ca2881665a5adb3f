import { canonicalJson } from '../canonical.ts';
import { FirewallError } from '../errors.ts';
import type { PublicKeyInfo, Signer } from '../signer.ts';
import { parseReceiptClaims } from './parse-receipt-claims.ts';
import { RECEIPT_TYP, type ReceiptClaims, type ReceiptHeader } from './receipt.ts';

/**
 * Sign a receipt as a compact JWS (RFC 7515 §7.1) through the Signer, which holds the key: the
 * JOSE encoding is done here by hand because jose's CompactSign wants a key object.
 *
 *   BASE64URL(header) '.' BASE64URL(claims) '.' BASE64URL(signature over the first two parts)
 *
 * Header and claims are serialised as RFC 8785 canonical JSON, so equal inputs give equal bytes.
 * The claims are validated first (parseReceiptClaims): a malformed receipt is never signed.
 *
 * @param key the Signer's receipt key (`signer.publicKey('receipt')`), to skip that round trip.
 */
export async function signReceipt(signer: Signer, claims: ReceiptClaims, options: { key?: PublicKeyInfo } = {}): Promise<string> {
  const valid = parseReceiptClaims(claims);
  const key = options.key ?? (await signer.publicKey('receipt'));
  if (key.purpose !== 'receipt') {
    throw new FirewallError('RECEIPT_SIGNING_FAILED', `key '${key.kid}' is for purpose '${key.purpose}', not 'receipt'`, { status: 500 });
  }
  const header: ReceiptHeader = { alg: key.alg, kid: key.kid, typ: RECEIPT_TYP };
  const signingInput = `${Buffer.from(canonicalJson(header)).toString('base64url')}.${Buffer.from(canonicalJson(valid)).toString('base64url')}`;
  const sig = await signer.sign('receipt', Buffer.from(signingInput, 'ascii'));
  if (sig.kid !== key.kid || sig.alg !== key.alg) {
    // The key rotated between publicKey() and sign(): the header would name the wrong key.
    throw new FirewallError(
      'RECEIPT_SIGNING_FAILED',
      `signer used key '${sig.kid}' (${sig.alg}) but the receipt header names '${key.kid}' (${key.alg})`,
      { status: 500 },
    );
  }
  if (sig.signature.length !== 64) {
    throw new FirewallError('RECEIPT_SIGNING_FAILED', `${sig.alg} signature must be 64 bytes, signer returned ${sig.signature.length}`, { status: 500 });
  }
  return `${signingInput}.${Buffer.from(sig.signature).toString('base64url')}`;
}
