/** Strict standard base64 (RFC 4648 §4, padded). Rejects anything that does not round-trip. */
import { Buffer } from 'buffer';
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

/**
 * base64url (RFC 4648 §5, unpadded, as JOSE writes it) through the standard alphabet, which the
 * browser build of Buffer also has. Null unless the text is canonical (round-trips).
 */
export function decodeBase64Url(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const std = text.replaceAll('-', '+').replaceAll('_', '/');
  const out = Buffer.from(std + '='.repeat((4 - (std.length % 4)) % 4), 'base64');
  return encodeBase64Url(out) === text ? out : null;
}

export function encodeBase64Url(data: Uint8Array): string {
  return encodeBase64(data).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
