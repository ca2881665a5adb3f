/**
 * X.509 certificates of the device. node-forge builds the structures; node:crypto signs them,
 * because forge signs only with RSA in JavaScript and cannot encode Ed25519 or EC public keys.
 *
 * - Device root: self-signed, RSA-3072, sha256WithRSAEncryption, CA:TRUE pathlen 0.
 * - Key certificate: issued by the device root for each key generated inside; its
 *   SubjectPublicKeyInfo is the DER node:crypto exports (spliced in), and it carries the
 *   KeyAttestation extension. Verifiable with `openssl verify -CAfile root.pem leaf.pem`.
 */
import forge from 'node-forge';
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { keyAttestationExtension, type KeyAttestation } from './key-attestation.ts';

const { pki, asn1 } = forge;
const UTF8 = asn1.Type.UTF8;

// The typings omit getTBSCertificate, which we need to sign outside forge.
const getTBSCertificate = (pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

function serialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40; // positive and minimal-length in DER
  return b.toString('hex');
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty === 'OKP' && typeof jwk.x === 'string') return Buffer.from(jwk.x, 'base64url');
  if (jwk.kty === 'EC' && typeof jwk.x === 'string' && typeof jwk.y === 'string') {
    return Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  }
  if (jwk.kty === 'RSA') return publicKey.export({ type: 'pkcs1', format: 'der' });
  throw new Error(`unsupported key type ${String(jwk.kty)}`);
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function subjectKeyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1').update(rawPublicKey(publicKey)).digest();
}

function signWithDevice(cert: forge.pki.Certificate, tbs: forge.asn1.Asn1, deviceKey: KeyObject): Buffer {
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, deviceKey);
  const mutable = cert as unknown as { tbsCertificate: forge.asn1.Asn1; signature: string; signatureOid: string };
  mutable.tbsCertificate = tbs;
  mutable.signatureOid = pki.oids.sha256WithRSAEncryption!;
  mutable.signature = signature.toString('binary');
  return Buffer.from(asn1.toDer(pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

function newCertificate(notBefore: Date, notAfter: Date): forge.pki.Certificate {
  const cert = pki.createCertificate();
  cert.serialNumber = serialHex();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  (cert as unknown as { siginfo: { algorithmOid: string } }).siginfo.algorithmOid = pki.oids.sha256WithRSAEncryption!;
  return cert;
}

export interface DeviceRootInput {
  deviceSerial: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
}

export function deviceRootSubject(deviceSerial: string): forge.pki.CertificateField[] {
  return [
    { shortName: 'O', value: 'Analog Firewall', valueTagClass: UTF8 },
    { shortName: 'OU', value: 'hsm-sim device identity', valueTagClass: UTF8 },
    { name: 'serialNumber', value: deviceSerial, valueTagClass: UTF8 },
    { shortName: 'CN', value: `hsm-sim device ${deviceSerial}`, valueTagClass: UTF8 },
  ] as unknown as forge.pki.CertificateField[];
}

export function createDeviceRootCertificate(input: DeviceRootInput): Buffer {
  const cert = newCertificate(input.notBefore, input.notAfter);
  const subject = deviceRootSubject(input.deviceSerial);
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.publicKey = pki.publicKeyFromPem(input.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const ski = subjectKeyIdentifier(input.publicKey).toString('binary');
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    // digitalSignature: the same key signs audit heads and tamper records.
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { id: '2.5.29.14', value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, ski) },
  ]);
  return signWithDevice(cert, getTBSCertificate(cert), input.privateKey);
}

/** Key certificates start this long before generation (never before the root does). */
export const KEY_BACKDATE_MS = 3600 * 1000;

export interface KeyCertificateInput {
  rootDer: Buffer;
  devicePrivateKey: KeyObject;
  devicePublicKey: KeyObject;
  subjectPublicKey: KeyObject;
  attestation: KeyAttestation;
  notAfter: Date;
}

export function keySubject(a: KeyAttestation): forge.pki.CertificateField[] {
  return [
    { shortName: 'O', value: 'Analog Firewall', valueTagClass: UTF8 },
    { shortName: 'OU', value: 'hsm-sim key attestation', valueTagClass: UTF8 },
    // Human-readable restatement of the extension, for `openssl x509 -subject`.
    { shortName: 'OU', value: 'generated-on-device non-extractable', valueTagClass: UTF8 },
    ...a.purposes.map((p) => ({ shortName: 'OU', value: `purpose=${p}`, valueTagClass: UTF8 })),
    { name: 'serialNumber', value: a.keyId, valueTagClass: UTF8 },
    { shortName: 'CN', value: a.label, valueTagClass: UTF8 },
  ] as unknown as forge.pki.CertificateField[];
}

export function createKeyCertificate(input: KeyCertificateInput): Buffer {
  const root = pki.certificateFromAsn1(asn1.fromDer(input.rootDer.toString('binary')));
  // Backdated like the root, for verifiers with slow clocks; the exact time is in the extension.
  const notBefore = new Date(Math.max(input.attestation.generatedAt.getTime() - KEY_BACKDATE_MS, root.validity.notBefore.getTime()));
  const cert = newCertificate(notBefore, input.notAfter);
  cert.setSubject(keySubject(input.attestation));
  cert.setIssuer(root.subject.attributes);
  // Placeholder so forge can lay out the TBSCertificate; the real SPKI is spliced in below.
  cert.publicKey = root.publicKey;
  const ski = subjectKeyIdentifier(input.subjectPublicKey).toString('binary');
  const aki = subjectKeyIdentifier(input.devicePublicKey).toString('binary');
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { id: '2.5.29.14', value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, ski) },
    { name: 'authorityKeyIdentifier', keyIdentifier: aki },
  ]);
  const tbs = getTBSCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  const spkiDer = input.subjectPublicKey.export({ type: 'spki', format: 'der' });
  // Field 6 of TBSCertificate is subjectPublicKeyInfo (version, serial, sigAlg, issuer, validity, subject, spki).
  fields[6] = asn1.fromDer(spkiDer.toString('binary'), { decodeBitStrings: false } as unknown as boolean);
  const extensions = fields[fields.length - 1]!;
  ((extensions.value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[]).push(keyAttestationExtension(input.attestation));
  return signWithDevice(cert, tbs, input.devicePrivateKey);
}

export function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
