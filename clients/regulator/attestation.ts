/**
 * x5c attestation chains (leaf first, base64 DER) checked against a pinned root certificate with
 * node:crypto X509Certificate: each certificate issued and signed by the next, intermediates are CAs,
 * the last one is the pinned root or issued by it, all valid at the given time.
 */
import { X509Certificate } from 'node:crypto';
import { FirewallError } from '../../src/core/errors.ts';

const MAX_CHAIN = 8;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function bad(code: string, message: string): never {
  throw new FirewallError(code, message, { status: 400 });
}

export function loadRootCertificate(pem: string | Buffer | X509Certificate): X509Certificate {
  if (pem instanceof X509Certificate) return pem;
  try {
    const cert = new X509Certificate(pem);
    if (!cert.ca) bad('ATTESTATION_ROOT_INVALID', 'the pinned root certificate is not a CA');
    return cert;
  } catch (e) {
    if (e instanceof FirewallError) throw e;
    throw new FirewallError('ATTESTATION_ROOT_INVALID', 'the pinned root is not a PEM/DER X.509 certificate', { status: 400, cause: e });
  }
}

function validAt(cert: X509Certificate, at: Date, label: string): void {
  if (at < cert.validFromDate || at > cert.validToDate) {
    bad('ATTESTATION_EXPIRED', `${label} (${cert.subject.replaceAll('\n', ', ')}) is not valid at ${at.toISOString()} (valid ${cert.validFromDate.toISOString()} to ${cert.validToDate.toISOString()})`);
  }
}

/** Verify the chain; returns the leaf certificate. */
export function verifyChain(x5c: unknown, root: X509Certificate, at: Date): X509Certificate {
  if (!Array.isArray(x5c) || x5c.length === 0) bad('ATTESTATION_MISSING', 'no x5c attestation chain');
  if (x5c.length > MAX_CHAIN) bad('ATTESTATION_MALFORMED', `x5c has more than ${MAX_CHAIN} certificates`);
  const certs = x5c.map((c, i) => {
    if (typeof c !== 'string' || !B64.test(c)) bad('ATTESTATION_MALFORMED', `x5c[${i}] is not base64`);
    try {
      return new X509Certificate(Buffer.from(c, 'base64'));
    } catch (e) {
      throw new FirewallError('ATTESTATION_MALFORMED', `x5c[${i}] is not a DER X.509 certificate`, { status: 400, cause: e });
    }
  });
  for (let i = 0; i + 1 < certs.length; i++) {
    const cert = certs[i] as X509Certificate;
    const issuer = certs[i + 1] as X509Certificate;
    if (!issuer.ca) bad('ATTESTATION_CHAIN_INVALID', `x5c[${i + 1}] issues x5c[${i}] but is not a CA`);
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) bad('ATTESTATION_CHAIN_INVALID', `x5c[${i}] is not signed by x5c[${i + 1}]`);
  }
  const last = certs[certs.length - 1] as X509Certificate;
  if (last.raw.equals(root.raw)) {
    if (!last.verify(root.publicKey)) bad('ATTESTATION_CHAIN_INVALID', 'the pinned root is not self-signed');
  } else if (!last.checkIssued(root) || !last.verify(root.publicKey)) {
    bad('ATTESTATION_CHAIN_INVALID', `x5c[${certs.length - 1}] is not issued by the pinned root`);
  }
  certs.forEach((c, i) => validAt(c, at, `x5c[${i}]`));
  validAt(root, at, 'the pinned root');
  return certs[0] as X509Certificate;
}

/** Does the certificate certify this JWK's public key? */
export function certifiesJwk(cert: X509Certificate, jwk: JsonWebKey): boolean {
  try {
    const certJwk = cert.publicKey.export({ format: 'jwk' });
    if (certJwk.kty !== jwk.kty) return false;
    if (jwk.kty === 'OKP') return certJwk.crv === jwk.crv && certJwk.x === jwk.x;
    if (jwk.kty === 'EC') return certJwk.crv === jwk.crv && certJwk.x === jwk.x && certJwk.y === jwk.y;
    if (jwk.kty === 'RSA') return certJwk.n === jwk.n && certJwk.e === jwk.e;
    return false;
  } catch {
    return false;
  }
}

/** Does the certificate certify this raw Ed25519 key? */
export function certifiesEd25519(cert: X509Certificate, raw: Uint8Array): boolean {
  return certifiesJwk(cert, { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') });
}
