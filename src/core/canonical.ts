import { createHash } from 'node:crypto';

/**
 * The canonical form lives in canonical-json.ts, free of Node's crypto, so the approver app's
 * browser code signs over exactly the bytes the gateway hashes.
 */
export { canonicalJson } from './canonical-json.ts';
import { canonicalJson } from './canonical-json.ts';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** SHA-256 over the RFC 8785 form: the digest every signature, receipt and log entry binds to. */
export function canonicalDigest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
