import { Buffer } from 'buffer';
import { sha256 as sha256Bytes } from '#sha256';

/**
 * The canonical form lives in canonical-json.ts, free of Node's crypto, so the approver app's
 * browser code signs over exactly the bytes the gateway hashes. SHA-256 is `#sha256`: node:crypto
 * under Node, @noble/hashes in a browser bundle (the regulator verifier uses these digests).
 */
export { canonicalJson } from './canonical-json.ts';
import { canonicalJson } from './canonical-json.ts';

export function sha256(data: string | Uint8Array): Buffer {
  const h = sha256Bytes(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  return Buffer.isBuffer(h) ? h : Buffer.from(h.buffer, h.byteOffset, h.length);
}

export function sha256Hex(data: string | Uint8Array): string {
  return sha256(data).toString('hex');
}

/** SHA-256 over the RFC 8785 form: the digest every signature, receipt and log entry binds to. */
export function canonicalDigest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
