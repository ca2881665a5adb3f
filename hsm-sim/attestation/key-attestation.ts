/**
 * The key attestation statement, carried in a non-critical X.509 extension of every key
 * certificate (OID KEY_ATTESTATION_OID):
 *
 *   KeyAttestation ::= SEQUENCE {
 *     version            INTEGER (1),
 *     keyId              UTF8String,              -- 32 hex digits
 *     label              UTF8String,
 *     algorithm          UTF8String,              -- "Ed25519" | "P-256"
 *     purposes           SEQUENCE OF UTF8String,  -- receipt | checkpoint | challenge | token | webhook
 *     mechanisms         SEQUENCE OF UTF8String,  -- EdDSA | ECDSA-SHA256
 *     generatedOnDevice  BOOLEAN,                 -- always TRUE: the key never existed outside
 *     extractable        BOOLEAN,                 -- always FALSE
 *     sensitive          BOOLEAN,                 -- always TRUE
 *     deviceSerial       UTF8String,
 *     generatedAt        GeneralizedTime }
 */
import forge from 'node-forge';
import { KEY_ATTESTATION_OID, oidContents } from './oid.ts';

const { asn1 } = forge;

export interface KeyAttestation {
  version: 1;
  keyId: string;
  label: string;
  algorithm: string;
  purposes: string[];
  mechanisms: string[];
  generatedOnDevice: boolean;
  extractable: boolean;
  sensitive: boolean;
  deviceSerial: string;
  generatedAt: Date;
}

const U = asn1.Class.UNIVERSAL;
const utf8 = (s: string) => asn1.create(U, asn1.Type.UTF8, false, forge.util.encodeUtf8(s));
const bool = (b: boolean) => asn1.create(U, asn1.Type.BOOLEAN, false, String.fromCharCode(b ? 0xff : 0x00));
const seq = (items: forge.asn1.Asn1[]) => asn1.create(U, asn1.Type.SEQUENCE, true, items);

/** DER of the whole Extension (extnID, extnValue), ready to append to a TBSCertificate. */
export function keyAttestationExtension(a: KeyAttestation): forge.asn1.Asn1 {
  const statement = seq([
    asn1.create(U, asn1.Type.INTEGER, false, asn1.integerToDer(a.version).getBytes()),
    utf8(a.keyId),
    utf8(a.label),
    utf8(a.algorithm),
    seq(a.purposes.map(utf8)),
    seq(a.mechanisms.map(utf8)),
    bool(a.generatedOnDevice),
    bool(a.extractable),
    bool(a.sensitive),
    utf8(a.deviceSerial),
    asn1.create(U, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(a.generatedAt)),
  ]);
  return seq([
    asn1.create(U, asn1.Type.OID, false, oidContents(KEY_ATTESTATION_OID).toString('binary')),
    asn1.create(U, asn1.Type.OCTETSTRING, false, asn1.toDer(statement).getBytes()),
  ]);
}

function text(node: forge.asn1.Asn1 | undefined): string {
  if (node === undefined || node.type !== asn1.Type.UTF8 || typeof node.value !== 'string') throw new Error('expected UTF8String');
  return forge.util.decodeUtf8(node.value);
}

function flag(node: forge.asn1.Asn1 | undefined): boolean {
  if (node === undefined || node.type !== asn1.Type.BOOLEAN || typeof node.value !== 'string') throw new Error('expected BOOLEAN');
  return node.value !== '\x00';
}

function children(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  if (node === undefined || !Array.isArray(node.value)) throw new Error('expected a constructed value');
  return node.value;
}

/**
 * Find and decode the attestation statement in a DER certificate. Returns undefined when the
 * certificate carries none; throws when it carries a malformed one.
 */
export function readKeyAttestation(certDer: Uint8Array): KeyAttestation | undefined {
  const cert = asn1.fromDer(Buffer.from(certDer).toString('binary'));
  const tbs = children(cert)[0];
  const explicit = children(tbs).find((n) => n.tagClass === asn1.Class.CONTEXT_SPECIFIC && n.type === 3);
  if (explicit === undefined) return undefined;
  const wanted = oidContents(KEY_ATTESTATION_OID).toString('binary');
  for (const ext of children(children(explicit)[0])) {
    const [id, ...rest] = children(ext);
    if (id === undefined || id.value !== wanted) continue;
    const octets = rest[rest.length - 1];
    if (octets === undefined || typeof octets.value !== 'string') throw new Error('attestation extension has no value');
    const f = children(asn1.fromDer(octets.value));
    const version = f[0] !== undefined && typeof f[0].value === 'string' ? asn1.derToInteger(f[0].value) : NaN;
    if (version !== 1) throw new Error(`unsupported attestation version ${version}`);
    const when = f[10];
    if (when === undefined || typeof when.value !== 'string') throw new Error('attestation has no generatedAt');
    return {
      version: 1,
      keyId: text(f[1]),
      label: text(f[2]),
      algorithm: text(f[3]),
      purposes: children(f[4]).map(text),
      mechanisms: children(f[5]).map(text),
      generatedOnDevice: flag(f[6]),
      extractable: flag(f[7]),
      sensitive: flag(f[8]),
      deviceSerial: text(f[9]),
      generatedAt: asn1.generalizedTimeToDate(when.value),
    };
  }
  return undefined;
}
