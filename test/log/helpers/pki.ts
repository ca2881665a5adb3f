/**
 * Throwaway attestation PKI for tests: an Ed25519 CA and leaves for given keys, DER built here and
 * signed with node:crypto. Certificates are backdated: a leaf issued lazily (AttestedSigner issues
 * on the first publicKey() call, often at export time) used to start at its issuing second, after
 * entries the gateway had already logged, and the verifier rightly found it "not valid at" their
 * time. openssl's CLI (3.0) cannot backdate a leaf for a key whose private half it lacks.
 */
import { X509Certificate, createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface TestPki {
  rootPem: string;
  rootDer: Buffer;
  /** Issue a leaf certificate for `publicKey`; returns base64 DER (x5c element). */
  issue(publicKey: KeyObject, cn: string): string;
  /** Base64 DER of the root (to append to x5c chains). */
  rootB64: string;
  dispose(): void;
}

/** Certificates start this long before issuance, as real CAs backdate for clock skew (never before the root). */
export const PKI_BACKDATE_MS = 3600 * 1000;
const LIFETIME_MS = 30 * 86_400_000;

let serial = 100;

// --- minimal DER (X.690) -------------------------------------------------------------------

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : (() => {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
  })();
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);
const TRUE = tlv(0x01, Buffer.from([0xff]));

function integer(v: number): Buffer {
  const bytes: number[] = [];
  for (let x = v; x > 0; x = Math.floor(x / 256)) bytes.unshift(x % 256);
  if (bytes.length === 0 || (bytes[0] as number) & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [a * 40 + b];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after; whole seconds. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'));
}

const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
const ext = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [TRUE] : []), octets(value));

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
function keyId(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  const raw =
    jwk.kty === 'OKP' ? Buffer.from(jwk.x ?? '', 'base64url')
    : jwk.kty === 'EC' ? Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')])
    : publicKey.export({ type: 'pkcs1', format: 'der' });
  return createHash('sha1').update(raw).digest();
}

const ED25519 = seq(oid('1.3.101.112')); // RFC 8410: parameters absent

function certificate(o: {
  serial: number; issuer: string; subject: string; notBefore: Date; notAfter: Date;
  subjectKey: KeyObject; issuerPublicKey: KeyObject; signingKey: KeyObject; ca: boolean;
  /** A CA whose keyUsage omits keyCertSign (digitalSignature only): it may not issue. */
  caCannotSign?: boolean;
}): Buffer {
  const extensions = o.ca
    ? [
        ext('2.5.29.19', true, seq(TRUE)), // basicConstraints CA:TRUE
        ext('2.5.29.15', true, o.caCannotSign ? bits(Buffer.from([0x80]), 7) : bits(Buffer.from([0x06]), 1)), // keyUsage keyCertSign, cRLSign
        ext('2.5.29.14', false, octets(keyId(o.subjectKey))),
      ]
    : [
        ext('2.5.29.19', true, seq()), // basicConstraints CA:FALSE
        ext('2.5.29.15', true, bits(Buffer.from([0x80]), 7)), // keyUsage digitalSignature
        ext('2.5.29.14', false, octets(keyId(o.subjectKey))),
        ext('2.5.29.35', false, seq(tlv(0x80, keyId(o.issuerPublicKey)))),
      ];
  const tbs = seq(
    explicit(0, integer(2)),
    integer(o.serial),
    ED25519,
    name(o.issuer),
    seq(time(o.notBefore), time(o.notAfter)),
    name(o.subject),
    o.subjectKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  return seq(tbs, ED25519, bits(sign(null, tbs, o.signingKey)));
}

// --------------------------------------------------------------------------------------------

export function createTestPki(name = 'Test HSM Root', options: { caCannotSign?: boolean } = {}): TestPki {
  const root = generateKeyPairSync('ed25519');
  const now = Date.now();
  const rootNotBefore = new Date(now - PKI_BACKDATE_MS);
  const rootNotAfter = new Date(now + LIFETIME_MS);
  const rootDer = certificate({
    serial: serial++, issuer: name, subject: name, notBefore: rootNotBefore, notAfter: rootNotAfter,
    subjectKey: root.publicKey, issuerPublicKey: root.publicKey, signingKey: root.privateKey, ca: true, caCannotSign: options.caCannotSign === true,
  });
  const rootCert = new X509Certificate(rootDer);
  return {
    rootPem: rootCert.toString(),
    rootDer,
    rootB64: rootDer.toString('base64'),
    issue(publicKey, cn) {
      const t = Date.now();
      // Within the root's validity, as a CA issues.
      const notBefore = new Date(Math.max(t - PKI_BACKDATE_MS, rootNotBefore.getTime()));
      const notAfter = new Date(Math.min(t + LIFETIME_MS, rootNotAfter.getTime()));
      const der = certificate({
        serial: serial++, issuer: name, subject: cn, notBefore, notAfter,
        subjectKey: publicKey, issuerPublicKey: root.publicKey, signingKey: root.privateKey, ca: false,
      });
      // Parse once so a malformed certificate fails here, not deep in a verifier test.
      return Buffer.from(new X509Certificate(der).raw).toString('base64');
    },
    dispose() {
      // Nothing on disk; kept for callers that clean up.
    },
  };
}
