/**
 * Statements the device signs with its identity key: audit heads, audit exports, tamper records.
 * RS256 = RSASSA-PKCS1-v1_5 with SHA-256 over the RFC 8785 form of the statement, so a regulator
 * can check one with nothing but the device root certificate:
 *
 *   openssl x509 -in root.pem -pubkey -noout > device.pub
 *   openssl dgst -sha256 -verify device.pub -signature statement.sig statement.jcs.json
 */
import { X509Certificate, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../../src/core/canonical.ts';

export function signStatement(deviceKey: KeyObject, statement: unknown): string {
  return sign('sha256', Buffer.from(canonicalJson(statement), 'utf8'), deviceKey).toString('base64');
}

/** Verify a device statement against the device root certificate (base64 DER or PEM). */
export function verifyStatement(deviceCertificate: string | Buffer, statement: unknown, signatureB64: string): boolean {
  const cert = new X509Certificate(typeof deviceCertificate === 'string' && !deviceCertificate.startsWith('-----') ? Buffer.from(deviceCertificate, 'base64') : deviceCertificate);
  return verify('sha256', Buffer.from(canonicalJson(statement), 'utf8'), cert.publicKey, Buffer.from(signatureB64, 'base64'));
}
