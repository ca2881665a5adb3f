/**
 * x5c attestation chains (leaf first, base64 DER) checked against a pinned root certificate: each
 * certificate issued and signed by the next, intermediates are CAs, the last one is the pinned root
 * or issued by it, all valid at the given time.
 *
 * @peculiar/x509 parses the certificates and checks their signatures with WebCrypto (Ed25519,
 * ECDSA, RSA: the simulated HSM's device root is RSA, which no pure-JS library we trust verifies),
 * so the same code runs in Node and in the regulator console's page; WebCrypto is asynchronous,
 * hence so is this module. The library resolves its algorithms through tsyringe, which needs the
 * reflect-metadata polyfill loaded first.
 */
import 'reflect-metadata';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, X509Certificate } from '@peculiar/x509';
import { Buffer } from 'buffer';
import { FirewallError } from '../../src/core/errors.ts';
import { encodeBase64Url } from '../../src/core/checkpoint/base64.ts';

export { X509Certificate };

const MAX_CHAIN = 8;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function bad(code: string, message: string): never {
  throw new FirewallError(code, message, { status: 400 });
}

function isCa(cert: X509Certificate): boolean {
  return cert.getExtension(BasicConstraintsExtension)?.ca === true;
}

/** The pinned root from PEM text or DER bytes (or an already parsed certificate). */
export function loadRootCertificate(pem: string | Uint8Array | X509Certificate): X509Certificate {
  if (pem instanceof X509Certificate) return pem;
  let cert: X509Certificate;
  try {
    // A root read from a file arrives as bytes, PEM or DER.
    const text = typeof pem === 'string' ? pem : new TextDecoder().decode(pem.subarray(0, 64)).startsWith('-----BEGIN') ? new TextDecoder().decode(pem) : null;
    cert = new X509Certificate(text ?? Uint8Array.from(pem as Uint8Array));
  } catch (e) {
    throw new FirewallError('ATTESTATION_ROOT_INVALID', 'the pinned root is not a PEM/DER X.509 certificate', { status: 400, cause: e });
  }
  if (!isCa(cert)) bad('ATTESTATION_ROOT_INVALID', 'the pinned root certificate is not a CA');
  return cert;
}

function validAt(cert: X509Certificate, at: Date, label: string): void {
  if (at < cert.notBefore || at > cert.notAfter) {
    bad('ATTESTATION_EXPIRED', `${label} (${cert.subject}) is not valid at ${at.toISOString()} (valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`);
  }
}

/**
 * Parsed certificates and checked signatures, keyed by the exact DER bytes: a bundle names the same
 * root and intermediates for every key, and parsing plus WebCrypto dominated the verifier's time.
 * Public data with a deterministic answer, bounded so hostile input cannot grow it.
 */
const MEMO_MAX = 256;
const parsed = new Map<string, X509Certificate>();
const links = new Map<string, Promise<boolean>>();

function remember<V>(memo: Map<string, V>, key: string, make: () => V): V {
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const v = make();
  if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value as string);
  memo.set(key, v);
  return v;
}

const derKey = (cert: X509Certificate): string => Buffer.from(cert.rawData).toString('base64');

/**
 * Is `cert` issued by `issuer` and signed with its key? Issued as OpenSSL's X509_check_issued has
 * it: the names chain, and an issuer that states its key usage allows certificate signing.
 */
function signedBy(cert: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  const usage = issuer.getExtension(KeyUsagesExtension);
  if (cert.issuer !== issuer.subject || (usage && (usage.usages & KeyUsageFlags.keyCertSign) === 0)) return Promise.resolve(false);
  return remember(links, `${derKey(cert)} ${derKey(issuer)}`, async () => {
    try {
      return await cert.verify({ publicKey: issuer, signatureOnly: true });
    } catch {
      return false;
    }
  });
}

function sameBytes(a: ArrayBuffer, b: ArrayBuffer): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** Verify the chain; returns the leaf certificate. */
export async function verifyChain(x5c: unknown, root: X509Certificate, at: Date): Promise<X509Certificate> {
  if (!Array.isArray(x5c) || x5c.length === 0) bad('ATTESTATION_MISSING', 'no x5c attestation chain');
  if (x5c.length > MAX_CHAIN) bad('ATTESTATION_MALFORMED', `x5c has more than ${MAX_CHAIN} certificates`);
  const certs = x5c.map((c, i) => {
    if (typeof c !== 'string' || !B64.test(c)) bad('ATTESTATION_MALFORMED', `x5c[${i}] is not base64`);
    try {
      return remember(parsed, c, () => new X509Certificate(Uint8Array.from(Buffer.from(c, 'base64'))));
    } catch (e) {
      throw new FirewallError('ATTESTATION_MALFORMED', `x5c[${i}] is not a DER X.509 certificate`, { status: 400, cause: e });
    }
  });
  for (let i = 0; i + 1 < certs.length; i++) {
    const cert = certs[i] as X509Certificate;
    const issuer = certs[i + 1] as X509Certificate;
    if (!isCa(issuer)) bad('ATTESTATION_CHAIN_INVALID', `x5c[${i + 1}] issues x5c[${i}] but is not a CA`);
    if (!(await signedBy(cert, issuer))) bad('ATTESTATION_CHAIN_INVALID', `x5c[${i}] is not signed by x5c[${i + 1}]`);
  }
  const last = certs[certs.length - 1] as X509Certificate;
  if (sameBytes(last.rawData, root.rawData)) {
    if (!(await signedBy(last, root))) bad('ATTESTATION_CHAIN_INVALID', 'the pinned root is not self-signed');
  } else if (!(await signedBy(last, root))) {
    bad('ATTESTATION_CHAIN_INVALID', `x5c[${certs.length - 1}] is not issued by the pinned root`);
  }
  certs.forEach((c, i) => validAt(c, at, `x5c[${i}]`));
  validAt(root, at, 'the pinned root');
  return certs[0] as X509Certificate;
}

/** The certificate's public key as a JWK (public members only), or null when WebCrypto cannot import it. */
async function certificateJwk(cert: X509Certificate): Promise<JsonWebKey | null> {
  try {
    const key = await cert.publicKey.export();
    return (await globalThis.crypto.subtle.exportKey('jwk', key)) as JsonWebKey;
  } catch {
    return null;
  }
}

/** Does the certificate certify this JWK's public key? */
export async function certifiesJwk(cert: X509Certificate, jwk: JsonWebKey): Promise<boolean> {
  const certJwk = await certificateJwk(cert);
  if (!certJwk || certJwk.kty !== jwk.kty) return false;
  if (jwk.kty === 'OKP') return certJwk.crv === jwk.crv && certJwk.x === jwk.x;
  if (jwk.kty === 'EC') return certJwk.crv === jwk.crv && certJwk.x === jwk.x && certJwk.y === jwk.y;
  if (jwk.kty === 'RSA') return certJwk.n === jwk.n && certJwk.e === jwk.e;
  return false;
}

/** Does the certificate certify this raw Ed25519 key? */
export function certifiesEd25519(cert: X509Certificate, raw: Uint8Array): Promise<boolean> {
  return certifiesJwk(cert, { kty: 'OKP', crv: 'Ed25519', x: encodeBase64Url(raw) });
}
