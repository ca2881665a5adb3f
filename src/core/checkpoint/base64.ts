/** Strict standard base64 (RFC 4648 §4, padded). Rejects anything that does not round-trip. */
import { FirewallError } from '../errors.ts';

export function decodeBase64Strict(text: string, what: string, code = 'BASE64_INVALID'): Buffer {
  if (typeof text !== 'string') throw new FirewallError(code, `${what} is not a base64 string`, { status: 400 });
  // Node's decoder skips characters outside the alphabet and accepts missing padding or non-zero
  // trailing bits; requiring the re-encoding to equal the input rejects all of those (no regex, so
  // multi-megabyte inputs are fine).
  const out = Buffer.from(text, 'base64');
  if (out.toString('base64') !== text) throw new FirewallError(code, `${what} is not canonical standard padded base64`, { status: 400 });
  return out;
}

export function encodeBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.length).toString('base64');
}
