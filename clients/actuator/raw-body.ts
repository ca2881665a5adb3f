import type { IncomingMessage } from 'node:http';
import { FirewallError } from '../../src/core/errors.ts';

/**
 * The receipt binds the SHA-256 of the exact body bytes, so the middleware needs them before any
 * body parser turns them into objects. It reads the request stream itself; a body parser mounted
 * after it then finds the stream finished and skips. When a parser must run first, give it
 * `captureRawBody` as its `verify` hook, e.g. `express.json({ verify: captureRawBody })`.
 */

const rawBodies = new WeakMap<IncomingMessage, Buffer>();

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** body-parser `verify` hook: remembers the bytes it read so analogFirewall() can hash them. */
export function captureRawBody(req: IncomingMessage, _res: unknown, buf: Buffer): void {
  rawBodies.set(req, Buffer.from(buf));
}

/** The raw body bytes of a request the middleware verified (or a parser captured). */
export function rawBodyOf(req: IncomingMessage): Buffer | undefined {
  return rawBodies.get(req);
}

/** Read the whole request body, at most `limit` bytes, and remember it for rawBodyOf(). */
export async function readRawBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT_BYTES): Promise<Buffer> {
  const known = rawBodies.get(req);
  if (known) return known;
  // The common convention of a verify hook that stores `req.rawBody`.
  const conventional = (req as IncomingMessage & { rawBody?: unknown }).rawBody;
  if (Buffer.isBuffer(conventional)) {
    rawBodies.set(req, conventional);
    return conventional;
  }
  if (req.readableEnded || req.readableDidRead) {
    throw new FirewallError(
      'ACTUATOR_MISCONFIGURED',
      'request body was already consumed before analogFirewall(): mount it before any body parser, or pass captureRawBody as the parser verify hook',
      { status: 500 },
    );
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    throw new FirewallError('BODY_TOO_LARGE', `request body of ${declared} bytes exceeds the ${limit}-byte limit`, { status: 413 });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > limit) {
      req.destroy();
      throw new FirewallError('BODY_TOO_LARGE', `request body exceeds the ${limit}-byte limit`, { status: 413 });
    }
    chunks.push(b);
  }
  const body = Buffer.concat(chunks, size);
  rawBodies.set(req, body);
  return body;
}

// The gateway decides what is JSON by the same rule (src/core/wire/media-type.ts).
export { isJsonContentType } from '../../src/core/wire/media-type.ts';
