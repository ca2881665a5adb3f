import { FirewallError } from '../errors.ts';

/** `application/json` or any `application/…+json` media type (RFC 6839), parameters ignored. */
export function isJsonContentType(contentType: string | undefined | null): boolean {
  if (contentType === undefined || contentType === null) return false;
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(media);
}

export interface BodyForm {
  /** The one Content-Type sent, or null. */
  contentType: string | null;
  /** Whether the body is JSON (and must pass checkStrictJson). */
  json: boolean;
}

/** Methods whose content has no defined meaning (RFC 9110 §9.3): many servers and proxies drop it. */
const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'DELETE']);

/**
 * How a request body will be read, refusing what a gateway and an actuator could read differently:
 * - `BODY_NOT_ALLOWED` (400): a body on GET, HEAD or DELETE; it is never forwarded, so no receipt
 *   may bind it;
 * - `CONTENT_TYPE_DUPLICATE` (400): Content-Type sent more than once (Node keeps the first,
 *   other servers the last or both);
 * - `CONTENT_TYPE_MISSING` (415): a body without Content-Type (servers sniff differently);
 * - `CONTENT_TYPE_CHARSET_UNSUPPORTED` (415): a JSON body declared in a charset other than UTF-8
 *   (RFC 8259 §8.1), or with two charsets;
 * - `CONTENT_TYPE_MISMATCH` (415): a body that opens like a JSON object or array (`{`, `[`)
 *   declared as something else, which lenient actuators parse as JSON although the gateway did not.
 * `contentTypes` is every Content-Type value received (e.g. from Node's `rawHeaders`).
 */
export function checkBodyForm(method: string, contentTypes: readonly string[], body: Uint8Array): BodyForm {
  if (contentTypes.length > 1) {
    throw new FirewallError('CONTENT_TYPE_DUPLICATE', 'Content-Type appears more than once', { status: 400 });
  }
  const contentType = contentTypes[0] ?? null;
  if (body.length === 0) return { contentType, json: false };
  if (NO_BODY_METHODS.has(method.toUpperCase())) {
    throw new FirewallError('BODY_NOT_ALLOWED', `a ${method.toUpperCase()} request may not carry a body: it would not be forwarded, and the receipt binds the exact bytes`, { status: 400 });
  }
  if (contentType === null) {
    throw new FirewallError('CONTENT_TYPE_MISSING', 'a request with a body must say its Content-Type', { status: 415 });
  }
  if (isJsonContentType(contentType)) {
    const charsets = [...contentType.matchAll(/;\s*charset\s*=\s*"?([^";\s]*)"?/gi)].map((m) => m[1]!.toLowerCase());
    if (charsets.length > 1 || (charsets.length === 1 && charsets[0] !== 'utf-8' && charsets[0] !== 'utf8')) {
      throw new FirewallError('CONTENT_TYPE_CHARSET_UNSUPPORTED', 'a JSON body must be UTF-8 (RFC 8259 §8.1); declare charset=utf-8 or none', { status: 415 });
    }
    return { contentType, json: true };
  }
  let k = 0;
  while (k < body.length && (body[k] === 0x20 || body[k] === 0x09 || body[k] === 0x0a || body[k] === 0x0d)) k++;
  if (body[k] === 0x7b || body[k] === 0x5b) {
    throw new FirewallError('CONTENT_TYPE_MISMATCH', `the body looks like JSON but is declared '${contentType.slice(0, 100)}'; send it as application/json`, { status: 415 });
  }
  return { contentType, json: false };
}

/** Every value of a header in Node's `rawHeaders` (name, value, name, value…), however it was spelled. */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let k = 0; k < rawHeaders.length; k += 2) if (rawHeaders[k]!.length === name.length && rawHeaders[k]!.toLowerCase() === name) out.push(rawHeaders[k + 1]!);
  return out;
}
